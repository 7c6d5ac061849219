"""4. Memory: peak RSS of a process that loads one partition of 100k, 300k and 1,000,000 rows.

Each size loads in a fresh child process (`python -m benchmarks.memory SIZE`, the simulator's
address on stdin), so one size's peak cannot hide in another's; the simulator runs in a third
process and is not counted. The
figures are the child's peak resident set (getrusage) and its resident set after imports, before
the load, so the load's own share is visible.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.simulator_process import SimulatorProcess

SIZES = (100_000, 300_000, 1_000_000)
YEAR = 2025


def _child(rows: int) -> None:
    from benchmarks.common import connection, current_rss_mib, peak_rss_mib, temp_warehouse
    import catalog
    from afas.client import AfasClient
    from assets.loading import load_slice
    from catalog.slices import Slice

    env = json.loads(sys.stdin.read())
    from benchmarks.simulator_process import ServedEnvironment

    served = ServedEnvironment(**env)
    before = current_rss_mib()
    with tempfile.TemporaryDirectory() as tmp:
        conn = connection(served)
        with AfasClient(conn) as client:
            load = load_slice(client, temp_warehouse(Path(tmp)), catalog.TRANSACTIONS,
                              Slice(conn.name, 1, YEAR, SIZES.index(rows) + 1))
    print(json.dumps({"rows": load.rows, "baseline_mib": before, "peak_mib": peak_rss_mib()}))


def run() -> dict:
    big = [arg for i, rows in enumerate(SIZES) for arg in ("--big-slice", f"1:{YEAR}:{i + 1}:{rows}")]
    results = []
    with SimulatorProcess("--administrations", "1", "--lines-per-period", "10", *big) as sim:
        env = sim.environment()
        payload = json.dumps(env.__dict__)
        for rows in SIZES:
            done = subprocess.run([sys.executable, "-m", "benchmarks.memory", str(rows)], input=payload,
                                  capture_output=True, text=True, check=False)
            if done.returncode:
                raise RuntimeError(f"memory child for {rows} rows failed: {done.stderr[-2000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    for r in results:
        r["peak_mib"] = round(r["peak_mib"], 1)
        r["baseline_mib"] = round(r["baseline_mib"], 1)
        r["load_mib"] = round(r["peak_mib"] - r["baseline_mib"], 1)
        r["load_bytes_per_row"] = round(r["load_mib"] * 2**20 / r["rows"])
    small, large = results[0], results[-1]
    return {
        "sizes": results,
        "peak_mib_at_1m": large["peak_mib"],
        "target_peak_mib_at_1m": 600,
        "growth_peak_1m_vs_100k": round(large["peak_mib"] / small["peak_mib"], 2),
        "growth_load_1m_vs_100k": round(large["load_mib"] / small["load_mib"], 2),
        "rows_ratio": large["rows"] / small["rows"],
    }


if __name__ == "__main__":
    _child(int(sys.argv[1]))
