"""One slice from AFAS into the warehouse: fetch → validate → replace. No Dagster in here.

The order is the contract: nothing is written unless the whole slice passed its hard rules, and the
slice is replaced in one transaction, so a failed load leaves the earlier data exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from afas import catalog
from afas.catalog import Connector, Slicing
from afas.client import AfasClient
from schemas import SoftCheckResult, Validation, soft_checks, validate
from warehouse import Warehouse

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@dataclass(frozen=True)
class SliceSpec:
    """Which rows to load: the environment and, depending on the connector, administration/year/period."""

    environment: str
    administration_id: int | None = None
    fiscal_year: int | None = None
    period: int | None = None

    def warehouse_slice(self, connector: Connector, snapshot_date: dt.date | None) -> dict[str, object]:
        """The slice columns as the warehouse names them."""
        values: dict[str, object] = {"environment": self.environment}
        if connector.slicing is not Slicing.NONE:
            values["administration_id"] = self.administration_id
        if connector.slicing is Slicing.ADMINISTRATION_PERIOD:
            values["fiscal_year"] = self.fiscal_year
            values["period"] = self.period
        if connector.snapshots:
            values["snapshot_date"] = snapshot_date
        return values


class ContractViolation(Exception):
    """The slice broke a hard rule; nothing was written."""

    def __init__(self, connector: Connector, spec: SliceSpec, validation: Validation):
        super().__init__(f"{connector.id} {spec}: {validation.summary}")
        self.connector = connector
        self.spec = spec
        self.validation = validation


@dataclass
class SliceLoad:
    """What loading one slice did, for metadata."""

    connector: Connector
    spec: SliceSpec
    rows: int
    rows_replaced: int
    afas_requests: int
    fetch_seconds: float
    validate_seconds: float
    write_seconds: float
    extra_fields: Mapping[str, str] = field(default_factory=dict)
    missing_optional: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    soft: list[SoftCheckResult] = field(default_factory=list)
    snapshot_date: dt.date | None = None

    @property
    def seconds(self) -> float:
        return self.fetch_seconds + self.validate_seconds + self.write_seconds


def today_in_amsterdam() -> dt.date:
    return dt.datetime.now(AMSTERDAM).date()


def load_slice(
    client: AfasClient,
    warehouse: Warehouse,
    connector: Connector,
    spec: SliceSpec,
    *,
    snapshot_date: dt.date | None = None,
) -> SliceLoad:
    """Fetch one slice, validate it and replace it in the warehouse.

    Raises:
        ContractViolation: a hard rule failed (nothing written).
        schemas.MissingFieldError: AFAS lacks a required field (nothing written).
        afas.AfasError: AFAS could not be read (nothing written).
    """
    if connector.snapshots and snapshot_date is None:
        snapshot_date = today_in_amsterdam()
    started = time.perf_counter()
    administration = spec.administration_id if connector is not catalog.ADMINISTRATIONS else None
    fetched = client.fetch(
        connector.id,
        administration=administration if connector.slicing is not Slicing.NONE else None,
        year=spec.fiscal_year if connector.slicing is Slicing.ADMINISTRATION_PERIOD else None,
        period=spec.period if connector.slicing is Slicing.ADMINISTRATION_PERIOD else None,
    )
    fetched_at = time.perf_counter()
    validation = validate(connector, fetched.frame)
    if not validation.ok:
        raise ContractViolation(connector, spec, validation)
    soft = soft_checks(connector, validation.frame)
    validated_at = time.perf_counter()
    written = warehouse.replace_slice(connector, spec.warehouse_slice(connector, snapshot_date), validation.frame)
    return SliceLoad(
        connector=connector,
        spec=spec,
        rows=validation.frame.height,
        rows_replaced=written.rows_deleted,
        afas_requests=fetched.requests,
        fetch_seconds=fetched_at - started,
        validate_seconds=validated_at - fetched_at,
        write_seconds=time.perf_counter() - validated_at,
        extra_fields=dict(validation.extra),
        missing_optional=list(validation.missing_optional),
        added_columns=list(written.added_columns),
        soft=soft,
        snapshot_date=snapshot_date,
    )
