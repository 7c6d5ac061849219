"""Does the warehouse agree with AFAS's own aggregates? Per administration × period × account, the
transactions' net must equal the period values' debit − credit, and the allocation rows of each
booking line must add up to that line.

Every query takes many slices at once: a run that loaded 24 periods reconciles them in two queries,
not 48 (each query opens the warehouse, which costs more than the comparison itself).

Every outcome is appended to `reconciliation_history` (`record`); the view `reconciliation` shows
the latest per administration × period, so analysts query the same answer the Dagster check shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from catalog import TRANSACTIONS
from catalog.slices import Slice, slice_columns
from warehouse.store import Warehouse
from warehouse.tables import RECONCILIATION_HISTORY

#: The columns of a period's slice of the books (the same in each of the three tables).
SLICE_COLUMNS = slice_columns(TRANSACTIONS)
_KEY = ", ".join(SLICE_COLUMNS)
_WANTED = f"""wanted AS (
    SELECT unnest($env) AS environment, unnest($admin) AS administration_id,
           unnest($year) AS fiscal_year, unnest($period) AS period)"""

_ACCOUNTS = f"""
WITH {_WANTED},
t AS (
    SELECT {_KEY}, account_no, sum(amount_debit - amount_credit) AS net
    FROM transactions SEMI JOIN wanted USING ({_KEY}) GROUP BY ALL),
p AS (
    SELECT {_KEY}, account_no, sum(debit - credit) AS net
    FROM period_values SEMI JOIN wanted USING ({_KEY}) GROUP BY ALL)
SELECT {_KEY}, account_no,
       coalesce(t.net, 0) AS transactions_net, coalesce(p.net, 0) AS period_values_net,
       coalesce(t.net, 0) - coalesce(p.net, 0) AS difference
FROM t FULL OUTER JOIN p USING ({_KEY}, account_no)
WHERE coalesce(t.net, 0) <> coalesce(p.net, 0)
ORDER BY ALL
"""

_ALLOCATIONS = f"""
WITH {_WANTED},
a AS (
    SELECT {_KEY}, entry_no, line_no, sum(amount_debit - amount_credit) AS allocated
    FROM transactions_allocated SEMI JOIN wanted USING ({_KEY}) GROUP BY ALL),
t AS (
    SELECT {_KEY}, entry_no, line_no, amount_debit - amount_credit AS line
    FROM transactions SEMI JOIN wanted USING ({_KEY}))
SELECT {_KEY}, entry_no, line_no, coalesce(t.line, 0) AS line_amount, coalesce(a.allocated, 0) AS allocated_amount
FROM t FULL OUTER JOIN a USING ({_KEY}, entry_no, line_no)
WHERE coalesce(t.line, 0) <> coalesce(a.allocated, 0)
ORDER BY ALL
"""

_TABLES = ("transactions", "transactions_allocated", "period_values")


def _params(slices: Sequence[Slice]) -> dict[str, list]:
    return {"env": [s.environment for s in slices], "admin": [s.administration_id for s in slices],
            "year": [s.fiscal_year for s in slices], "period": [s.period for s in slices]}


def _query(store: Warehouse, sql: str, slices: Sequence[Slice]) -> pl.DataFrame:
    if not slices or not set(_TABLES) <= set(store.tables()):
        return pl.DataFrame()
    return store.query(sql, _params(slices))


def account_mismatches(store: Warehouse, slices: Sequence[Slice]) -> pl.DataFrame:
    """Per slice, accounts whose transactions' net differs from the period values (empty when all agree)."""
    return _query(store, _ACCOUNTS, slices)


def allocation_mismatches(store: Warehouse, slices: Sequence[Slice]) -> pl.DataFrame:
    """Per slice, booking lines whose allocation rows do not add up to the line (empty when all do)."""
    return _query(store, _ALLOCATIONS, slices)


class Status:
    """What `reconciliation_history.status` says of a period's books."""

    RECONCILED = "reconciled"
    RECONCILED_AFTER_RELOAD = "reconciled_after_reload"
    DIFFERENCES = "differences"
    NOT_LOADED = "not_loaded"


@dataclass(frozen=True)
class Reconciliation:
    """The outcome for one period's books (one row of `reconciliation_history`)."""

    slice: Slice
    status: str
    differences: int = 0
    difference_total: Decimal = Decimal("0.00")
    detail: str | None = None

    @property
    def passed(self) -> bool:
        return self.status in (Status.RECONCILED, Status.RECONCILED_AFTER_RELOAD)


def record(store: Warehouse, outcomes: Sequence[Reconciliation], *, run_id: str | None = None) -> None:
    """Append the outcomes to `reconciliation_history` in one commit (nothing when there are none)."""
    if not outcomes:
        return
    checked_at = dt.datetime.now(dt.timezone.utc)
    frame = pl.DataFrame(
        {
            **{c: [o.slice.columns(TRANSACTIONS)[c] for o in outcomes] for c in SLICE_COLUMNS},
            "status": [o.status for o in outcomes],
            "differences": [o.differences for o in outcomes],
            "difference_total": [o.difference_total for o in outcomes],
            "detail": [o.detail for o in outcomes],
            "checked_at": [checked_at] * len(outcomes),
            "dagster_run_id": [run_id] * len(outcomes),
        },
        schema_overrides={"difference_total": pl.Decimal(38, 2), "detail": pl.String, "dagster_run_id": pl.String},
    )
    store.append(RECONCILIATION_HISTORY, frame, what=f"reconciliation of {len(outcomes)} period(s)", run_id=run_id)
