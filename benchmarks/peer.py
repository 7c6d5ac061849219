"""2. Peer: the same million rows through dlt's `rest_api` source into DuckDB, against the pipeline.

dlt runs in its own virtual environment (`benchmarks/.venv-dlt`, pinned by requirements-dlt.lock)
because it brings pyarrow and another duckdb. Both configurations are measured: dlt's default
(JSON-lines load files, types inferred) and its fastest for DuckDB (Parquet load files via pyarrow).
The pipeline side is the same `load_slice` as in the ceiling benchmark, in the same simulator run.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from benchmarks import ceiling
from benchmarks.common import TRANSACTIONS_CONNECTOR, auth_header, temp_warehouse, timed

DLT_PYTHON = Path(__file__).parent / ".venv-dlt" / "bin" / "python"
SCRIPT = Path(__file__).parent / "dlt_load.py"
TAKE = 8333  # the pipeline's page size for transactions (150,000 cells // 18 fields)
# dlt's default configuration loads about 1,400 rows/s here: a million rows would take 12 minutes, the
# whole budget of `make bench`. Rows/s is compared, on the same slice, so a tenth of the ceiling's slice.
ROWS = 100_000


def run_dlt(env, file_format: str) -> dict:
    unit, year, period = ceiling.SLICE
    args = {
        "base_url": env.base_url,
        "authorization": auth_header(env),
        "connector": TRANSACTIONS_CONNECTOR,
        "params": {
            "filterfieldids": "UnitId,Year,Period",
            "filtervalues": f"{unit},{year},{period}",
            "operatortypes": "1,1,1",
            "orderbyfieldids": "UnitId,EntryNo,SeqNo",
        },
        "take": TAKE,
        "format": file_format,
    }
    done = subprocess.run([str(DLT_PYTHON), str(SCRIPT), json.dumps(args)], capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"dlt failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run() -> dict:
    if not DLT_PYTHON.exists():
        raise RuntimeError("dlt's environment is missing: run `make bench` (it builds benchmarks/.venv-dlt)")
    with ceiling.simulator(ROWS) as sim, tempfile.TemporaryDirectory() as tmp:
        env = sim.environment()
        ceiling.load_with_pipeline(env, temp_warehouse(Path(tmp) / "warm"))
        lake = temp_warehouse(Path(tmp) / "timed")  # made before the clock starts, like dlt's DuckDB file is cheap to make
        pipeline_s, load = timed(lambda: ceiling.load_with_pipeline(env, lake))
        default = run_dlt(env, "default")
        parquet = run_dlt(env, "parquet")
    fastest = min(default["seconds"], parquet["seconds"])
    return {
        "rows": load.rows,
        "pipeline": {"seconds": round(pipeline_s, 2), "rows_per_s": round(load.rows / pipeline_s)},
        "dlt_default": _side(default),
        "dlt_parquet": _side(parquet),
        "dlt_version": parquet["dlt"],
        "pipeline_vs_dlt_fastest": round(fastest / pipeline_s, 2),
        "target_pipeline_vs_dlt_fastest": 8.0,
    }


def _side(result: dict) -> dict:
    return {
        "seconds": round(result["seconds"], 2),
        "rows": result["rows"],
        "rows_per_s": round(result["rows"] / result["seconds"]),
        "column_types": result["types"],
    }
