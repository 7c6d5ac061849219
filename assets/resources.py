"""Dagster resources: the AFAS environments and the DuckDB warehouse, configured from the environment.

Variables (also read from `.env` by `dagster dev`):
- `AFAS_PIPELINE_HOME`: where `afas-pipeline connect` stored the environments (default
  `~/.config/afas-pipeline`); or one environment from `AFAS_ENVIRONMENT_CODE` + `AFAS_TOKEN`.
- `AFAS_DATA_DIR`: the data folder (default `data`); the embedded lake lives in `<data dir>/lake/`.
- `AFAS_WAREHOUSE`, `AFAS_WAREHOUSE_DATA`: which DuckLake (see `warehouse.settings`): by default the
  embedded one (SQLite catalog); `postgres:…` for a lake shared by several machines.
- `AFAS_MAX_IN_FLIGHT`: AFAS calls in flight per environment across all runs (default 5, at most 8).
- `AFAS_CALL_SLOTS`: where that cap is kept: `files` (lock files in the data folder: every run on one
  machine) or `postgres:CONNINFO` / `postgresql://…` (advisory locks: every worker on every machine).
  Default: the lake's catalog database when the lake is on PostgreSQL, else `files`.
- `AFAS_SLOT_WAIT_S`: the longest a call waits for one of those slots before it fails (default 600).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import dagster as dg

from afas.client import AfasClient
from afas.errors import ConfigurationError
from afas.limits import DEFAULT_SLOT_WAIT_S
from afas.settings import ClientSettings
from settings.data_dir import data_dir
from afas.environments import EnvironmentStore
from warehouse import LakeSettings, Warehouse

_clients: dict[tuple, AfasClient] = {}
_clients_lock = threading.Lock()


class AfasResource(dg.ConfigurableResource):
    """The configured AFAS environments; hands out one client per environment and process.

    Attributes:
        home: the environment store folder; default `$AFAS_PIPELINE_HOME` or `~/.config/afas-pipeline`.
        max_in_flight: calls in flight per environment, shared by every run that shares the slots (1..8).
        call_slots: like `AFAS_CALL_SLOTS` (overrides it, for tests).
        slot_wait_s: like `AFAS_SLOT_WAIT_S`.
    """

    home: str | None = None
    max_in_flight: int = int(os.environ.get("AFAS_MAX_IN_FLIGHT") or 5)
    call_slots: str | None = None
    slot_wait_s: float = float(os.environ.get("AFAS_SLOT_WAIT_S") or DEFAULT_SLOT_WAIT_S)

    def store(self) -> EnvironmentStore:
        return EnvironmentStore(Path(self.home) if self.home else None)

    def environment_names(self) -> list[str]:
        return [e.name for e in self.store().entries()]

    def client(self, environment: str) -> AfasClient:
        store = self.store()
        postgres = self.slots_database()
        key = (str(store.home), environment, self.max_in_flight, postgres, self.slot_wait_s)
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                (connection,) = store.connections([environment])
                settings = ClientSettings(
                    max_in_flight=self.max_in_flight,
                    shared_slots_postgres=postgres,
                    shared_slots_dir=None if postgres else str(data_dir() / "afas-slots"),
                    slot_wait_s=self.slot_wait_s,
                )
                client = _clients[key] = AfasClient(connection, settings)
            return client

    def slots_database(self) -> str | None:
        """The PostgreSQL conninfo that keeps the cap across machines, or None for this machine's lock files."""
        choice = (self.call_slots or os.environ.get("AFAS_CALL_SLOTS") or "").strip()
        if choice == "files":
            return None
        if choice.startswith(("postgresql://", "postgres://")):
            return choice
        if choice.startswith("postgres:"):
            return choice.removeprefix("postgres:")
        if choice:
            raise ConfigurationError(
                "AFAS_CALL_SLOTS must be 'files', 'postgres:CONNINFO' or 'postgresql://…' (the value is not "
                "repeated here in case it holds a secret)"
            )
        lake = LakeSettings.from_environment(data_dir())
        return lake.catalog.removeprefix("postgres:") if lake.kind == "postgres" else None


class WarehouseResource(dg.ConfigurableResource):
    """The DuckLake the pipeline writes and analysts attach read-only.

    Configure it with the `AFAS_WAREHOUSE*` variables (a PostgreSQL password in `PGPASSWORD`, never
    here: resource values are shown in Dagster's UI). The attributes override them, for tests.

    Attributes:
        catalog: like `AFAS_WAREHOUSE`: `sqlite`, `sqlite:PATH`, `postgres:CONNINFO` or a URL.
        data_path: like `AFAS_WAREHOUSE_DATA`: the data files' folder or `s3://…/`.
    """

    catalog: str | None = None
    data_path: str | None = None

    def settings(self) -> LakeSettings:
        environ = dict(os.environ)
        if self.catalog:
            environ["AFAS_WAREHOUSE"] = self.catalog
        if self.data_path:
            environ["AFAS_WAREHOUSE_DATA"] = self.data_path
        return LakeSettings.from_environment(data_dir(), environ)

    def warehouse(self, logger=None) -> Warehouse:
        """The lake; retries of busy commits are logged to `logger` (a run's `context.log`) if given."""
        return Warehouse(self.settings(), logger=logger)
