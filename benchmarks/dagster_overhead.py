"""6. Dagster overhead: a backfill of 3 administrations × 24 periods through Dagster, against the same
slices loaded by the same code with client and warehouse directly.

Through Dagster: `period_assets_job`, one run per administration over its 24 periods (the shape a UI
backfill takes with the assets' single-run backfill policy) — per slice a materialization with
metadata, asset checks, the reconciliation check. The headline runs on a Dagster instance whose runs
and events are in PostgreSQL (a fresh database on the machine's server, as `deploy/dagster.yaml`
deploys it); the same on Dagster's default SQLite instance (`make demo`, `make ui`) stands beside it.
Directly: `load_together` (a period's books in one commit) for the same slices and connectors
(transactions, allocated transactions, period values, in that order per slice), in the same shape: one
administration after the other, its 24 periods with as many slices at once as a run loads
(`SLICES_AT_ONCE`). So both sides have the same tail at the end of each administration, and the
difference is Dagster's own work.

Measured with no latency (CPU-bound, where Dagster's own work shows fully) and with AFAS-like latency
(300 ms + 40 µs per row per call), where it can overlap the waits for AFAS. Both sides start from a
new lake (embedded, SQLite catalog; the lake's catalog is the same on both sides and not what is
measured here).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.common import environment_variables, pipeline_environment, temp_warehouse, timed
from benchmarks.simulator_process import SimulatorProcess

ADMINISTRATIONS = 3
PERIODS = 24
FIRST_PERIOD = "2025-01"
LINES_PER_PERIOD = 2_000
PER_REQUEST_S = 0.3  # the second measurement, with AFAS-like latency
PER_ROW_S = 40e-6
ROOT = Path(__file__).resolve().parents[1]


def _postgres_instance(stack, storage: dict):
    """A Dagster instance with runs, events and schedules in a fresh PostgreSQL database (dropped
    after), its storage configured by `storage` as in a dagster.yaml (URL from DAGSTER_POSTGRES_URL)."""
    import dagster as dg

    from tests.postgres_server import fresh_database

    db = stack.enter_context(fresh_database("afas_bench_dagster"))
    # psycopg2 named: with a bare postgresql:// SQLAlchemy picks psycopg 3, which dagster-postgres fails on.
    stack.enter_context(environment_variables({"DAGSTER_POSTGRES_URL": db.url.replace("postgresql://", "postgresql+psycopg2://", 1)}))
    return stack.enter_context(dg.instance_for_test(overrides={"storage": storage}))


def run() -> dict:
    import dagster as dg
    import yaml

    from afas.client import AfasClient
    from assets.factory import BOOKS, SLICES_AT_ONCE
    from assets.loading import load_together
    from assets.partitions import AdministrationRef, PeriodRef, add_partitions, period_keys, period_range_tags
    from assets.resources import AfasResource
    from catalog.slices import Slice
    from pipelines.definitions import defs

    keys = period_keys()
    periods = [PeriodRef.parse(k) for k in keys[keys.index(FIRST_PERIOD):][:PERIODS]]
    args = ["--administrations", str(ADMINISTRATIONS), "--lines-per-period", str(LINES_PER_PERIOD)]
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    with SimulatorProcess(*args) as sim, tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        tmp = Path(tmp)
        env = sim.environment()
        stack.enter_context(pipeline_environment(tmp / "setup", env))
        deployed = yaml.safe_load((ROOT / "deploy" / "dagster.yaml").read_text())["storage"]
        instances = {"postgres": _postgres_instance(stack, deployed),
                     # dagster-postgres as it comes: a new connection per statement (what deploy/ changes)
                     "postgres_unpooled": _postgres_instance(stack, {"postgres": deployed["custom"]["config"]}),
                     "sqlite": stack.enter_context(dg.instance_for_test())}
        assert type(instances["postgres"].event_log_storage).__name__ == "PostgresEventLogStorage"
        name = AfasResource.from_environment().environment_names()[0]
        admins = [AdministrationRef(name, unit) for unit in range(1, ADMINISTRATIONS + 1)]
        connection = AfasResource.from_environment().store().connections([name])[0]

        def direct(folder: Path) -> int:
            store = temp_warehouse(folder)
            rows = 0
            with AfasClient(connection) as client:
                def one(spec: Slice) -> int:  # a period's books in one commit, as the asset does
                    return sum(load.rows for _, load in load_together(client, store, BOOKS, spec))

                for admin in admins:  # as the runs: one administration after the other
                    specs = [Slice(name, admin.administration_id, p.year, p.period) for p in periods]
                    with ThreadPoolExecutor(SLICES_AT_ONCE) as pool:
                        rows += sum(pool.map(one, specs))
            return rows

        last_runs: list[str] = []  # of the last measurement through Dagster

        def through_dagster(instance, folder: Path) -> int:
            last_runs.clear()
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
                    last_runs.append(result.run_id)
                return rows

        direct(tmp / "warm")  # the simulator builds and caches its rows once
        postgres_s, postgres_rows = timed(lambda: through_dagster(instances["postgres"], tmp / "postgres"))
        stored = Counter(e.dagster_event.event_type_value if e.dagster_event else "LOG_MESSAGE"
                         for run_id in last_runs for e in instances["postgres"].all_logs(run_id))
        direct_s, direct_rows = timed(lambda: direct(tmp / "direct"))
        unpooled_s, _ = timed(lambda: through_dagster(instances["postgres_unpooled"], tmp / "postgres-unpooled"))
        sqlite_s, sqlite_rows = timed(lambda: through_dagster(instances["sqlite"], tmp / "sqlite"))
        sim.set_realism(latency_per_request_s=PER_REQUEST_S, latency_per_row_s=PER_ROW_S)
        postgres_latency_s, _ = timed(lambda: through_dagster(instances["postgres"], tmp / "postgres-latency"))
        direct_latency_s, _ = timed(lambda: direct(tmp / "direct-latency"))
        sqlite_latency_s, _ = timed(lambda: through_dagster(instances["sqlite"], tmp / "sqlite-latency"))
    return {
        "slices": ADMINISTRATIONS * PERIODS,
        "runs": ADMINISTRATIONS,
        "connectors_per_slice": len(BOOKS),
        "rows": direct_rows,
        "rows_through_dagster": {"postgres": postgres_rows, "sqlite": sqlite_rows},
        "direct_s": round(direct_s, 2),
        "postgres_s": round(postgres_s, 2),
        "sqlite_s": round(sqlite_s, 2),
        "postgres_unpooled_s": round(unpooled_s, 2),
        "overhead_postgres_unpooled": round(unpooled_s / direct_s - 1, 3),
        "overhead": round(postgres_s / direct_s - 1, 3),
        "overhead_sqlite": round(sqlite_s / direct_s - 1, 3),
        "events_stored_per_run": {kind: round(n / ADMINISTRATIONS) for kind, n in stored.most_common()},
        "latency": f"{PER_REQUEST_S * 1000:.0f} ms + {PER_ROW_S * 1e6:.0f} µs/row",
        "direct_with_latency_s": round(direct_latency_s, 2),
        "postgres_with_latency_s": round(postgres_latency_s, 2),
        "sqlite_with_latency_s": round(sqlite_latency_s, 2),
        "overhead_with_latency": round(postgres_latency_s / direct_latency_s - 1, 3),
        "overhead_with_latency_sqlite": round(sqlite_latency_s / direct_latency_s - 1, 3),
        "target_overhead": 0.20,
    }
