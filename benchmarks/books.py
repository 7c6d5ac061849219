"""Synthetic booking lines for the lake benchmarks, built as Polars expressions (a million rows in
well under a second), typed exactly like the AFAS client's frames (Decimal(38,2) money, Date,
Amsterdam Datetime).

Entry e has a debit line on revenue account 8000 + e % 40 and a credit line on 1300 of the same
amount, so every period balances.
"""

from __future__ import annotations

import polars as pl
from catalog.clock import TIME_ZONE

REVENUE_ACCOUNTS = 40


def money(cents: pl.Expr) -> pl.Expr:
    """Exact Decimal(38,2) euros from integer cents."""
    two = pl.Decimal(38, 2)
    return cents.cast(two) / pl.lit(100).cast(two)


def booking_line_columns(rows: int, *, admin: int, year: int, period: int, first_entry: int, salt: int = 0) -> dict[str, pl.Expr]:
    """The columns of `rows` booking lines (two per entry, entries from `first_entry`), by warehouse name.

    `salt` changes the amounts (another load of the same entries).
    """
    j = pl.int_range(rows, dtype=pl.Int64)
    entry = j // 2 + first_entry
    line = j % 2 + 1
    cents = 100 + (entry * 7919 + salt) % 1_000_000
    day = (entry % 28 + 1).cast(pl.Int8)
    date = pl.date(year, period, day)
    return {
        "administration_id": pl.lit(admin, pl.Int64),
        "entry_no": entry,
        "line_no": line,
        "fiscal_year": pl.lit(year, pl.Int64),
        "period": pl.lit(period, pl.Int64),
        "journal_id": pl.lit("70"),
        "account_no": pl.when(line == 1).then((8000 + entry % REVENUE_ACCOUNTS).cast(pl.String)).otherwise(pl.lit("1300")),
        "amount_debit": pl.when(line == 1).then(money(cents)).otherwise(money(pl.lit(0))),
        "amount_credit": pl.when(line == 2).then(money(cents)).otherwise(money(pl.lit(0))),
        "entry_date": date,
        "voucher_date": date,
        "voucher_no": pl.format("V{}", entry),
        "vat_code": pl.when(entry % 2 == 0).then(pl.lit("1")).otherwise(pl.lit("0")),
        "vat_amount": money(pl.lit(0)),
        "description": pl.format("entry {}", entry),
        "created_at": pl.datetime(year, period, day, 9, (entry % 60).cast(pl.Int8), time_unit="us",
                                  time_zone=TIME_ZONE),
    }


def typed_frame(connector, columns: dict[str, pl.Expr]) -> pl.DataFrame:
    """A frame with every catalog column of `connector`, in catalog order: from `columns`, else null."""
    from tests.warehouse.frames import dtype

    schema = {f.column: dtype(f.kind, f.decimals) for f in connector.fields}
    return pl.select(**{name: (columns[name] if name in columns else pl.lit(None)).cast(schema[name]) for name in schema})
