"""Typed polars frames for catalog connectors, the way `afas_simulator.dataset` hands them out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl

from catalog import TRANSACTIONS, Connector, Kind

DTYPES: dict[Kind, pl.DataType] = {
    Kind.INT: pl.Int64(),
    Kind.TEXT: pl.String(),
    Kind.MONEY: pl.Decimal(18, 2),
    Kind.DATE: pl.Date(),
    Kind.DATETIME: pl.Datetime("us"),
    Kind.BOOL: pl.Boolean(),
    Kind.BLOB: pl.String(),
}


def schema(connector: Connector) -> pl.Schema:
    """The dataset.py schema of a connector: catalog field ids, in catalog order."""
    return pl.Schema({f.id: DTYPES[f.kind] for f in connector.fields})


def frame(connector: Connector, rows: Iterable[Mapping[str, Any]] = ()) -> pl.DataFrame:
    """A typed frame; fields missing from a row are null. Money may be given as str or Decimal."""
    sch = schema(connector)
    columns: dict[str, list[Any]] = {name: [] for name in sch}
    for row in rows:
        unknown = set(row) - set(sch)
        assert not unknown, f"not fields of {connector.id}: {unknown}"
        for name, dtype in sch.items():
            value = row.get(name)
            if isinstance(dtype, pl.Decimal) and value is not None:
                value = Decimal(str(value))
            columns[name].append(value)
    return pl.DataFrame(columns, schema=sch)


def big_transactions(rows: int, seed: int = 7) -> pl.DataFrame:
    """A Visionplanner_transactions frame of `rows` lines in key order, built vectorised."""
    rng = np.random.default_rng(seed)
    units = np.sort(rng.integers(1, 4, rows))
    entry = np.arange(rows) // 4 + 1
    cents = rng.integers(0, 10_000_000, rows)
    debit = np.where(np.arange(rows) % 2 == 0, cents, 0)
    credit = np.where(np.arange(rows) % 2 == 1, cents, 0)
    days = rng.integers(0, 365, rows)
    micros = rng.integers(0, 86_400_000_000, rows)
    base = np.datetime64("2025-01-01")
    accounts = np.array(["0100", "1300", "1600", "4000", "8000", "8010"])
    text = pl.Series(rng.integers(0, 1000, rows)).cast(pl.String)
    df = pl.DataFrame(
        {
            "UnitId": units,
            "EntryNo": entry,
            "SeqNo": np.arange(rows) % 4 + 1,
            "Year": np.full(rows, 2025),
            "Period": days // 31 + 1,
            "JournalId": np.array(["10", "20", "50", "70", "90"])[rng.integers(0, 5, rows)],
            "AccountNo": accounts[rng.integers(0, len(accounts), rows)],
            "AmtDebit": debit,
            "AmtCredit": credit,
            "EntryDate": base + days.astype("timedelta64[D]"),
            "InvoiceId": ("F" + text).to_numpy(),
            "VoucherDate": base + days.astype("timedelta64[D]"),
            "VoucherNo": text.to_numpy(),
            "VatCode": pl.Series(["1", "2", None]).gather(rng.integers(0, 3, rows)),
            "VatAmt": cents // 5,
            "Description": ("Boeking \"ré\" " + text).to_numpy(),
            "Created": base.astype("datetime64[us]") + (days * 86_400_000_000 + micros).astype("timedelta64[us]"),
            "Modified": base.astype("datetime64[us]") + (days * 86_400_000_000 + micros).astype("timedelta64[us]"),
        }
    )
    money = {"AmtDebit", "AmtCredit", "VatAmt"}
    return df.select(
        (pl.col(n).cast(pl.Decimal(18, 2)) / 100).cast(pl.Decimal(18, 2)).alias(n)
        if n in money
        else pl.col(n).cast(dtype)
        for n, dtype in schema(TRANSACTIONS).items()
    )


def at(year: int, month: int, day: int, *hms: int) -> dt.datetime | dt.date:
    """Shorthand for a date, or a datetime when a time is given (h, m, s[, µs])."""
    return dt.datetime(year, month, day, *hms) if hms else dt.date(year, month, day)
