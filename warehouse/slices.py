"""Slices in the lake: a slice's columns and values checked before anything is written.

A write names its slice as a mapping of the slice columns (`catalog.slices.slice_columns`, what
`catalog.slices.Slice.columns` gives) to values; this module checks that mapping and the frame
against each other and renders the slice's `WHERE`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from catalog import Connector
from catalog.slices import ENVIRONMENT, SNAPSHOT_DATE, slice_columns
from warehouse.sql import ident

LOADED_AT = "loaded_at"


def load_columns(connector: Connector) -> tuple[str, ...]:
    """Columns the warehouse fills itself (the frame need not carry them)."""
    return (ENVIRONMENT, SNAPSHOT_DATE, LOADED_AT) if connector.snapshots else (ENVIRONMENT, LOADED_AT)


def validate_slice(connector: Connector, slice: Mapping[str, object]) -> dict[str, object]:
    """Check that `slice` names exactly this connector's slice columns, with values of the right type.

    Returns:
        The slice as a dict in `slice_columns` order.

    Raises:
        ValueError: missing or unexpected keys, or a value of the wrong type.
    """
    expected = slice_columns(connector)
    missing = [c for c in expected if c not in slice]
    unexpected = [c for c in slice if c not in expected]
    if missing or unexpected:
        raise ValueError(
            f"slice of {connector.table} ({connector.slicing.value}"
            f"{', snapshots' if connector.snapshots else ''}) must have exactly the keys {list(expected)}; "
            f"missing {missing}, unexpected {unexpected}"
        )
    for column in expected:
        value = slice[column]
        if column == ENVIRONMENT:
            ok = isinstance(value, str) and value != ""
        elif column == SNAPSHOT_DATE:
            ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
        else:
            ok = isinstance(value, int) and not isinstance(value, bool)
        if not ok:
            raise ValueError(f"slice value {column}={value!r} of {connector.table} has the wrong type")
    return {c: slice[c] for c in expected}


def check_frame_in_slice(connector: Connector, slice: Mapping[str, object], frame: pl.DataFrame) -> None:
    """Every row of `frame` must belong to the slice it replaces (nulls do not).

    Only slice columns present in the frame are checked; the warehouse fills the others. Writing a
    row into the wrong slice would make it unreachable by that slice's next replace.

    Raises:
        ValueError: rows disagree with the slice; the message counts them and shows one value.
    """
    for column, value in slice.items():
        if column not in frame.columns:
            continue
        try:
            wrong = frame.filter(pl.col(column).ne_missing(pl.lit(value)))
        except pl.exceptions.PolarsError as error:
            raise ValueError(f"{connector.table}.{column} cannot be compared with slice value {value!r}: {error}") from None
        if wrong.height:
            raise ValueError(
                f"{wrong.height} of {frame.height} rows of {connector.table} have {column} other than the "
                f"slice's {value!r} (first: {wrong[column][0]!r}); nothing was written"
            )


def where_clause(slice: Mapping[str, object]) -> tuple[str, list[object]]:
    """`col = ? AND …` for the slice, with its parameters."""
    return " AND ".join(f"{ident(c)} = ?" for c in slice), list(slice.values())

