"""Dagster resources: the AFAS environments and the DuckLake, configured from `settings.Settings`.

Their fields are their whole configuration: nothing here reads the environment. `pipelines.definitions`
builds them from the settings read when Dagster loads the code location (`configured_by`), passing
every value that may hold a secret (the lake's catalog, the call slots' database) as `dg.EnvVar`, so
Dagster's UI and run storage show the variable's name only. Scripts and tests that run outside
Dagster use `from_settings` (plain values) or the constructor. The two resources' `from_settings` /
`from_environment` / `configured_by` are alike in shape (`duplicates` pairs them): each maps its own
fields.
"""

from __future__ import annotations

import threading
from pathlib import Path

import dagster as dg

from afas.client import AfasClient
from afas.environments import EnvironmentStore
from afas.limits import DEFAULT_SLOT_WAIT_S
from afas.settings import DEFAULT_MAX_IN_FLIGHT, ClientSettings
from settings import CALL_SLOTS, WAREHOUSE, WAREHOUSE_DATA, Settings, call_slots_database
from warehouse import LakeSettings, Warehouse

_clients: dict[tuple, AfasClient] = {}
_clients_lock = threading.Lock()


def _by_name(variable: str, value: str | None) -> str | None:
    """A value that may hold a secret, as Dagster should see it: the variable's name, resolved in the run."""
    return dg.EnvVar(variable) if value else None


class AfasResource(dg.ConfigurableResource):
    """The configured AFAS environments; hands out one client per environment and process.

    Attributes:
        home: the environment store folder (`AFAS_PIPELINE_HOME`); None: `~/.config/afas-pipeline`.
        data_dir: the data folder (`AFAS_DATA_DIR`): this machine's call-slot lock files, documents.
        max_in_flight: calls in flight per environment, shared by every run that shares the slots (1..8).
        call_slots: where that cap is kept (`AFAS_CALL_SLOTS`): `files`, `postgres:CONNINFO`, a URL;
            None: the lake's PostgreSQL when `lake_catalog` is one, else files.
        lake_catalog: the lake's catalog setting (`AFAS_WAREHOUSE`), for that default.
        slot_wait_s: the longest a call waits for a slot (`AFAS_SLOT_WAIT_S`).
    """

    home: str | None = None
    data_dir: str = "data"
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    call_slots: str | None = None
    lake_catalog: str | None = None
    slot_wait_s: float = DEFAULT_SLOT_WAIT_S

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> AfasResource:
        values = dict(home=str(settings.home) if settings.home else None, data_dir=str(settings.data_dir),
                      max_in_flight=settings.max_in_flight, call_slots=settings.call_slots,
                      lake_catalog=settings.warehouse, slot_wait_s=settings.slot_wait_s)
        return cls(**{**values, **overrides})

    @classmethod
    def from_environment(cls, **overrides) -> AfasResource:
        """For scripts and tests outside Dagster: the settings read now, `overrides` on top."""
        return cls.from_settings(Settings.from_environment(), **overrides)

    @classmethod
    def configured_by(cls, settings: Settings) -> AfasResource:
        """As `from_settings`, with the values that may hold a secret passed by their variable's name."""
        return cls.from_settings(settings, call_slots=_by_name(CALL_SLOTS, settings.call_slots),
                                 lake_catalog=_by_name(WAREHOUSE, settings.warehouse))

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
                    shared_slots_dir=None if postgres else str(Path(self.data_dir) / "afas-slots"),
                    slot_wait_s=self.slot_wait_s,
                )
                client = _clients[key] = AfasClient(connection, settings)
            return client

    def slots_database(self) -> str | None:
        """The PostgreSQL conninfo that keeps the cap across machines, or None for this machine's lock files."""
        return call_slots_database(self.call_slots, lambda: LakeSettings.choose(Path(self.data_dir),
                                                                                catalog=self.lake_catalog))


class WarehouseResource(dg.ConfigurableResource):
    """The DuckLake the pipeline writes and analysts attach read-only (see `warehouse.settings`).

    A PostgreSQL password belongs in `PGPASSWORD`, never in a value here: resource values are shown
    in Dagster's UI (which is why `configured_by` passes the catalog by its variable's name).

    Attributes:
        data_dir: the data folder; the embedded lake lives in `<data dir>/lake/`.
        catalog: `sqlite`, `sqlite:PATH`, `postgres:CONNINFO` or a URL (`AFAS_WAREHOUSE`); None: embedded.
        data_path: the data files' folder or `s3://…/` (`AFAS_WAREHOUSE_DATA`).
        busy_timeout_s, retention_months: as `AFAS_WAREHOUSE_BUSY_TIMEOUT_S`, `_RETENTION_MONTHS`.
    """

    data_dir: str = "data"
    catalog: str | None = None
    data_path: str | None = None
    busy_timeout_s: str | None = None
    retention_months: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> WarehouseResource:
        values = dict(data_dir=str(settings.data_dir), catalog=settings.warehouse, data_path=settings.warehouse_data,
                      busy_timeout_s=settings.warehouse_busy_timeout_s,
                      retention_months=settings.warehouse_retention_months)
        return cls(**{**values, **overrides})

    @classmethod
    def from_environment(cls, **overrides) -> WarehouseResource:
        """For scripts and tests outside Dagster: the settings read now, `overrides` on top."""
        return cls.from_settings(Settings.from_environment(), **overrides)

    @classmethod
    def configured_by(cls, settings: Settings) -> WarehouseResource:
        """As `from_settings`, with the catalog and data path passed by their variable's name."""
        return cls.from_settings(settings, catalog=_by_name(WAREHOUSE, settings.warehouse),
                                 data_path=_by_name(WAREHOUSE_DATA, settings.warehouse_data))

    def settings(self) -> LakeSettings:
        return LakeSettings.choose(Path(self.data_dir), catalog=self.catalog, data_path=self.data_path,
                                   busy_timeout_s=self.busy_timeout_s, retention_months=self.retention_months)

    def warehouse(self, logger=None) -> Warehouse:
        """The lake; retries of busy commits are logged to `logger` (a run's `context.log`) if given."""
        return Warehouse(self.settings(), logger=logger)
