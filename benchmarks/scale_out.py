"""10. Scale-out: two Celery workers against one, same load: speed-up, with the AFAS cap respected.

A real deployment on this machine, as `tests/deploy/test_celery_workers.py` runs it
(`tests.celery_deployment`): a RabbitMQ virtual host, Dagster's instance in a fresh PostgreSQL
database, the lake's catalog in another, `deploy/dagster.yaml` in each "machine"'s DAGSTER_HOME, and
`dagster-celery` workers (`--concurrency=2` each) that share nothing but the lake's data path and
keep AFAS's cap (5 calls in flight per environment) through the shared call slots. The simulator
runs in its own process at AFAS-like latency (300 ms + 40 µs per row per call) and refuses a sixth
call in flight.

The load: `administration_assets_job` over every administration of 4 environments × 4
administrations (16 partitions), launched with `dagster job execute` as one range run. Measured twice,
each time in a fresh deployment (new Dagster database, new lake, new workers): once with one worker,
once with two. Timed is the wall time of that `dagster job execute` alone; the administrations
(`administrations_job`, which the partitions come from) are loaded before it, untimed. The simulator
builds and caches its rows on first use, so every slice is fetched once before (in this process,
without latency, into a throwaway embedded lake).

Why these sizes: the job is one step per administration-sliced connector (5 steps; each loads all
partitions of the range, 8 slices at once), so 4 step slots (two workers) have work for all but one
step while 2 slots (one worker) take three rounds — more administrations make the steps longer, not
more numerous. 4 environments give AFAS 20 call slots, more than the 16 slices one worker's two steps
fetch at once. 2,000 lines per period make the dossier items about 5,000 rows per administration, so
AFAS's per-row time counts too. Each deployment costs about 30 s of set-up (migrating Dagster's
tables, starting the workers, the administrations run); at these sizes the whole benchmark takes
1.5–2.5 minutes on 2 cores (85 s on a quiet machine, 2.5 min while it was shared).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

from benchmarks.common import environment_variables
from benchmarks.simulator_process import SimulatorProcess

ENVIRONMENTS = 4
ADMINISTRATIONS = 4
LINES_PER_PERIOD = 2_000
PER_REQUEST_S = 0.3
PER_ROW_S = 40e-6
CONCURRENCY = 2  # steps each worker runs at once (`-- --concurrency=2`)
# The most the job's 5 steps allow: 4 step slots finish them in 2 rounds, 2 slots in 3.
TARGET_SPEED_UP = 1.5


def _warm(folder: Path, afas_home: Path) -> list[str]:
    """Every slice of the load fetched once (no latency) into a throwaway embedded lake; returns the
    administrations' partition keys."""
    import dagster as dg

    from assets.partitions import add_partitions, range_tags
    from assets.resources import AfasResource, WarehouseResource
    from pipelines.definitions import defs
    from warehouse import LakeSettings, Warehouse

    lake = LakeSettings.embedded(folder / "lake")
    with environment_variables({"AFAS_DATA_DIR": str(folder / "data")}), dg.instance_for_test() as instance:
        resources = {"afas": AfasResource.from_environment(home=str(afas_home), call_slots="files"),
                     "warehouse": WarehouseResource.from_environment(catalog=lake.catalog, data_path=lake.data_path)}
        keys: list[str] = []
        for job in ("administrations_job", "administration_assets_job"):
            if keys:
                add_partitions(instance, keys)
            assets = defs().resolve_job_def(job).asset_layer.executable_asset_keys
            result = dg.materialize([a for a in defs().assets if isinstance(a, dg.AssetsDefinition) and set(a.keys) & assets],
                                    selection=list(assets), instance=instance, resources=resources,
                                    tags=range_tags(keys[0], keys[-1]) if keys else None)
            assert result.success, job
            if not keys:
                keys = [f"{e}-{a}" for e, a in Warehouse(lake).query(
                    "SELECT environment, administration_id FROM administrations ORDER BY ALL").rows()]
    return keys


