"""6. Dagster overhead: a backfill of 3 administrations × 24 periods through Dagster, against the same
slices loaded by the same code with client and warehouse directly.

Through Dagster: `period_assets_job`, one run per administration over its 24 periods (the shape a UI
backfill takes with the assets' single-run backfill policy), on a Dagster instance with its event
log in SQLite — per slice a materialization with metadata, asset checks, the reconciliation check.
Directly: `load_together` (a period's books in one commit) for the same slices and connectors (transactions, allocated transactions,
period values, in that order per slice), with the same number of slices at once.

Measured twice: with no latency (CPU-bound, where Dagster's own work shows fully) and with AFAS-like
latency (300 ms + 40 µs per row per call), where it can overlap the waits for AFAS.
"""

from __future__ import annotations

import statistics
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import pipeline_environment, temp_warehouse, timed
from benchmarks.simulator_process import SimulatorProcess

ADMINISTRATIONS = 3
PERIODS = 24
FIRST_PERIOD = "2025-01"
LINES_PER_PERIOD = 2_000
REPEATS = 1
PER_REQUEST_S = 0.3  # the second measurement, with AFAS-like latency
PER_ROW_S = 40e-6


def run() -> dict:
    import dagster as dg

    from afas.client import AfasClient
    from assets.factory import BOOKS, SLICES_AT_ONCE
    from assets.loading import load_together
    from catalog.slices import Slice
    from pipelines.definitions import defs
    from assets.partitions import (
        AdministrationRef, add_partitions, PeriodRef, period_keys, period_range_tags,
    )
    from assets.resources import AfasResource

    keys = period_keys()
    periods = [PeriodRef.parse(k) for k in keys[keys.index(FIRST_PERIOD):][:PERIODS]]
    args = ["--administrations", str(ADMINISTRATIONS), "--lines-per-period", str(LINES_PER_PERIOD)]
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    with SimulatorProcess(*args) as sim, tempfile.TemporaryDirectory() as tmp:
        env = sim.environment()
        with pipeline_environment(Path(tmp) / "setup", env), dg.instance_for_test() as instance:
            name = AfasResource.from_environment().environment_names()[0]
            admins = [AdministrationRef(name, unit) for unit in range(1, ADMINISTRATIONS + 1)]
            connection = AfasResource.from_environment().store().connections([name])[0]

            def direct(folder: Path) -> int:
                store = temp_warehouse(folder)
                specs = [Slice(name, a.administration_id, p.year, p.period) for a in admins for p in periods]
                with AfasClient(connection) as client:
                    def one(spec: Slice) -> int:  # a period's books in one commit, as the asset does
                        return sum(load.rows for _, load in load_together(client, store, BOOKS, spec))

                    with ThreadPoolExecutor(SLICES_AT_ONCE) as pool:
                        return sum(pool.map(one, specs))

            def through_dagster(folder: Path) -> int:
                with pipeline_environment(folder, env):
                    add_partitions(instance, [a.key for a in admins])
                    job = defs().resolve_job_def("period_assets_job")
                    rows = 0
                    for admin in admins:
                        result = job.execute_in_process(
                            instance=instance, run_config=quiet, tags=period_range_tags(admin, periods[0], periods[-1]))
                        assert result.success
                        rows += sum(int(e.materialization.metadata["rows"].value)
                                    for e in result.get_asset_materialization_events())
                    return rows

            direct(Path(tmp) / "warm")  # the simulator builds and caches its rows once
            dagster_times, direct_times = [], []
            for i in range(REPEATS):
                seconds, dagster_rows = timed(lambda: through_dagster(Path(tmp) / f"dagster{i}"))
                dagster_times.append(seconds)
                seconds, direct_rows = timed(lambda: direct(Path(tmp) / f"direct{i}"))
                direct_times.append(seconds)
            sim.set_realism(latency_per_request_s=PER_REQUEST_S, latency_per_row_s=PER_ROW_S)
            dagster_latency_s, _ = timed(lambda: through_dagster(Path(tmp) / "dagster-latency"))
            direct_latency_s, _ = timed(lambda: direct(Path(tmp) / "direct-latency"))
    d, x = statistics.median(dagster_times), statistics.median(direct_times)
    return {
        "slices": ADMINISTRATIONS * PERIODS,
        "connectors_per_slice": len(BOOKS),
        "rows": direct_rows,
        "rows_through_dagster": dagster_rows,
        "dagster_s": round(d, 2),
        "dagster_runs_s": [round(t, 2) for t in dagster_times],
        "direct_s": round(x, 2),
        "direct_runs_s": [round(t, 2) for t in direct_times],
        "overhead": round(d / x - 1, 3),
        "latency": f"{PER_REQUEST_S * 1000:.0f} ms + {PER_ROW_S * 1e6:.0f} µs/row",
        "dagster_with_latency_s": round(dagster_latency_s, 2),
        "direct_with_latency_s": round(direct_latency_s, 2),
        "overhead_with_latency": round(dagster_latency_s / direct_latency_s - 1, 3),
        "target_overhead": 0.20,
    }
