"""AFAS's JSON on the wire: one-line answers, false-UTC dates, exact decimals.

`render_rows` turns a connector frame (dataset.py types) into the body of a GetConnector answer,
vectorised: the frame is prepared column-wise and serialised by polars' row-oriented `write_json`,
whose `[{...},...]` is spliced into `{"skip":S,"take":T,"rows":...}`.

Money must reach the client as exact JSON numbers. polars writes Decimal columns as JSON strings,
so money is cast to Float64 instead, which is exact here: the Decimal→Float64 cast yields the double
nearest to the decimal, and polars writes doubles in their shortest round-trip form, which for a
decimal of at most 15 significant digits is that decimal again (IEEE 754 guarantees 15 digits
survive a round trip). Two decimals leave 13 digits before the point, so amounts below
10,000,000,000,000.00 in absolute value go that way (test_wire.py checks 60,000 amounts up to that bound).
Rarer, larger amounts are written as text and unquoted afterwards (see `_unquote`). Profit 6 style
(`-.5`) is byte surgery on the written doubles, anchored on the field keys (see `_profit6`).

AFAS's literal `(replaced)` (see `definitions.replaced_cells`) is a JSON string in any field, numbers
and booleans included. A number or boolean column holding it is written as text, like the large
amounts, and unquoted afterwards except where it holds `(replaced)`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import orjson
import polars as pl

from catalog import REPLACED

#: Significant digits every decimal keeps through a double and back (IEEE 754 binary64).
_FLOAT_EXACT_DIGITS = 15
# Temporary last column, so every unquoted money value is followed by a known key (see `_unquote`).
_END = "~end~"


def render_json(obj: Any) -> bytes:
    """Any other answer (metainfo, errors, tokens) as one line of UTF-8 JSON."""
    return orjson.dumps(obj)


def render_rows(
    frame: pl.DataFrame,
    *,
    skip: int,
    take: int,
    profit6: bool = False,
    replaced: Mapping[str, pl.Series] | None = None,
) -> bytes:
    """The body of a GetConnector answer.

    Args:
        frame: the page's rows; columns are the connector's field ids in catalog order, typed as
            dataset.py describes (Int64, String, Decimal(18, 2), Date, naive Datetime, Boolean).
        skip: the `skip` the caller asked for, echoed (-1 for "everything").
        take: the `take` the caller asked for, echoed (-1 for "everything").
        profit6: write money the Profit 6 way, without the zero before the point (`-0.5` → `-.5`,
            `0.25` → `.25`, `0.0` → `.0`). Not valid JSON, which is exactly what old Profit sent.
        replaced: column → boolean mask over the rows: where true, the cell is the JSON string
            `"(replaced)"` whatever the column's type (see `definitions.replaced_cells`).

    Returns:
        `{"skip":S,"take":T,"rows":[{...},...]}` on one line, UTF-8. Every column is present in
        every row (`null` when empty); dates and datetimes as `"YYYY-MM-DDTHH:MM:SSZ"` (Amsterdam
        local time behind a false `Z`, datetimes truncated to whole seconds, dates at midnight);
        money as exact JSON numbers; booleans as `true`/`false`.
    """
    parts: list[bytes | memoryview] = [b'{"skip":%d,"take":%d,"rows":[' % (skip, take)]
    if frame.height:
        money = [name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Decimal)]
        masks = {name: mask for name, mask in (replaced or {}).items() if name in frame.columns and mask.any()}
        # Columns written as text and unquoted afterwards: large amounts, and numbers and booleans
        # that hold `(replaced)` in some rows (text, dates and datetimes are JSON strings anyway).
        as_text = _beyond_float(frame, money) | {name for name in masks if _unquoted_on_the_wire(frame.schema[name])}
        prepared = frame.select(
            _prepare(name, dtype, name in as_text, profit6, masks.get(name)) for name, dtype in frame.schema.items()
        )
        if frame.columns[-1] in as_text:
            # Unquoting anchors on the key after a money value; give the last column one.
            prepared = prepared.with_columns(pl.lit(None, pl.Null).alias(_END))
        # Many moderate write_json calls beat one huge one (buffer regrowth); ~0.5 MB of cells each.
        chunk = max(1_000, 500_000 // prepared.width)
        for offset in range(0, prepared.height, chunk):
            buf = io.BytesIO()
            prepared.slice(offset, chunk).write_json(buf)
            if as_text or (profit6 and money):
                text = buf.getvalue()
                if as_text:
                    text = _unquote(text, prepared.columns, as_text, set(masks))
                if profit6:
                    text = _profit6(text, [m for m in money if m not in as_text])
                if prepared.columns[-1] == _END:
                    text = text.replace(b"," + _key(_END) + b":null}", b"}")
                parts.append(memoryview(text)[1:-1])
            else:
                parts.append(buf.getbuffer()[1:-1])
            parts.append(b",")
        parts.pop()
    parts.append(b"]}")
    return b"".join(parts)


def _prepare(name: str, dtype: pl.DataType, as_text: bool, profit6: bool, replaced: pl.Series | None) -> pl.Expr:
    expr = _wire_value(pl.col(name), dtype, as_text, profit6)
    if replaced is not None:
        expr = pl.when(pl.lit(replaced)).then(pl.lit(REPLACED)).otherwise(expr)
    return expr.alias(name)


def _wire_value(col: pl.Expr, dtype: pl.DataType, as_text: bool, profit6: bool) -> pl.Expr:
    if isinstance(dtype, pl.Decimal):
        if not as_text:
            return col.cast(pl.Float64)
        text = col.cast(pl.String)
        return text.str.replace(r"^(-?)0\.", "${1}.") if profit6 else text
    if isinstance(dtype, pl.Datetime):
        # strftime drops the fraction: AFAS shows whole seconds of a sub-second value.
        return col.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(dtype, pl.Date):
        return col.dt.strftime("%Y-%m-%dT00:00:00Z")
    if as_text:
        return col.cast(pl.String)  # an int or boolean holding `(replaced)`: `12`, `true`, unquoted later
    return col


def _unquoted_on_the_wire(dtype: pl.DataType) -> bool:
    """Whether AFAS writes this type's values as bare JSON (numbers, booleans), not as strings."""
    return dtype.is_numeric() or dtype == pl.Boolean()


