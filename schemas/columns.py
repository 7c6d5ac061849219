"""AFAS field ids → warehouse columns, with a report of what the live connector added or left out.

The catalog (`catalog/connectors.py`) names every field's warehouse column; this module only applies it.
A field the catalog does not know is kept under a snake_case name derived from its id, so that a
vendor adding a field to a GetConnector widens the table instead of losing data. A required field
that is missing stops the load here, before Pandera sees the frame (Pandera 0.35 would otherwise
raise a raw Polars `ColumnNotFoundError` for it).

Example:
    >>> import polars as pl
    >>> from catalog import ALLOCATION_CODES
    >>> frame = pl.DataFrame({"UnitId": [1], "DimAx": ["1"], "DimCode": ["WEST"], "Btw-nummer": ["x"]})
    >>> renamed = to_warehouse(ALLOCATION_CODES, frame)
    >>> renamed.extra, renamed.missing_optional
    ({'Btw-nummer': 'btw_nummer'}, ['AxDescription', 'CodeDescription', 'Blocked'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from catalog import Connector, Kind, resolve
from afas.frames import Column

#: Appended to an extra field's derived name when it would take a catalog column's name.
COLLISION_SUFFIX = "_afas"


class MissingFieldError(Exception):
    """A connector's frame lacks fields the catalog marks as required.

    Attributes:
        connector_id: the GetConnector id.
        field_ids: the missing AFAS field ids, in catalog order.
    """

    def __init__(self, connector_id: str, field_ids: list[str]):
        self.connector_id = connector_id
        self.field_ids = list(field_ids)
        fields = ", ".join(field_ids)
        super().__init__(
            f"GetConnector {connector_id} lacks required field(s) {fields}: the App Connector's "
            "definition differs from the catalog (catalog/connectors.py); add the field(s) to the "
            "GetConnector in AFAS, or update the catalog if the vendor renamed them"
        )


@dataclass(frozen=True)
class Renamed:
    """A frame in warehouse columns, and how it differed from the catalog.

    Attributes:
        frame: every catalog column (in catalog order, absent optional ones as typed nulls), then
            the extra fields under their derived names.
        extra: AFAS field id → column for fields the catalog does not know.
        missing_required: required catalog fields that were absent (always empty: `to_warehouse`
            raises `MissingFieldError` instead; kept so a report can show the full picture).
        missing_optional: optional catalog field ids that were absent and were added as nulls.
    """

    frame: pl.DataFrame
    extra: dict[str, str] = field(default_factory=dict)
    missing_required: list[str] = field(default_factory=list)
    missing_optional: list[str] = field(default_factory=list)


def warehouse_dtypes(connector: Connector | str) -> dict[str, pl.DataType]:
    """Warehouse column → the Polars type the client produces for it (`afas.frames.Column`)."""
    conn = resolve(connector)
    return {f.column: Column(f.id, f.kind, f.decimals).dtype for f in conn.fields}


def snake_case(field_id: str) -> str:
    """A lower snake_case column name for an AFAS field id.

    Word boundaries are case changes (`AmtVatCurr` → `amt_vat_curr`, `VATCode` → `vat_code`) and
    anything that is not a letter or digit (`Btw-nummer` → `btw_nummer`); a name that would start
    with a digit gets an `f_` prefix so that it stays a valid SQL identifier without quoting.
    """
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", field_id)
    name = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", name)
    name = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").lower()
    if not name:
        name = "field"
    return f"f_{name}" if name[0].isdigit() else name


def extra_columns(connector: Connector | str, field_ids: list[str]) -> dict[str, str]:
    """Column names for fields the catalog does not know, never taking a name already in use."""
    conn = resolve(connector)
    known = set(conn.field_ids)
    taken = {f.column for f in conn.fields}
    names: dict[str, str] = {}
    for fid in field_ids:
        if fid in known:
            continue
        name = snake_case(fid)
        if name in taken:
            name += COLLISION_SUFFIX
        # Two odd ids can still meet (`Btw-nummer` and `Btw_nummer`): number them apart.
        base, n = name, 2
        while name in taken:
            name, n = f"{base}{n}", n + 1
        taken.add(name)
        names[fid] = name
    return names


def to_warehouse(connector: Connector | str, frame: pl.DataFrame | pl.LazyFrame) -> Renamed:
    """Rename a client frame's AFAS field ids to warehouse columns.

    Args:
        connector: the catalog connector, or its GetConnector id.
        frame: rows as the client returns them: columns are AFAS field ids (as live metainfo lists
            them), typed by `afas.frames`. A LazyFrame is collected: Pandera only checks the data
            of collected frames.

    Returns:
        The renamed frame and what differed. Money columns whose scale is at most the catalog's
        are widened to it exactly (e.g. a `Decimal(18, 2)` from a test double becomes
        `Decimal(38, 2)`); anything else keeps its type, so a wrong type fails validation rather
        than being cast here.

    Raises:
        MissingFieldError: a field the catalog marks as required is absent.
    """
    conn = resolve(connector)
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    present = set(frame.columns)
    missing = [f for f in conn.fields if f.id not in present]
    missing_required = [f.id for f in missing if f.required]
    if missing_required:
        raise MissingFieldError(conn.id, missing_required)

    extra = extra_columns(conn, frame.columns)
    dtypes = warehouse_dtypes(conn)
    columns: list[pl.Expr] = []
    for f in conn.fields:
        target = dtypes[f.column]
        if f.id not in present:
            columns.append(pl.lit(None, dtype=target).alias(f.column))
        elif _widens_exactly(frame.schema[f.id], target, f.kind):
            columns.append(pl.col(f.id).cast(target).alias(f.column))
        else:
            columns.append(pl.col(f.id).alias(f.column))
    columns += [pl.col(fid).alias(name) for fid, name in extra.items()]
    return Renamed(
        frame=frame.select(columns),
        extra=extra,
        missing_required=[],
        missing_optional=[f.id for f in missing],
    )


def _widens_exactly(source: pl.DataType, target: pl.DataType, kind: Kind) -> bool:
    """True when casting a money column to the catalog's Decimal cannot change a value.

    Only more digits after the point would be rounded away; those must fail validation instead.
    """
    return (
        kind is Kind.MONEY
        and isinstance(source, pl.Decimal)
        and isinstance(target, pl.Decimal)
        and source != target
        and (source.scale or 0) <= (target.scale or 0)
        and (source.precision or 38) - (source.scale or 0) <= (target.precision or 38) - (target.scale or 0)
    )
