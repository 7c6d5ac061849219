"""Two Celery workers (dagster-celery, RabbitMQ) that share nothing but the lake's data path load
several administrations of the same two AFAS environments at once: AFAS never sees more than 5 calls
in flight per environment, and the lake holds exactly what a single-process load writes."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

import catalog
from catalog import Slicing
from afas_simulator import Realism, Simulator, default_config
from pipelines.demo import register
from assets.partitions import add_partitions, range_tags
from tests.celery_deployment import (
    CAP, INSTANCE_VARIABLES, celery_workers, job_execute, machine, migrate, rabbitmq_vhost, shared_env, steps_per_worker,
    tail,
)
from tests.postgres_server import fresh_database

pytestmark = [pytest.mark.end_to_end, pytest.mark.services, pytest.mark.usefixtures("live_defs_state_storage")]

ADMINISTRATION_TABLES = [c for c in catalog.CONNECTORS if not c.optional and c.slicing is Slicing.ADMINISTRATION]


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
        common = shared_env(broker=broker, dagster_url=dagster_db.url, lake_url=lake_db.url, lake_data=shared_data)
        launcher = machine(tmp_path / "launcher", common, afas_home)
        for name in INSTANCE_VARIABLES:
            monkeypatch.setenv(name, launcher[name])  # this process reads the launcher's instance too
        sim.config.realism.latency_per_request_s = 0.3
        migrate(launcher)
        worker_envs = [machine(tmp_path / "worker-1", common, afas_home), machine(tmp_path / "worker-2", common, afas_home)]
        with celery_workers(worker_envs, tmp_path) as worker_logs:
            # The administrations first (in the launcher's process), then all of them in one run whose
            # steps the two workers share.
            first = job_execute(launcher, "administrations_job", timeout_s=600)
            assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
            with dg.DagsterInstance.from_config(launcher["DAGSTER_HOME"]) as instance:
                lake = Warehouse(LakeSettings.postgres(lake_db.conninfo, str(shared_data)))
                keys = [f"{e}-{a}" for e, a in lake.query(
                    "SELECT environment, administration_id FROM administrations ORDER BY ALL").rows()]
                assert len({k.rsplit("-", 1)[0] for k in keys}) == 2 and len(keys) >= 4
                add_partitions(instance, keys)
                for member in members:
                    sim.stats[member].reset()
                done = job_execute(launcher, "administration_assets_job", range_tags(keys[0], keys[-1]), timeout_s=900)
                assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:] + tail(worker_logs)
                (run,) = instance.get_runs(dg.RunsFilter(job_name="administration_assets_job"))
                assert run.status == dg.DagsterRunStatus.SUCCESS
                hosts = set(steps_per_worker(instance, run.run_id))
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
