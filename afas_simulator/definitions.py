"""Connector definitions as one environment has them: fields added or removed by its administrator.

Real GetConnectors are definitions that someone maintains in AFAS; the pipeline must notice when
one gains a field (report it, keep it) or loses one (fail when it was required). `FieldChanges` on
an `EnvironmentSpec` reproduces that in metainfo and in every row. This module also breaks rows on
purpose for the "bad_row" fault.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from afas.catalog import Connector, Kind

_DTYPES = {
    "string": pl.String(),
    "int": pl.Int64(),
    "decimal": pl.Decimal(18, 2),
    "date": pl.Datetime("us"),
    "boolean": pl.Boolean(),
}


@dataclass(frozen=True)
class ExtraField:
    """A field the environment's definition has beyond the catalog's (values are generated)."""

    id: str
    data_type: str = "string"
    label: str = "Extra veld"

    def __post_init__(self) -> None:
        if self.data_type not in _DTYPES:
            raise ValueError(f"data_type must be one of {sorted(_DTYPES)}, got {self.data_type!r}")


@dataclass(frozen=True)
class FieldChanges:
    """How a connector differs from the catalog in one environment."""

    added: tuple[ExtraField, ...] = ()
    removed: frozenset[str] = frozenset()


def reshape(frame: pl.DataFrame, changes: FieldChanges | None) -> pl.DataFrame:
    """Drop removed fields and append generated values for added ones."""
    if changes is None:
        return frame
    frame = frame.drop([c for c in changes.removed if c in frame.columns])
    index = pl.int_range(0, pl.len(), dtype=pl.Int64)
    values = {
        "string": pl.format("X{}", index),
        "int": index,
        "decimal": (index * 25).cast(pl.Decimal(18, 2)) / 100,
        "date": pl.lit(dt.datetime(2025, 1, 2, 3, 4, 5)).dt.offset_by(pl.format("{}d", index)),
        "boolean": index % 2 == 0,
    }
    return frame.with_columns(
        values[f.data_type].cast(_DTYPES[f.data_type]).alias(f.id) for f in changes.added
    )


def break_row(frame: pl.DataFrame, connector: Connector, mode: str) -> pl.DataFrame:
    """The page with its first row broken (see faults.py "bad_row")."""
    if frame.height == 0:
        return frame
    if mode == "duplicate":
        return pl.concat([frame.head(1), frame])
    if mode == "null_key":
        first = connector.key[0] if connector.key[0] != "UnitId" or len(connector.key) == 1 else connector.key[1]
        return frame.with_columns(
            pl.when(pl.int_range(0, pl.len()) == 0).then(None).otherwise(pl.col(first)).alias(first)
        )
    money = [f.id for f in connector.fields if f.kind is Kind.MONEY and f.id in frame.columns]
    target = money[0] if money else None
    if target is None:
        return pl.concat([frame.head(1), frame])
    bump = pl.when(pl.int_range(0, pl.len()) == 0).then(pl.lit(Decimal("0.01"))).otherwise(pl.lit(Decimal("0")))
    return frame.with_columns((pl.col(target).fill_null(0) + bump).cast(frame.schema[target]).alias(target))
