"""Typed polars frames in catalog order, built from integer arrays.

Every frame the ledger hands out goes through `typed`, which fixes the column set, order and
polars types from the connector catalog: INT → Int64, TEXT → String, MONEY → Decimal(18, 2),
DATE → Date, DATETIME → Datetime("us") (naive, Amsterdam local), BOOL → Boolean.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from catalog import TRANSACTIONS, TRANSACTIONS_ALLOCATED, Connector, Kind
from catalog.types import polars_type

from .batch import LineBatch
from .clock import off_the_spring_gap
from .chart import ACCOUNT_NOS, ACCOUNTS, CENTRE_CODES, COST_CENTRES, JOURNALS, UNIT_CODES, VAT_CODES

#: The simulator keeps AFAS's own shapes: 18 digits for money (AFAS's metainfo), naive local times.
MONEY = polars_type(Kind.MONEY, precision=18)
DTYPES: dict[Kind, pl.DataType] = {kind: polars_type(kind, precision=18, time_zone=None) for kind in Kind}


def schema(connector: Connector) -> dict[str, pl.DataType]:
    """Column name → polars type of a connector's frames, in catalog order."""
    return {f.id: DTYPES[f.kind] for f in connector.fields}


def empty(connector: Connector) -> pl.DataFrame:
    """A frame with the connector's columns and no rows."""
    return pl.DataFrame(schema=schema(connector))


def typed(connector: Connector, n: int, columns: Mapping[str, object]) -> pl.DataFrame:
    """A frame of `n` rows with exactly the connector's columns; absent ones are all null.

    Values may be polars Series, numpy arrays, lists or scalars (broadcast).
    """
    unknown = set(columns) - set(connector.field_ids)
    if unknown:
        raise KeyError(f"{connector.id} has no fields {sorted(unknown)}")
    out = []
    for f in connector.fields:
        dtype = DTYPES[f.kind]
        value = columns.get(f.id)
        if value is None:
            out.append(pl.repeat(None, n, dtype=dtype, eager=True).alias(f.id))
        elif isinstance(value, pl.Series):
            out.append(value.alias(f.id).cast(dtype))
        elif isinstance(value, (np.ndarray, list, tuple)):
            out.append(pl.Series(f.id, value).cast(dtype))
        else:
            out.append(pl.repeat(value, n, eager=True).alias(f.id).cast(dtype))
    return pl.DataFrame(out)


def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pl.Series:
    """Decimal(18, 2) euros from integer cents; null where `valid` is False."""
    s = (pl.Series(np.asarray(cents, dtype=np.int64)).cast(MONEY) / 100).cast(MONEY)
    if valid is not None and not valid.all():
        s = s.set(pl.Series(~valid), None)
    return s


def dates(days: np.ndarray) -> pl.Series:
    """Date from days since 1970."""
    return pl.Series(np.asarray(days, dtype=np.int32)).cast(pl.Date)


def datetimes(us: np.ndarray) -> pl.Series:
    """Naive Datetime("us") (Amsterdam local) from microseconds since 1970, none in the spring's skipped hour."""
    return pl.Series(off_the_spring_gap(np.asarray(us, dtype=np.int64))).cast(pl.Datetime("us"))


def lookup(table: Sequence[str] | pl.Series, idx: np.ndarray) -> pl.Series:
    """`table[idx]` as a String series; null where idx is negative."""
    table = table if isinstance(table, pl.Series) else pl.Series(list(table), dtype=pl.String)
    index = pl.Series(np.asarray(idx, dtype=np.int64))
    if (np.asarray(idx) < 0).any():
        index = index.set(index < 0, None)
    if table.len() == 0:
        return pl.repeat(None, index.len(), dtype=pl.String, eager=True)
    return table.gather(index)


_ACCOUNT_TYPES = [a.account_type for a in ACCOUNTS]
_COLLECT_ON = pl.Series([a.collect_on for a in ACCOUNTS], dtype=pl.String)
_CENTRE_NAMES = [COST_CENTRES.describe(c) for c in CENTRE_CODES]


def _voucher_text(year: np.ndarray, journal: np.ndarray, voucher: np.ndarray) -> pl.Series:
    # Same text as batch.voucher_no: two-digit year, journal id, six-digit sequence.
    yy = pl.Series(year % 100).cast(pl.String).str.zfill(2)
    seq = pl.Series(voucher).cast(pl.String).str.zfill(6)
    return pl.select(pl.concat_str([yy, lookup(JOURNALS, journal), seq])).to_series()


