"""Connector definitions as one environment has them: fields added or removed by its administrator.

Real GetConnectors are definitions that someone maintains in AFAS; the pipeline must notice when
one gains a field (report it, keep it) or loses one (fail when it was required). `FieldChanges` on
an `EnvironmentSpec` reproduces that in metainfo and in every row, and also puts AFAS's literal
`(replaced)` into chosen fields of some rows (`replaced_cells`; wire.py writes it). This module also
breaks rows on purpose for the "bad_row" fault.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl

from catalog import Connector, Kind

_DTYPES = {
    "string": pl.String(),
    "int": pl.Int64(),
    "decimal": pl.Decimal(18, 2),
    "date": pl.Datetime("us"),
    "boolean": pl.Boolean(),
    "blob": pl.String(),  # [G] AFAS's rows carry a blob as base64 text, the way the subject connector does
}

#: Field ids an extra field may have: letters, digits, `_` and `-` (AFAS has ids like `Btw-nummer` [S]).
#: [G] AFAS's own rule is not public; quotes, commas, semicolons and spaces are refused because ids
#: become JSON keys and items of the comma- and semicolon-separated `filterfieldids`.
_FIELD_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

#: Seeds the hash that picks the rows holding `(replaced)`: the same rows on every call and every run
#: (polars keeps a seeded hash stable within one version, and requirements.lock pins the version).
_REPLACED_SEED = 20_250_301
_REPLACED_STEPS = 10_000  # shares are applied in steps of 0.01 %


@dataclass(frozen=True)
class ExtraField:
    """A field the environment's definition has beyond the catalog's (values are generated)."""

    id: str
    data_type: str = "string"
    label: str = "Extra veld"

    def __post_init__(self) -> None:
        if self.data_type not in _DTYPES:
            raise ValueError(f"data_type must be one of {sorted(_DTYPES)}, got {self.data_type!r}")
        if not _FIELD_ID.fullmatch(self.id):
            raise ValueError(f"field id must be letters, digits, '_' and '-', starting with a letter: {self.id!r}")


@dataclass(frozen=True)
class FieldChanges:
    """How a connector differs from the catalog in one environment.

    Attributes:
        added: fields the definition has beyond the catalog's, after the catalog's fields. Their
            values are made per page (after filtering and ordering), so filters and sorting can
            name catalog fields only; the client never filters on a field the catalog lacks.
        removed: catalog field ids the definition lacks.
        replaced: field id (catalog or added, any data type) → share of rows, in (0, 1], in which
            AFAS sends the literal `(replaced)` instead of the value, as it does for unlinked fields [S].
            Which rows is decided by a seeded hash of the row's key, so a row holds it on every call.
    """

    added: tuple[ExtraField, ...] = ()
    removed: frozenset[str] = frozenset()
    replaced: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for field_id, share in self.replaced.items():
            if not 0 < share <= 1:
                raise ValueError(f"the share of rows with (replaced) in {field_id} must be in (0, 1], got {share}")


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
        "blob": pl.format("Bijlage {}", index).str.encode("base64"),
    }
    return frame.with_columns(
        values[f.data_type].cast(_DTYPES[f.data_type]).alias(f.id) for f in changes.added
    )


def replaced_cells(frame: pl.DataFrame, connector: Connector, changes: FieldChanges | None) -> dict[str, pl.Series]:
    """Which rows of a page hold `(replaced)`, per field the definition replaces (see `FieldChanges`).

    Args:
        frame: the page as `reshape` returns it.
        connector: the catalog connector, whose key identifies a row.
        changes: the environment's definition of the connector.

    Returns:
        Field id → boolean mask over the page's rows, for the fields present in the page; what
        `wire.render_rows` takes as `replaced`. A row's choice hangs on its key and the field id
        only, so it is the same whatever the page, filter or order.
    """
    if changes is None or not changes.replaced or frame.height == 0:
        return {}
    key = [k for k in connector.key if k in frame.columns]
    masks = {}
    for field_id, share in changes.replaced.items():
        if field_id not in frame.columns:
            continue
        # The field id joins the hash so that two replaced fields pick rows independently.
        hashed = frame.select(pl.struct(*key, pl.lit(field_id).alias("~field")).hash(seed=_REPLACED_SEED))
        masks[field_id] = (hashed.to_series() % _REPLACED_STEPS) < round(share * _REPLACED_STEPS)
    return masks


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
