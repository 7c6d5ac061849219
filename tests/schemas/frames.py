"""Client-shaped frames for the schema tests: AFAS field ids, typed exactly as `afas.frames` types them.

`frame` builds a small slice from rows keyed by AFAS field id (absent fields are null); `VALID`
holds one valid, realistic slice per catalog connector; `big_transactions` builds a balanced
transactions slice of any size, vectorised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl

from catalog import (
    ACCOUNTS,
    ADMINISTRATIONS,
    ALLOCATION_CODES,
    CHANGED_ENTRY_DATES,
    DOSSIER_ITEMS,
    PAYABLES,
    PERIOD_VALUES,
    RECEIVABLES,
    TRANSACTIONS,
    TRANSACTIONS_ALLOCATED,
    Connector,
)
from afas.frames import FrameSchema
from catalog.clock import TIME_ZONE

D = Decimal
CREATED = dt.datetime(2024, 3, 15, 9, 30)
MODIFIED = dt.datetime(2024, 3, 16, 14, 5)


def client_schema(connector: Connector) -> pl.Schema:
    """The client's types for a connector's catalog fields, in catalog order."""
    return FrameSchema.from_catalog(connector).empty().schema


def frame(connector: Connector, rows: Iterable[Mapping[str, Any]], drop: Iterable[str] = ()) -> pl.DataFrame:
    """A client-typed frame; datetimes are given naive (Amsterdam local), money as str/int/Decimal."""
    sch = client_schema(connector)
    rows = list(rows)
    for row in rows:
        unknown = set(row) - set(sch)
        assert not unknown, f"not fields of {connector.id}: {unknown}"
    columns = {}
    for name, dtype in sch.items():
        values = [row.get(name) for row in rows]
        if isinstance(dtype, pl.Decimal):
            values = [None if v is None else D(str(v)) for v in values]
        if isinstance(dtype, pl.Datetime):
            columns[name] = pl.Series(name, values, pl.Datetime("us")).dt.replace_time_zone(TIME_ZONE)
        else:
            columns[name] = pl.Series(name, values, dtype)
    return pl.DataFrame(columns).drop(list(drop))


def _line(entry: int, seq: int, account: str, debit: str, credit: str, **more: Any) -> dict[str, Any]:
    return {
        "UnitId": 1, "EntryNo": entry, "SeqNo": seq, "Year": 2024, "Period": 3, "JournalId": "20",
        "AccountNo": account, "AmtDebit": debit, "AmtCredit": credit, "EntryDate": dt.date(2024, 3, 15),
        "VoucherNo": f"2024-20-{entry}", "Description": "Factuur", "Created": CREATED, "Modified": MODIFIED,
        **more,
    }


_TRANSACTIONS = [
    _line(1, 1, "1300", "121.00", "0", InvoiceId="F24001"),
    _line(1, 2, "8000", "0", "100.00", VatCode="1"),
    _line(1, 3, "1500", "0", "21.00", VatAmt="21.00"),
    _line(2, 1, "4000", "50.00", "0"),
    _line(2, 2, "1100", "0", "50.00"),
]

_OPEN_ITEMS = [
    {"UnitId": 1, "InvoiceNr": "F24001", "InvoiceDate": dt.date(2024, 3, 1), "ExpDate": dt.date(2024, 3, 31),
     "CurrencyId": "EUR", "AmtInvoice": "121.00", "Balance": "21.00", "Description": "Deellevering"},
    {"UnitId": 1, "InvoiceNr": "C24002", "InvoiceDate": dt.date(2024, 3, 5), "ExpDate": dt.date(2024, 3, 5),
     "CurrencyId": "EUR", "AmtInvoice": "-50.00", "Balance": "-50.00", "Description": "Creditnota"},
]

#: One valid slice per catalog connector, as rows keyed by AFAS field id.
VALID: dict[str, list[dict[str, Any]]] = {
    ADMINISTRATIONS.id: [
        {"AdminId": 1, "AdminNm": "Voorbeeld BV", "AdminCd": "01", "CurrencyId": "EUR", "Blocked": False},
        {"AdminId": 2, "AdminNm": "Holding BV", "AdminCd": "02", "CurrencyId": "EUR", "Blocked": False},
    ],
    PERIOD_VALUES.id: [
        {"UnitId": 1, "Year": 2024, "Period": 3, "AccountNr": a, "Debit": d, "Credit": c, "Balance": "0",
         "DimAx1": dim}
        for a, d, c, dim in [("1300", "121.00", "0", None), ("8000", "0", "100.00", None),
                             ("1500", "0", "21.00", None), ("4000", "30.00", "0", "WEST"),
                             ("4000", "20.00", "0", "ICT"), ("1100", "0", "50.00", None)]
    ],
    TRANSACTIONS.id: _TRANSACTIONS,
    TRANSACTIONS_ALLOCATED.id: [
        {**_TRANSACTIONS[0], "Type": "Balans"},
        {**_TRANSACTIONS[1], "AmtCredit": "60.00", "DimAx1": "WEST", "Omschrijving": "West"},
        {**_TRANSACTIONS[1], "AmtCredit": "40.00", "DimAx1": "ICT", "Omschrijving": "ICT"},
        {**_TRANSACTIONS[2]},
        {**_TRANSACTIONS[3], "DimAx1": "LOG", "DimAx2": "P1"},
        {**_TRANSACTIONS[4]},
    ],
    DOSSIER_ITEMS.id: [
        {"SubjectId": 10, "UnitId": 1, "Subject": "Factuur F24001", "FiEntryNumber": 1, "FileId": "a1b2",
         "FileName": "F24001.pdf", "DateCreated": CREATED, "Modified": MODIFIED},
        {"SubjectId": 10, "UnitId": 1, "Subject": "Factuur F24001", "FiEntryNumber": 1, "FileId": "c3d4",
         "FileName": "bijlage.xlsx", "DateCreated": CREATED, "Modified": CREATED},
    ],
    RECEIVABLES.id: [{**row, "DebtorId": "10001", "DebtorName": "Klant BV"} for row in _OPEN_ITEMS],
    PAYABLES.id: [{**row, "CreditorId": "20001", "CreditorName": "Leverancier BV", "Blocked": False}
                  for row in _OPEN_ITEMS],
    ACCOUNTS.id: [
        {"UnitId": 1, "AccountNo": "1300", "Description": "Debiteuren", "AccountType": "Balans", "Modified": MODIFIED},
        {"UnitId": 1, "AccountNo": "8000", "Description": "Omzet", "AccountType": "Winst & verlies"},
    ],
    ALLOCATION_CODES.id: [
        {"UnitId": 1, "DimAx": "1", "AxDescription": "Kostenplaats", "DimCode": code, "CodeDescription": code}
        for code in ("WEST", "ICT", "LOG")
    ],
    CHANGED_ENTRY_DATES.id: [
        {"UnitId": 1, "EntryDate": dt.date(2024, 3, 15), "Modified": MODIFIED},
        {"UnitId": 1, "EntryDate": dt.date(2024, 3, 16), "Modified": MODIFIED},
    ],
}


def valid(connector: Connector, drop: Iterable[str] = ()) -> pl.DataFrame:
    """The valid slice of a connector, optionally without some fields."""
    return frame(connector, VALID[connector.id], drop)


def big_transactions(rows: int, seed: int = 7) -> pl.DataFrame:
    """A balanced `Visionplanner_transactions` slice of `rows` lines (entries of 4 lines), vectorised.

    Lines 1 and 2 of an entry carry one amount, debit then credit; lines 3 and 4 another.
    """
    assert rows % 2 == 0, "entries balance in pairs of lines"
    rng = np.random.default_rng(seed)
    i = np.arange(rows)
    cents = rng.integers(1, 10_000_000, rows // 2)[i // 2]
    is_debit = i % 2 == 0
    money = pl.Decimal(38, 2)
    seconds = rng.integers(0, 14 * 86_400, rows).astype("m8[s]")
    created = pl.Series((np.datetime64("2024-03-01T08:00") + seconds).astype("M8[us]"))
    accounts = np.array(["1100", "1300", "1500", "4000", "8000"])
    df = pl.DataFrame({
        "UnitId": np.ones(rows, dtype=np.int64),
        "EntryNo": i // 4 + 1,
        "SeqNo": i % 4 + 1,
        "Year": np.full(rows, 2024),
        "Period": np.full(rows, 3),
        "JournalId": pl.repeat("70", rows, eager=True),
        "AccountNo": accounts[rng.integers(0, accounts.size, rows)],
        "AmtDebit": np.where(is_debit, cents, 0),
        "AmtCredit": np.where(is_debit, 0, cents),
        "EntryDate": pl.Series(np.datetime64("2024-03-01") + rng.integers(0, 31, rows).astype("m8[D]")),
        "Created": created,
        "Modified": created,
    }).with_columns(
        (pl.col("AmtDebit", "AmtCredit").cast(money) / 100).cast(money),
        pl.col("Created", "Modified").dt.cast_time_unit("us").dt.replace_time_zone(TIME_ZONE),
        pl.col("EntryDate").cast(pl.Date),
    )
    return df.select(pl.col(name).cast(dtype) if name in df.columns else pl.lit(None, dtype).alias(name)
                     for name, dtype in client_schema(TRANSACTIONS).items())
