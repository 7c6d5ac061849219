"""Slices from AFAS into the warehouse: fetch → validate → replace. No Dagster in here.

The order is the contract: nothing is written unless the whole slice passed its hard rules, and the
slice is replaced in one transaction, so a failed load leaves the earlier data exactly as it was.
A period's books (transactions, allocations, period values) are fetched and validated first and
then written in ONE transaction (`load_together`): if any of them fails, none is written, so the
period's tables never disagree.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

from catalog import Connector
from catalog.slices import Slice
from afas.client import AfasClient
from afas.errors import AfasError
from schemas import MissingFieldError, SoftCheckResult, Validation, checks_per_part, soft_checks, validate
from warehouse import SliceWrite, Warehouse
from warehouse.staging import StagedRows
from catalog.clock import AMSTERDAM
from assets.vanished import refuse_if_vanished
from assets.windowed import WindowedSlice, WindowRejected


class ContractViolation(Exception):
    """The slice broke a hard rule; nothing was written."""

    def __init__(self, connector: Connector, spec: Slice, validation: Validation, *, rows_before: int = 0):
        where = ""
        if rows_before:  # a window of a large slice: the rows after it were not read
            where = f" (in rows {rows_before + 1:,}–{rows_before + validation.rows:,} of the slice; rows after them not read)"
        super().__init__(f"{connector.id} {spec}: {validation.summary}{where}")
        self.connector = connector
        self.spec = spec
        self.validation = validation


class NotWrittenTogether(Exception):
    """A slice that was fetched and valid, but not written because another slice of its period failed."""

    def __init__(self, connector: Connector, cause: Exception):
        super().__init__(
            f"{connector.id} not written: a period's books commit together and another of them failed "
            f"({cause}); the earlier data of the period is unchanged"
        )
        self.connector = connector
        self.cause = cause


@dataclass
class FetchedSlice:
    """One slice read from AFAS and validated, ready to be written.

    `rows` is the validated warehouse frame, or for a slice read in several windows those windows
    staged in local files (`close()` deletes them once written or given up).
    """

    connector: Connector
    spec: Slice
    rows: pl.DataFrame | StagedRows
    validation: Validation
    afas_requests: int
    fetch_seconds: float
    validate_seconds: float
    soft: list[SoftCheckResult]
    snapshot_date: dt.date | None

    def write(self) -> SliceWrite:
        return SliceWrite(self.connector, self.spec.columns(self.connector, self.snapshot_date), self.rows)

    def close(self) -> None:
        if isinstance(self.rows, StagedRows):
            self.rows.close()


@dataclass
class SliceLoad:
    """What loading one slice did, for metadata.

    Slices written together (a period's books) share one commit: `write_seconds` and `snapshot_id`
    are that commit's, the same on each of them.
    """

    connector: Connector
    spec: Slice
    rows: int
    rows_replaced: int
    afas_requests: int
    fetch_seconds: float
    validate_seconds: float
    write_seconds: float
    snapshot_id: int = 0
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


def fetch_slice(
    client: AfasClient, connector: Connector, spec: Slice, *, snapshot_date: dt.date | None = None
) -> FetchedSlice:
    """Fetch one slice from AFAS and validate it (nothing is written).

    Raises:
        ContractViolation: a hard rule failed.
        schemas.MissingFieldError: AFAS lacks a required field.
        afas.AfasError: AFAS could not be read.
    """
    if connector.snapshots and snapshot_date is None:
        snapshot_date = today_in_amsterdam()
    split = client.window_field(connector, spec)
    if split is not None and checks_per_part(connector, split):
        return _fetch_windowed(client, connector, spec, snapshot_date)
    started = time.perf_counter()
    fetched = client.fetch(connector, slice=spec)
    fetched_at = time.perf_counter()
    validation = validate(connector, fetched.frame)
    if not validation.ok:
        raise ContractViolation(connector, spec, validation)
    soft = soft_checks(connector, validation.frame)
    return FetchedSlice(connector, spec, validation.frame, validation, fetched.requests, fetched_at - started,
                        time.perf_counter() - fetched_at, soft, snapshot_date)


def _fetch_windowed(
    client: AfasClient, connector: Connector, spec: Slice, snapshot_date: dt.date | None
) -> FetchedSlice:
    """`fetch_slice` for a slice whose windows may be validated one by one (see `assets.windowed`):
    each window is validated and staged while the next is read. `validate_seconds` is then what
    validating took after the last window arrived; the rest overlapped the download."""
    windows = WindowedSlice(connector, spec, snapshot_date)
    started = time.perf_counter()
    try:
        fetched = client.fetch(connector, slice=spec, on_window=windows.add)
        fetched_at = time.perf_counter()
        rows, validation, soft = windows.finish()
    except WindowRejected as exc:
        windows.discard()
        raise ContractViolation(connector, spec, exc.validation, rows_before=exc.rows_before) from None
    except BaseException:
        windows.discard()
        raise
    return FetchedSlice(connector, spec, rows, validation, fetched.requests, fetched_at - started,
                        time.perf_counter() - fetched_at, soft, snapshot_date)


def write_together(warehouse: Warehouse, fetched: list[FetchedSlice], *, run_id: str | None = None) -> list[SliceLoad]:
    """Replace every fetched slice in one lake transaction; one `SliceLoad` each, in order."""
    started = time.perf_counter()
    written = warehouse.replace_slices([f.write() for f in fetched], run_id=run_id)
    seconds = time.perf_counter() - started
    return [
        SliceLoad(
            connector=f.connector,
            spec=f.spec,
            rows=f.rows.height,
            rows_replaced=w.rows_deleted,
            afas_requests=f.afas_requests,
            fetch_seconds=f.fetch_seconds,
            validate_seconds=f.validate_seconds,
            write_seconds=seconds,
            snapshot_id=w.snapshot_id,
            extra_fields=dict(f.validation.extra),
            missing_optional=list(f.validation.missing_optional),
            added_columns=list(w.added_columns),
            soft=f.soft,
            snapshot_date=f.snapshot_date,
        )
        for f, w in zip(fetched, written)
    ]


def load_slice(
    client: AfasClient,
    warehouse: Warehouse,
    connector: Connector,
    spec: Slice,
    *,
    snapshot_date: dt.date | None = None,
    run_id: str | None = None,
) -> SliceLoad:
    """Fetch one slice, validate it and replace it in the warehouse.

    Raises:
        ContractViolation: a hard rule failed (nothing written).
        schemas.MissingFieldError: AFAS lacks a required field (nothing written).
        afas.AfasError: AFAS could not be read (nothing written).
        afas.errors.AdministrationVanishedError: it would empty a slice of an administration gone from
            AFAS (nothing written; see `assets.vanished`).
    """
    fetched = fetch_slice(client, connector, spec, snapshot_date=snapshot_date)
    try:
        refuse_if_vanished(client, warehouse, [fetched.write()])
        (load,) = write_together(warehouse, [fetched], run_id=run_id)
    finally:
        fetched.close()
    return load


#: What a slice load can fail with, before anything is written.
LOAD_ERRORS = (ContractViolation, MissingFieldError, AfasError)


def load_together(
    client: AfasClient,
    warehouse: Warehouse,
    connectors: list[Connector],
    spec: Slice,
    *,
    run_id: str | None = None,
) -> list[tuple[Connector, SliceLoad | Exception]]:
    """Load one slice of each connector, all written in one transaction or none at all.

    Fetching stops at the first connector that fails; that connector reports its error and every
    other one a `NotWrittenTogether`. An administration gone from AFAS fails every one of them with
    the same `AdministrationVanishedError` (see `assets.vanished`). Errors other than the `LOAD_ERRORS`
    (a bug, the warehouse refusing the write) propagate.
    """
    fetched: list[FetchedSlice] = []
    try:
        for connector in connectors:
            try:
                fetched.append(fetch_slice(client, connector, spec))
            except LOAD_ERRORS as exc:
                return [(c, exc if c is connector else NotWrittenTogether(c, exc)) for c in connectors]
        try:
            refuse_if_vanished(client, warehouse, [f.write() for f in fetched])
        except AfasError as exc:  # vanished, or AFAS could not be asked: nothing is written
            return [(c, exc) for c in connectors]
        return list(zip(connectors, write_together(warehouse, fetched, run_id=run_id)))
    finally:
        for f in fetched:  # staged windows go once written or given up
            f.close()
