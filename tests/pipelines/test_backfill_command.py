"""`afas-pipeline backfill`: a range of an administration's periods in one launched run, and clear errors."""

from __future__ import annotations

import io

import dagster as dg
import pytest

import catalog
from afas_simulator import Realism, Simulator, default_config
from pipelines.cli import main as cli
from pipelines.demo import register

# Dagster runs in process: minutes in all.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("live_defs_state_storage")]

MEMBER = "12345"


@pytest.fixture
def instance_with_partitions(tmp_path, monkeypatch):
    home = tmp_path / "dagster"
    home.mkdir()
    # Runs start at once (no daemon in this test); a deployment's queue holds them for the daemon instead.
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n"
        "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: DefaultRunCoordinator\n")
    for key, value in {"DAGSTER_HOME": str(home), "AFAS_PIPELINE_HOME": str(tmp_path / "home"),
                       "AFAS_DATA_DIR": str(tmp_path / "data"), "AFAS_FIRST_YEAR": "2025"}.items():
        monkeypatch.setenv(key, value)
    with Simulator(default_config(seed=3, environments=1, administrations=1, lines_per_period=10, realism=Realism.fast())).start() as sim:
        spec = sim.environment(MEMBER).spec
        assert register([(spec.code, sim.base_url(MEMBER), sim.token_xml(MEMBER))], tmp_path / "home") == 0
        with dg.DagsterInstance.get() as instance:
            from pipelines.load_all import _in_process
            from assets.partitions import add_partitions
            from assets.resources import WarehouseResource
            from pipelines.sensors import new_administration_keys

            with _in_process(instance) as run_many:
                assert all(done.success for _, done in run_many([("administrations_job", {}, "")]))
            add_partitions(instance, new_administration_keys(instance, WarehouseResource.from_environment()))
            yield sim, instance


def backfill(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli(["backfill", *args], out=out), out.getvalue()


def test_a_range_of_periods_loads_in_one_run_of_the_period_job(instance_with_partitions):
    sim, instance = instance_with_partitions
    status, text = backfill("o12345-1", "2025-02", "2025-04", "--wait")
    assert status == 0, text
    (record,) = instance.get_run_records(dg.RunsFilter(job_name="period_assets_job"))
    run = record.dagster_run
    assert run.tags["dagster/asset_partition_range_start"] == "o12345-1|2025-02"
    assert run.tags["dagster/asset_partition_range_end"] == "o12345-1|2025-04"
    assert run.tags["afas/environment"] == "o12345" and run.remote_job_origin is not None  # on the job's page
    periods = {e.partition.split("|")[1] for e in (r.event_log_entry.asset_materialization for r in
               instance.fetch_materializations(dg.AssetKey(catalog.TRANSACTIONS.table), limit=100).records)}
    assert periods == {"2025-02", "2025-03", "2025-04"}
    truth = sum(sim.environment(MEMBER).data.frame(catalog.TRANSACTIONS.id, 1, 2025, p).height for p in (2, 3, 4))
    assert f"transactions {truth:,} rows" in text


@pytest.mark.parametrize("args, says", [
    (("o12345-9", "2025-01", "2025-02"), "o12345-9 is not an administration partition of this instance (known: o12345-1)"),
    (("o12345-1", "2025-1", "2025-02"), "'2025-1' is not a period"),
    (("o12345-1", "2025-05", "2025-02"), "the last period 2025-02 comes before the first 2025-05"),
    (("o12345-1", "2019-01", "2025-02"), "no period partition 2019-01"),
])
def test_a_wrong_range_is_refused_with_what_to_do(instance_with_partitions, args, says):
    _, instance = instance_with_partitions
    status, text = backfill(*args)
    assert status == 2 and says in text, text
    assert not instance.get_run_records(dg.RunsFilter(job_name="period_assets_job"))
