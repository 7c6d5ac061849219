"""Two Celery workers (dagster-celery, RabbitMQ) that share nothing but the lake's data path load
several administrations of the same two AFAS environments at once: AFAS never sees more than 5 calls
in flight per environment, and the lake holds exactly what a single-process load writes."""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import pytest

import catalog
from catalog import Slicing
from afas_simulator import Realism, Simulator, default_config
from pipelines.demo import register
from assets.partitions import add_partitions, range_tags
from tests.dagster_processes import BIN, ROOT, started
from tests.postgres_server import fresh_database

pytestmark = [pytest.mark.end_to_end, pytest.mark.services, pytest.mark.usefixtures("live_defs_state_storage")]

ADMINISTRATION_TABLES = [c for c in catalog.CONNECTORS if not c.optional and c.slicing is Slicing.ADMINISTRATION]
CAP = 5


@contextlib.contextmanager
def rabbitmq_vhost():
    """A virtual host of its own on the machine's RabbitMQ, deleted afterwards with all its queues."""
    if shutil.which("rabbitmqctl") is None:
        pytest.fail("rabbitmqctl is not on this machine: the Celery test needs the RabbitMQ server (port 5672)")
    name = f"afas_test_{secrets.token_hex(4)}"
    subprocess.run(["rabbitmqctl", "add_vhost", name], check=True, capture_output=True)
    try:
        subprocess.run(["rabbitmqctl", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"], check=True,
                       capture_output=True)
        yield f"amqp://guest:guest@127.0.0.1:5672/{name}"
    finally:
        subprocess.run(["rabbitmqctl", "delete_vhost", name], check=False, capture_output=True)


def _table(store, connector) -> list:
    return store.query(f"SELECT * EXCLUDE (loaded_at) FROM {connector.table} ORDER BY ALL").rows()


@pytest.mark.slow
def test_two_celery_workers_share_the_cap_and_the_lake(tmp_path, postgres_server, monkeypatch):
    from pipelines.definitions import defs
    from assets.resources import AfasResource, WarehouseResource
    from warehouse import LakeSettings, Warehouse
    from warehouse.store import close_all

    with rabbitmq_vhost() as broker, \
            fresh_database("afas_dagster", server_url=postgres_server) as dagster_db, \
            fresh_database("afas_lake", server_url=postgres_server) as lake_db, \
            Simulator(default_config(seed=11, environments=2, lines_per_period=5, realism=Realism.fast())).start() as sim:
        afas_home = tmp_path / "afas-home"
        members = sim.members()
        assert register([(sim.environment(m).spec.code, sim.base_url(m), sim.token_xml(m)) for m in members],
                        afas_home) == 0
        shared_data = tmp_path / "shared-lake-data"  # the one folder every machine sees
        common = {
            "PATH": f"{BIN}:/usr/bin:/bin",
            "DAGSTER_POSTGRES_URL": dagster_db.url.replace("postgresql://", "postgresql+psycopg2://", 1),
            "AFAS_EXECUTOR": "celery",
            "AFAS_CELERY_BROKER": broker,
            "AFAS_CELERY_BACKEND": "rpc://",
            "AFAS_WAREHOUSE": lake_db.url,
            "AFAS_WAREHOUSE_DATA": str(shared_data),
            "AFAS_MAX_IN_FLIGHT": str(CAP),
        }

        def machine(name: str) -> dict[str, str]:
            """A machine's own folders: Dagster's home, scratch and logs, the AFAS credentials, the data dir."""
            root = tmp_path / name
            (root / "dagster").mkdir(parents=True)
            shutil.copy(ROOT / "deploy" / "dagster.yaml", root / "dagster" / "dagster.yaml")
            shutil.copytree(afas_home, root / "afas-home")  # as `afas-pipeline connect` run on that machine
            return {**common, "DAGSTER_HOME": str(root / "dagster"), "DAGSTER_LOCAL_ARTIFACT_DIR": str(root / "artifacts"),
                    "DAGSTER_COMPUTE_LOG_DIR": str(root / "logs"), "AFAS_PIPELINE_HOME": str(root / "afas-home"),
                    "AFAS_DATA_DIR": str(root / "data")}

        launcher = machine("launcher")
        for name in ("DAGSTER_POSTGRES_URL", "DAGSTER_LOCAL_ARTIFACT_DIR", "DAGSTER_COMPUTE_LOG_DIR"):
            monkeypatch.setenv(name, launcher[name])  # this process reads the launcher's instance too
        sim.config.realism.latency_per_request_s = 0.3
        # Dagster's tables first, once: pieces started together on an empty database race creating
        # them ("relation instance_info already exists"), as the README's deployment steps say.
        migrated = subprocess.run([str(BIN / "dagster"), "instance", "migrate"], cwd=ROOT, env={**launcher},
                                  capture_output=True, text=True, timeout=300)
        assert migrated.returncode == 0, migrated.stdout[-3000:] + migrated.stderr[-3000:]
        worker_envs = [machine("worker-1"), machine("worker-2")]
        with contextlib.ExitStack() as workers:
            for i, env in enumerate(worker_envs, start=1):
                workers.enter_context(started(
                    ["dagster-celery", "worker", "start", "-A", "dagster_celery.app", "-y",
                     str(ROOT / "deploy" / "celery.yaml"), "-n", f"afas-{i}", "--", "--concurrency=2"],
                    env, tmp_path / f"worker-{i}.log"))
            # The administrations first (in the launcher's process), then all of them in one run whose
            # steps the two workers share.
            first = subprocess.run(
                [str(BIN / "dagster"), "job", "execute", "-m", "pipelines.definitions", "-a", "defs", "-j", "administrations_job"],
                cwd=ROOT, env={**launcher}, capture_output=True, text=True, timeout=600,
            )
            assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
            with dg.DagsterInstance.from_config(launcher["DAGSTER_HOME"]) as instance:
                lake = Warehouse(LakeSettings.postgres(lake_db.conninfo, str(shared_data)))
                keys = [f"{e}-{a}" for e, a in lake.query(
                    "SELECT environment, administration_id FROM administrations ORDER BY ALL").rows()]
                assert len({k.rsplit("-", 1)[0] for k in keys}) == 2 and len(keys) >= 4
                add_partitions(instance, keys)
                for member in members:
                    sim.stats[member].reset()
                done = subprocess.run(
                    [str(BIN / "dagster"), "job", "execute", "-m", "pipelines.definitions", "-a", "defs", "-j", "administration_assets_job",
                     "--tags", json.dumps(range_tags(keys[0], keys[-1]))],
                    cwd=ROOT, env={**launcher}, capture_output=True, text=True, timeout=900,
                )
                logs = "".join((tmp_path / f"worker-{i}.log").read_text()[-2000:] for i in (1, 2))
                assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:] + logs
                (run,) = instance.get_runs(dg.RunsFilter(job_name="administration_assets_job"))
                assert run.status == dg.DagsterRunStatus.SUCCESS
                hosts = {
                    e.dagster_event.engine_event_data.metadata["Celery worker"].value
                    for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
                    if e.dagster_event.engine_event_data and "Celery worker" in e.dagster_event.engine_event_data.metadata
                }
        assert {h.split("@")[0] for h in hosts} == {"afas-1", "afas-2"}, hosts  # both workers took steps
        in_flight = {m: sim.stats[m].max_in_flight for m in members}
        assert all(n <= CAP for n in in_flight.values()), in_flight
        assert max(in_flight.values()) == CAP, in_flight  # the load was wide enough to need the cap
        for env in worker_envs:  # nothing of a load was written to a worker's own disk but Dagster's scratch
            assert not (Path(env["AFAS_DATA_DIR"]) / "lake").exists()

        # The same load in one process, into a lake of its own: the shared lake must hold the same rows.
        with dg.instance_for_test() as single:
            add_partitions(single, keys)
            alone = LakeSettings.embedded(tmp_path / "single-process-lake")
            resources = {"afas": AfasResource.from_environment(home=str(afas_home), call_slots="files"),
                         "warehouse": WarehouseResource.from_environment(catalog=alone.catalog, data_path=alone.data_path)}
            sim.config.realism.latency_per_request_s = 0.0
            for job in ("administrations_job", "administration_assets_job"):
                tags = range_tags(keys[0], keys[-1]) if job != "administrations_job" else None
                assets = defs().resolve_job_def(job).asset_layer.executable_asset_keys
                result = dg.materialize([a for a in defs().assets if isinstance(a, dg.AssetsDefinition) and set(a.keys) & assets],
                                        selection=list(assets), instance=single, resources=resources, tags=tags)
                assert result.success
        try:
            reference = Warehouse(alone)
            for connector in [catalog.ADMINISTRATIONS, *ADMINISTRATION_TABLES]:
                expected = _table(reference, connector)
                assert expected and _table(lake, connector) == expected, connector.table
        finally:
            close_all()
