"""Pages of AFAS rows → typed Polars frames.

Money becomes Decimal, exactly. Polars' JSON reader reads amounts as float64, which holds any
decimal of up to 15 significant digits; a page is kept on that fast path only when every amount is
well inside that range and has no more decimals than its field (checked on the floats: a value
further than 0.05 of a cent-step from the grid has extra decimals; below 10^(14-decimals) the float's
own error is under 0.04 of a step). Any other page is read again by Python's decimal parser. Pages in
the Profit 6 `-.5` style are not JSON; only when Polars refuses a page is it searched for them. Dates and
datetimes arrive as `YYYY-MM-DDTHH:MM:SSZ` where the `Z` is false: the time is Amsterdam local time.
Dates become `Date`; datetimes become `Datetime("us", "Europe/Amsterdam")`. AFAS's `(replaced)` in
unlinked fields is dealt with on the bytes before either path reads them (afas/replaced.py): empty in
typed fields, kept in text fields, counted per field in the `Page`. Blobs stay the base64 text AFAS
sends [G encoding]: decoding on a guess could fail a load or corrupt the value, while the text keeps
every byte (DuckDB's `from_base64` decodes it when needed).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from catalog import Connector, Kind
from afas.errors import ResponseFormatError
from afas.metainfo import ConnectorInfo, kind_of
from afas.replaced import ReplacedCells
from catalog.clock import TIME_ZONE
from catalog.types import polars_type

_FAST_DIGITS = 14  # amounts below 10^(14 - decimals) stay exact through float64, with margin
_GRID_TOLERANCE = 0.05  # of one step of the field's last decimal


@dataclass(frozen=True)
class Column:
    """How one AFAS field is typed: field id, kind, and decimals for money."""

    id: str
    kind: Kind
    decimals: int = 2

    @property
    def dtype(self) -> pl.DataType:
        return polars_type(self.kind, self.decimals)

    @property
    def keeps_text(self) -> bool:
        """Whether a `(replaced)` in this field stays as AFAS's text (text and blobs), not empty."""
        return self.kind in (Kind.TEXT, Kind.BLOB)

    @property
    def wire_dtype(self) -> pl.DataType:
        """The type Polars' JSON reader produces: float64 for money, text for dates."""
        if self.kind is Kind.MONEY:
            return pl.Float64()
        return self.exact_dtype

    @property
    def exact_dtype(self) -> pl.DataType:
        """The type of Python-parsed values: Decimal for money, text for dates."""
        return pl.String() if self.kind in (Kind.DATE, Kind.DATETIME) else self.dtype

    def off_fast_path(self) -> pl.Expr:
        """True where a float64 amount may not be the exact decimal AFAS sent."""
        amount = pl.col(self.id)
        steps = amount * (10**self.decimals)
        return (amount.abs() >= 10 ** (_FAST_DIGITS - self.decimals)) | ((steps - steps.round()).abs() > _GRID_TOLERANCE)


@dataclass(frozen=True)
class Page:
    """One GetConnector answer, typed.

    Attributes:
        frame: the rows.
        replaced: field id → cells in which AFAS sent `(replaced)` (null in `frame` for typed
            fields, the text itself for text fields); only fields that had any.
    """

    frame: pl.DataFrame
    replaced: dict[str, int]


