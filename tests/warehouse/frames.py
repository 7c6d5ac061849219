"""Small hand-built frames typed like the AFAS client produces them, with warehouse column names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl

from catalog import Connector, Kind
from catalog.clock import AMSTERDAM, TIME_ZONE

ENV = "o12345"


def dtype(kind: Kind, decimals: int = 2) -> pl.DataType:
    return {
        Kind.INT: pl.Int64(),
        Kind.TEXT: pl.String(),
        Kind.MONEY: pl.Decimal(38, decimals),
        Kind.DATE: pl.Date(),
        Kind.DATETIME: pl.Datetime("us", TIME_ZONE),
        Kind.BOOL: pl.Boolean(),
        Kind.BLOB: pl.String(),
    }[kind]


def frame(connector: Connector, rows: list[dict], *, columns: list[str] | None = None) -> pl.DataFrame:
    """A frame of `rows` with every catalog column (or only `columns`), typed from the catalog.

    Values not given are null; a key not in the catalog keeps the type polars infers.
    """
    schema = {f.column: dtype(f.kind, f.decimals) for f in connector.fields}
    names = columns if columns is not None else list(schema)
    extra = [k for r in rows for k in r if k not in schema and k not in names]
    names = names + list(dict.fromkeys(extra))
    data = {n: [r.get(n) for r in rows] for n in names}
    return pl.DataFrame(data, schema={n: schema[n] for n in names if n in schema}, strict=False)


def money(text: str) -> Decimal:
    return Decimal(text)


def amsterdam(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=AMSTERDAM)


def transaction(admin: int, year: int, period: int, entry: int, line: int, account: str, debit: str, credit: str, **more) -> dict:
    return {
        "administration_id": admin,
        "fiscal_year": year,
        "period": period,
        "entry_no": entry,
        "line_no": line,
        "journal_id": "70",
        "account_no": account,
        "amount_debit": money(debit),
        "amount_credit": money(credit),
        "entry_date": dt.date(year, max(period, 1), 15),
        "created_at": amsterdam(year, max(period, 1), 15, 9, 30),
        **more,
    }


def period_slice(admin: int = 1, year: int = 2025, period: int = 3, env: str = ENV) -> dict:
    return {"environment": env, "administration_id": admin, "fiscal_year": year, "period": period}