def _beyond_float(frame: pl.DataFrame, money: list[str]) -> set[str]:
    """Money columns holding an amount a double cannot carry exactly."""
    if not money:
        return set()
    peaks = frame.select(pl.col(money).abs().max()).row(0)
    limits = [10 ** (_FLOAT_EXACT_DIGITS - (frame.schema[name].scale or 0)) for name in money]
    return {
        name for name, peak, limit in zip(money, peaks, limits, strict=True) if peak is not None and peak >= limit
    }


def _unquote(body: bytes, columns: list[str], as_text: set[str], replaced: set[str]) -> bytes:
    """Turn `"F":"12.34"` into `"F":12.34` for the columns written as text, except `"(replaced)"`.

    Plain byte replacement is exact because inside a JSON string every `"` is escaped, so a
    sequence starting with an unescaped `"` can only be structure: `"F":"` opens F's value, and
    `","N":` (N the column after F) can only close it, since F comes before N in every row. The
    temporary last column `_END` gives every such column a successor; the caller drops it. A
    `(replaced)` cell is unquoted with the rest and quoted again: `"F":(replaced)` is no JSON, so
    the bytes can only be that cell.
    """
    for name, successor in zip(columns, columns[1:], strict=False):
        if name not in as_text:
            continue
        key, nxt = _key(name), _key(successor)
        body = body.replace(key + b':"', key + b":").replace(b'",' + nxt + b":", b"," + nxt + b":")
        if name in replaced:
            bare = REPLACED.encode()
            body = body.replace(key + b":" + bare, key + b':"' + bare + b'"')
    return body


def _profit6(body: bytes, as_float: list[str]) -> bytes:
    """Drop the zero before the point of money doubles: `"F":-0.5` → `"F":-.5`, `"F":0.0` → `"F":.0`.

    Anchored on the key (see `_unquote` for why a key pattern never matches inside a string), so
    text that merely looks like `0.5` is never touched.
    """
    for name in as_float:
        key = _key(name)
        body = body.replace(key + b":0.", key + b":.").replace(key + b":-0.", key + b":-.")
    return body


def _key(name: str) -> bytes:
    return orjson.dumps(name)