class FrameSchema:
    """The typed shape of a connector's rows, from live metainfo (catalog kinds where known)."""

    def __init__(self, columns: list[Column]):
        self.columns = columns
        self._replaced = ReplacedCells(
            emptied=[c.id for c in columns if not c.keeps_text], kept=[c.id for c in columns if c.keeps_text]
        )
        self._wire = pl.Struct({c.id: c.wire_dtype for c in columns})
        self._page_schema = {"skip": pl.Int64(), "take": pl.Int64(), "rows": pl.List(self._wire)}
        money = [c for c in columns if c.kind is Kind.MONEY]
        self._off_fast_path = pl.any_horizontal([c.off_fast_path().any() for c in money]) if money else None

    @classmethod
    def from_metainfo(cls, info: ConnectorInfo, catalog: Connector | None = None) -> "FrameSchema":
        columns = []
        for f in info.fields:
            kind = kind_of(f, catalog)
            decimals = 2
            if kind is Kind.MONEY:
                decimals = f.decimals if f.decimals is not None else _catalog_decimals(catalog, f.id)
            columns.append(Column(f.id, kind, decimals))
        return cls(columns)

    @classmethod
    def from_catalog(cls, catalog: Connector) -> "FrameSchema":
        return cls([Column(f.id, f.kind, f.decimals) for f in catalog.fields])

    @property
    def field_ids(self) -> list[str]:
        return [c.id for c in self.columns]

    def empty(self) -> pl.DataFrame:
        return pl.DataFrame(schema={c.id: c.dtype for c in self.columns})

    def parse_page(self, body: bytes) -> pl.DataFrame:
        """One GetConnector answer (`{"skip","take","rows":[…]}`) as a typed frame (see `read_page`)."""
        return self.read_page(body).frame

    def read_page(self, body: bytes) -> Page:
        """One GetConnector answer (`{"skip","take","rows":[…]}`): typed rows and `(replaced)` counts.

        Raises:
            ResponseFormatError: the body is not the documented JSON or a value has the wrong type.
        """
        body, replaced = self._replaced.strip(body)
        return Page(self._parse(body), replaced)

    def _parse(self, body: bytes) -> pl.DataFrame:
        try:
            try:
                frame = self._parse_fast(body)
            except pl.exceptions.PolarsError:
                if not _PROFIT6_NUMBER.search(body):
                    raise
                body = _fix_profit6_numbers(body)
                frame = self._parse_fast(body)
            if frame is None:
                frame = self._parse_exact(body)
            return self._finish(frame)
        except (pl.exceptions.PolarsError, ValueError) as exc:
            raise ResponseFormatError(f"AFAS answered rows that cannot be read: {_short(exc)}") from None

    def _parse_fast(self, body: bytes) -> pl.DataFrame | None:
        """The page read by Polars, or None when an amount needs the exact parser."""
        page = pl.read_json(body, schema=self._page_schema)
        if page.height != 1 or page["rows"].null_count():
            raise ValueError("the answer has no 'rows' list")
        if page["rows"].list.len()[0] == 0:
            return self.empty().select([pl.col(c.id).cast(c.wire_dtype) for c in self.columns])
        frame = page.select(pl.col("rows").explode()).unnest("rows")
        if self._off_fast_path is not None and frame.select(self._off_fast_path).item():
            return None
        return frame

    def _parse_exact(self, body: bytes) -> pl.DataFrame:
        doc = json.loads(body, parse_float=Decimal)
        rows = doc.get("rows") if isinstance(doc, dict) else None
        if not isinstance(rows, list):
            raise ValueError("no 'rows' list in the answer")
        data = {c.id: [r.get(c.id) if isinstance(r, dict) else None for r in rows] for c in self.columns}
        return pl.DataFrame(data, schema={c.id: c.exact_dtype for c in self.columns}, strict=False)

    def _finish(self, frame: pl.DataFrame) -> pl.DataFrame:
        casts = []
        for c in self.columns:
            if c.kind is Kind.DATE:
                casts.append(_afas_timestamp(frame, c.id).dt.date().alias(c.id))
            elif c.kind is Kind.DATETIME:
                casts.append(_amsterdam(_afas_timestamp(frame, c.id)).alias(c.id))
        if casts:
            frame = frame.with_columns(casts)
        return frame.select([pl.col(c.id).cast(c.dtype) for c in self.columns])


def _catalog_decimals(catalog: Connector | None, field_id: str) -> int:
    if catalog is not None:
        try:
            return catalog.field(field_id).decimals
        except KeyError:
            pass
    return 2


def _afas_timestamp(frame: pl.DataFrame, column: str) -> pl.Series:
    """AFAS's `YYYY-MM-DDTHH:MM:SS[.fff]Z` (Z false) as a naive datetime; a bad value fails the page."""
    text = frame[column]
    # Whole seconds are what AFAS writes; the fixed format is three times faster than the general one.
    whole = text.str.to_datetime(format="%Y-%m-%dT%H:%M:%SZ", time_unit="us", strict=False)
    if whole.null_count() == text.null_count():
        return whole
    return text.str.strip_suffix("Z").str.to_datetime(format="%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=True)


def _amsterdam(naive: pl.Series) -> pl.Series:
    """Attach Amsterdam time. In the autumn's doubled hour take the first (summer-time) instant; a
    time in the spring's skipped hour cannot be on AFAS's clock, so it moves forward an hour rather
    than be lost."""
    placed = naive.dt.replace_time_zone(TIME_ZONE, ambiguous="earliest", non_existent="null")
    if placed.null_count() == naive.null_count():
        return placed
    shifted = (naive + dt.timedelta(hours=1)).dt.replace_time_zone(TIME_ZONE, ambiguous="earliest", non_existent="null")
    return placed.zip_with(placed.is_not_null() | naive.is_null(), shifted)


# Profit 6 and older wrote decimals without a leading zero (`-.5`, `.25`): not valid JSON.
_PROFIT6_NUMBER = re.compile(rb"[:\[,]\s*-?\.\d")
# Match whole strings first so that text inside them is never touched.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|([:\[,]\s*-?)\.(\d)')


def _fix_profit6_numbers(body: bytes) -> bytes:
    def repl(m: re.Match[bytes]) -> bytes:
        if m.group(1) is None:
            return m.group(0)
        return m.group(1) + b"0." + m.group(2)

    return _TOKEN.sub(repl, body)


def _short(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]