def _line_columns(
    batch: LineBatch, unit_id: int, invoice_ids: pl.Series, index: np.ndarray | None = None
) -> dict[str, object]:
    """Transaction columns of the batch's lines, or of `batch[index]` without materialising it."""

    def a(name: str) -> np.ndarray:
        arr = getattr(batch, name)
        return arr if index is None else arr[index]

    vat_code = a("vat_code")
    return {
        "UnitId": unit_id,
        "EntryNo": a("entry"),
        "SeqNo": a("seq"),
        "Year": a("year"),
        "Period": a("period"),
        "JournalId": lookup(JOURNALS, a("journal")),
        "AccountNo": lookup(ACCOUNT_NOS, a("account")),
        "AmtDebit": money(a("debit")),
        "AmtCredit": money(a("credit")),
        "EntryDate": dates(a("date")),
        "InvoiceId": lookup(invoice_ids, a("invoice")),
        "VoucherDate": dates(a("voucher_date")),
        "VoucherNo": _voucher_text(a("year"), a("journal"), a("voucher")),
        "VatCode": lookup(VAT_CODES, vat_code),
        "VatAmt": money(a("vat"), vat_code >= 0),
        "Description": lookup(batch.descriptions, a("desc")),
        "Created": datetimes(a("created")),
        "Modified": datetimes(a("modified")),
    }


def transactions(batch: LineBatch, unit_id: int, invoice_ids: pl.Series) -> pl.DataFrame:
    """`Visionplanner_transactions` rows of a batch (which must be sorted on EntryNo, SeqNo)."""
    return typed(TRANSACTIONS, len(batch), _line_columns(batch, unit_id, invoice_ids))


def expand_allocation(batch: LineBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One row per allocation piece: (line position, cost-centre position, debit, credit cents)."""
    line = np.repeat(np.arange(len(batch), dtype=np.int64), batch.alloc_n.astype(np.int64))
    starts = np.cumsum(batch.alloc_n, dtype=np.int64) - batch.alloc_n
    piece = np.arange(line.shape[0], dtype=np.int64) - starts[line]
    dim = batch.alloc_dim[line, piece]
    amount = batch.alloc_amt[line, piece]
    is_debit = batch.debit[line] > 0
    return line, dim, np.where(is_debit, amount, 0), np.where(is_debit, 0, amount)


def allocated(batch: LineBatch, unit_id: int, invoice_ids: pl.Series) -> pl.DataFrame:
    """`Profit_Transactions_Allocated` rows: every line once per allocation piece, in key order."""
    line, dim, debit, credit = expand_allocation(batch)
    cols = _line_columns(batch, unit_id, invoice_ids, line)
    cols["AmtDebit"] = money(debit)
    cols["AmtCredit"] = money(credit)
    account = batch.account[line]
    cols["Omschrijving"] = lookup(_CENTRE_NAMES, dim)
    cols["Type"] = lookup(_ACCOUNT_TYPES, account)
    cols["Collect_On"] = _COLLECT_ON.gather(pl.Series(account.astype(np.int64)))
    cols["DimAx1"] = lookup(CENTRE_CODES, dim)
    cols["DimAx2"] = lookup(UNIT_CODES, batch.dim2[line])
    return typed(TRANSACTIONS_ALLOCATED, line.shape[0], cols)


def period_sums(batch: LineBatch) -> pl.DataFrame:
    """Debit and credit cents per (account, cost centre, cost unit) position; small and exact."""
    line, dim, debit, credit = expand_allocation(batch)
    df = pl.DataFrame(
        {
            "account": batch.account[line].astype(np.int32),
            "dim1": dim.astype(np.int32),
            "dim2": batch.dim2[line].astype(np.int32),
            "debit": debit,
            "credit": credit,
        }
    )
    return (
        df.group_by("account", "dim1", "dim2")
        .agg(pl.col("debit").sum(), pl.col("credit").sum())
        .sort("account", "dim1", "dim2")
    )


EMPTY_SUMS = pl.DataFrame(
    schema={"account": pl.Int32, "dim1": pl.Int32, "dim2": pl.Int32, "debit": pl.Int64, "credit": pl.Int64}
)
