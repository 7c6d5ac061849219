"""End to end: `dagster dev` as a user starts it, a backfill launched through the same GraphQL mutation
the UI uses, against a simulator behaving like AFAS Online (latency at a tenth, transient faults), and
the lake checked row for row against the simulator's ground truth."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import catalog
from afas_simulator import Realism, Simulator, default_config
from pipelines.demo import register
from pipelines.simulator_check import compare_with_simulator
from tests.dagster_processes import dagster_dev, graphql

pytestmark = [pytest.mark.end_to_end, pytest.mark.usefixtures("live_defs_state_storage")]

ADMINS = ["o12345-1", "o12345-2"]
PERIODS = ["2025-01", "2025-02", "2025-03"]
PERIOD_ASSETS = [catalog.PERIOD_VALUES, catalog.TRANSACTIONS, catalog.TRANSACTIONS_ALLOCATED]

LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on UnauthorizedError { message }
    ... on PartitionSetNotFoundError { message }
    ... on InvalidSubsetError { message }
  }
}"""
STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status }
    ... on PythonError { message }
  }
}"""


@pytest.mark.slow
def test_ui_backfill_over_administrations_and_periods(tmp_path, monkeypatch):
    env = {
        "AFAS_PIPELINE_HOME": str(tmp_path / "home"),
        "AFAS_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    Path(env["DAGSTER_HOME"]).mkdir()
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    config = default_config(seed=99, environments=1, lines_per_period=25, realism=Realism.rehearsal())
    with Simulator(config).start() as sim:
        spec = sim.environment("12345").spec
        assert register([(spec.code, sim.base_url("12345"), sim.token_xml("12345"))], tmp_path / "home") == 0

        # The administrations asset and its partitions, as the sensor would add them.
        import dagster as dg

        from pipelines.definitions import defs
        from assets.partitions import add_partitions
        from assets.resources import WarehouseResource
        from pipelines.sensors import new_administration_keys

        with dg.DagsterInstance.get() as instance:
            assert defs().resolve_job_def("administrations_job").execute_in_process(instance=instance).success
            add_partitions(instance, new_administration_keys(instance, WarehouseResource.from_environment()))

        # Beside the profile's random faults, a few certain ones while the backfill pages.
        for kind, connector in (("500", catalog.TRANSACTIONS), ("reset", catalog.TRANSACTIONS_ALLOCATED),
                                ("500", catalog.PERIOD_VALUES)):
            sim.faults.script(kind, times=2, connector=connector.id)
        with dagster_dev(env, tmp_path) as url:
            params = {
                "assetSelection": [{"path": [c.table]} for c in PERIOD_ASSETS],
                "partitionNames": [f"{a}|{p}" for a in ADMINS for p in PERIODS],
                "fromFailure": False,
            }
            launched = graphql(url, LAUNCH, {"params": params})["launchPartitionBackfill"]
            assert launched["__typename"] == "LaunchBackfillSuccess", launched
            deadline = time.monotonic() + 600
            while True:
                status = graphql(url, STATUS, {"id": launched["backfillId"]})["partitionBackfillOrError"]["status"]
                if status in ("COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"):
                    break
                assert time.monotonic() < deadline, f"backfill still {status}"
                time.sleep(2)
            assert status in ("COMPLETED", "COMPLETED_SUCCESS"), (tmp_path / "dagster-dev.log").read_text()[-5000:]

        assert not sim.faults.pending(), "the scripted faults were all met"
        store = WarehouseResource.from_environment().warehouse()
        data = sim.environment("12345").data
        units = [int(a.rsplit("-", 1)[1]) for a in ADMINS]
        periods = [tuple(int(x) for x in p.split("-")) for p in PERIODS]
        compared = compare_with_simulator(store, data, "o12345", connectors=PERIOD_ASSETS, units=units, periods=periods)
        assert [c.table for c in compared] == [c.table for c in PERIOD_ASSETS]
        for table in compared:
            assert table.exact and table.loaded > 0, str(table)
