"""Helpers for running the Dagster assets against the simulator in tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

import catalog
from assets.factory import asset_key
from pipelines.definitions import defs
from pipelines.demo import register
from assets.partitions import add_partitions
from assets.resources import AfasResource, WarehouseResource
from pipelines.sensors import new_administration_keys
from tests.conftest import MEMBER

ENV = "o12345"


@dataclass
class Pipeline:
    """One simulator environment registered in a temporary home, a temporary warehouse, a test instance."""

    sim: object
    home: Path
    data: Path
    instance: dg.DagsterInstance
    catalog: str | None = None  # the lake's catalog; default an embedded one under `data`
    data_path: str | None = None  # the lake's data files; default under `data`

    @property
    def resources(self) -> dict:
        return {
            "afas": AfasResource.from_environment(home=str(self.home)),
            "warehouse": WarehouseResource.from_environment(catalog=self.catalog or f"sqlite:{self.data / 'lake' / 'catalog.sqlite'}",
                                           data_path=self.data_path or str(self.data / "lake" / "data")),
        }

    def warehouse(self):
        return self.resources["warehouse"].warehouse()

    def assets(self, *connectors) -> list[dg.AssetsDefinition]:
        keys = {asset_key(c) for c in connectors}
        return [a for a in defs().assets if isinstance(a, dg.AssetsDefinition) and set(a.keys) & keys]

    def materialize(self, connectors, partition_key: str | None = None, raise_on_error: bool = True):
        return dg.materialize(
            self.assets(*connectors), selection=[asset_key(c) for c in connectors], instance=self.instance,
            partition_key=partition_key, resources=self.resources, raise_on_error=raise_on_error,
        )

    def load_administrations(self) -> list[str]:
        self.materialize([catalog.ADMINISTRATIONS])
        new = new_administration_keys(self.instance, self.resources["warehouse"])
        add_partitions(self.instance, new)
        return new

    def table(self, connector, where: str = "") -> "object":
        clause = f" WHERE {where}" if where else ""
        return self.warehouse().query(f"SELECT * EXCLUDE (loaded_at) FROM {connector.table}{clause} ORDER BY ALL")


def start_pipeline(sim, tmp_path: Path, instance: dg.DagsterInstance) -> Pipeline:
    spec = sim.environment(MEMBER).spec
    home = tmp_path / "home"
    assert register([(spec.code, sim.base_url(MEMBER), sim.token_xml(MEMBER))], home) == 0
    return Pipeline(sim, home, tmp_path / "data", instance)


def failure_metadata(result: dg.ExecuteInProcessResult) -> dict:
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            data = event.step_failure_data.user_failure_data
            return {k: v.value for k, v in (data.metadata if data else {}).items()}
    raise AssertionError("the run did not fail")