def _cpu_ticks() -> tuple[int, int]:
    """The machine's busy and total CPU time so far, in clock ticks (all cores, from /proc/stat)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _received(logs: list[Path], began: float) -> dict[str, list[float]]:
    """When each worker took a step's task off the queue (Celery's "Task … received", seconds after the
    run began): a worker reserves a task while its processes are still busy with others."""
    found = {}
    for i, log in enumerate(logs, start=1):
        stamps = re.findall(r"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/MainProcess\] Task execute_plan\[[^\]]+\] "
                            r"received", log.read_text(errors="replace"))
        found[f"afas-{i}"] = [round(dt.datetime.strptime(t, "%Y-%m-%d %H:%M:%S,%f").timestamp() - began, 2) for t in stamps]
    return found


def _steps(instance, run_id: str) -> tuple[float, list[dict]]:
    """When the run began, and each step of the run: the worker that took it, when it started (seconds
    after the run began) and how long it ran."""
    import dagster as dg

    events = instance.all_logs(run_id)
    began = min(e.timestamp for e in events if e.dagster_event and e.dagster_event.event_type == dg.DagsterEventType.RUN_START)
    steps: dict[str, dict] = {}
    for e in events:
        de = e.dagster_event
        if de is None or not e.step_key:
            continue
        step = steps.setdefault(e.step_key, {"step": e.step_key})
        if de.event_type == dg.DagsterEventType.ENGINE_EVENT and de.engine_event_data and \
                "Celery worker" in de.engine_event_data.metadata:
            step["worker"] = de.engine_event_data.metadata["Celery worker"].value.split("@")[0]
        elif de.event_type == dg.DagsterEventType.STEP_START:
            step["started_s"] = round(e.timestamp - began, 2)
            step["_start"] = e.timestamp
        elif de.event_type in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
            step["seconds"] = round(e.timestamp - step.get("_start", e.timestamp), 2)
    for step in steps.values():
        step.pop("_start", None)
    return began, sorted(steps.values(), key=lambda s: s.get("started_s", 0))


def _deployment_load(sim: SimulatorProcess, folder: Path, afas_home: Path, broker: str, keys: list[str],
                     workers: int) -> tuple[dict, object]:
    """One fresh deployment with `workers` workers; the timed run of administration_assets_job.
    Returns the figures and the lake's settings (its databases are dropped when the block ends, so the
    lake's rows are read into the figures' `_tables` here)."""
    import dagster as dg

    import catalog
    from catalog import Slicing
    from assets.partitions import add_partitions, range_tags
    from tests.celery_deployment import (
        INSTANCE_VARIABLES, celery_workers, job_execute, machine, migrate, shared_env, steps_per_worker, tail,
        wait_until_ready,
    )
    from tests.postgres_server import fresh_database
    from warehouse import LakeSettings, Warehouse
    from warehouse.store import close_all

    with fresh_database("afas_dagster") as dagster_db, fresh_database("afas_lake") as lake_db:
        try:
            shared_data = folder / "shared-lake-data"
            common = shared_env(broker=broker, dagster_url=dagster_db.url, lake_url=lake_db.url, lake_data=shared_data)
            launcher = machine(folder / "launcher", common, afas_home)
            migrate(launcher)
            worker_envs = [machine(folder / f"worker-{i}", common, afas_home) for i in range(1, workers + 1)]
            with celery_workers(worker_envs, folder, CONCURRENCY) as logs, \
                    environment_variables({name: launcher[name] for name in INSTANCE_VARIABLES}):
                wait_until_ready(logs)
                first = job_execute(launcher, "administrations_job", timeout_s=600)
                if first.returncode:
                    raise RuntimeError("administrations_job failed: " + first.stdout[-3000:] + first.stderr[-3000:])
                with dg.DagsterInstance.from_config(launcher["DAGSTER_HOME"]) as instance:
                    add_partitions(instance, keys)
                    sim.reset_stats()
                    busy_before, total_before = _cpu_ticks()
                    started = time.perf_counter()
                    done = job_execute(launcher, "administration_assets_job", range_tags(keys[0], keys[-1]),
                                       timeout_s=900)
                    seconds = time.perf_counter() - started
                    busy_after, total_after = _cpu_ticks()
                    if done.returncode:
                        raise RuntimeError("administration_assets_job failed: " + done.stdout[-3000:]
                                           + done.stderr[-3000:] + tail(logs))
                    (run,) = instance.get_runs(dg.RunsFilter(job_name="administration_assets_job"))
                    per_worker = steps_per_worker(instance, run.run_id)
                    began, steps = _steps(instance, run.run_id)
                # The administrations run's task is in the logs too: only the ones after this run began.
                received = {w: [t for t in ts if t >= 0] for w, ts in _received(logs, began).items()}
            envs = sim.environments()
            logs_by_env = {e.code: sim.requests(e.member) for e in envs}
            max_in_flight = {e.code: sim.counts(e.member)["max_in_flight"] for e in envs}
            lake = Warehouse(LakeSettings.postgres(lake_db.conninfo, str(shared_data)))
            tables = {c.table: lake.query(f"SELECT * EXCLUDE (loaded_at) FROM {c.table} ORDER BY ALL").rows()
                      for c in [catalog.ADMINISTRATIONS, *catalog.CONNECTORS]
                      if c is catalog.ADMINISTRATIONS or (not c.optional and c.slicing is Slicing.ADMINISTRATION)}
        finally:
            close_all()  # before the lake's database is dropped
    calls = sum(len(log) for log in logs_by_env.values())
    # The floor AFAS itself sets: the busiest environment's answer time over its 5 call slots.
    floor = max(sum(r["seconds"] for r in log) for log in logs_by_env.values()) / 5
    figures = {
        "workers": workers,
        "seconds": round(seconds, 2),
        "afas_calls": calls,
        "afas_errors": sum(1 for log in logs_by_env.values() for r in log if r["status"] >= 400),
        "afas_floor_s": round(floor, 2),
        # How busy the machine's cores were during the timed run (every process on it, the other
        # engineer's included): near 1.0 the load is bound by CPU, not by AFAS.
        "machine_cpu_busy": round((busy_after - busy_before) / max(1, total_after - total_before), 3),
        "max_in_flight": max_in_flight,
        "steps_per_worker": {host.split("@")[0]: n for host, n in sorted(per_worker.items())},
        "steps": steps,
        "tasks_received_s": received,
    }
    return figures, tables


def run() -> dict:
    from pipelines.demo import register
    from tests.celery_deployment import CAP, rabbitmq_vhost

    args = ["--environments", str(ENVIRONMENTS), "--administrations", str(ADMINISTRATIONS),
            "--lines-per-period", str(LINES_PER_PERIOD), "--max-in-flight", str(CAP)]
    with contextlib.ExitStack() as stack:
        sim = stack.enter_context(SimulatorProcess(*args))
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        broker = stack.enter_context(rabbitmq_vhost())
        envs = sim.environments()
        afas_home = tmp / "afas-home"
        with redirect_stdout(io.StringIO()):
            if register([(e.code, e.base_url, e.token_xml) for e in envs], afas_home):
                raise RuntimeError("could not register the simulator's environments")
        keys = _warm(tmp / "warm", afas_home)
        sim.set_realism(latency_per_request_s=PER_REQUEST_S, latency_per_row_s=PER_ROW_S, max_in_flight=CAP)
        one, one_tables = _deployment_load(sim, tmp / "one-worker", afas_home, broker, keys, 1)
        two, two_tables = _deployment_load(sim, tmp / "two-workers", afas_home, broker, keys, 2)
    rows = sum(len(r) for table, r in one_tables.items() if table != "administrations")
    seen = [n for r in (one, two) for n in r["max_in_flight"].values()]
    return {
        "environments": ENVIRONMENTS,
        "administrations": len(keys),
        "rows": rows,
        "rows_per_table": {table: len(r) for table, r in one_tables.items()},
        "steps": len(one["steps"]),
        "concurrency_per_worker": CONCURRENCY,
        "cores": os.cpu_count(),
        "one_worker_s": one["seconds"],
        "two_workers_s": two["seconds"],
        "speed_up": round(one["seconds"] / two["seconds"], 3),
        "cap": CAP,
        "max_in_flight_seen": max(seen),
        "cap_respected": max(seen) <= CAP and not one["afas_errors"] and not two["afas_errors"],
        "same_rows": one_tables == two_tables and rows > 0,
        "one_worker": one,
        "two_workers": two,
        "latency": f"{PER_REQUEST_S * 1000:.0f} ms + {PER_ROW_S * 1e6:.0f} µs/row, {CAP} in flight",
        "target_speed_up": TARGET_SPEED_UP,
    }
