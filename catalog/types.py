"""One mapping from a field's kind to the types each layer stores it in.

| kind | Polars (client frames) | DuckDB (lake columns) |
|---|---|---|
| INT | Int64 | BIGINT |
| TEXT | String | VARCHAR |
| MONEY | Decimal(38, field decimals) | DECIMAL(38, field decimals) |
| DATE | Date | DATE |
| DATETIME | Datetime(us, Europe/Amsterdam) | TIMESTAMPTZ (an instant: AFAS's local times carry their zone) |
| BOOL | Boolean | BOOLEAN |
| BLOB | String (base64 text as AFAS sends it) | VARCHAR |

Money is never a float: Decimal with the scale AFAS's metainfo reports (`Field.decimals`).
"""

from __future__ import annotations

import polars as pl

from catalog.clock import TIME_ZONE
from catalog.connectors import Field, Kind

#: DuckDB's and Polars' widest exact decimal: AFAS amounts (18 digits in its metainfo) always fit.
MONEY_PRECISION = 38

_POLARS: dict[Kind, pl.DataType] = {
    Kind.INT: pl.Int64(),
    Kind.TEXT: pl.String(),
    Kind.DATE: pl.Date(),
    Kind.BOOL: pl.Boolean(),
    Kind.BLOB: pl.String(),
}

_DUCKDB: dict[Kind, str] = {
    Kind.INT: "BIGINT",
    Kind.TEXT: "VARCHAR",
    Kind.DATE: "DATE",
    Kind.DATETIME: "TIMESTAMPTZ",
    Kind.BOOL: "BOOLEAN",
    Kind.BLOB: "VARCHAR",
}


def polars_type(kind: Kind, decimals: int = 2, *, precision: int = MONEY_PRECISION,
                time_zone: str | None = TIME_ZONE) -> pl.DataType:
    """The Polars type of a field of this kind (the simulator keeps its naive times: `time_zone=None`)."""
    if kind is Kind.MONEY:
        return pl.Decimal(precision, decimals)
    if kind is Kind.DATETIME:
        return pl.Datetime("us", time_zone)
    return _POLARS[kind]


def duckdb_type(field: Field) -> str:
    """The lake column type of a catalog field (money keeps the field's decimals)."""
    if field.kind is Kind.MONEY:
        return f"DECIMAL({MONEY_PRECISION}, {field.decimals})"
    return _DUCKDB[field.kind]
