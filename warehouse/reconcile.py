"""Does the warehouse agree with AFAS's own aggregates? Per administration × period × account, the
transactions' net must equal the period values' debit − credit, and the allocation rows of each
booking line must add up to that line."""

from __future__ import annotations

import polars as pl

from warehouse.store import Warehouse

_ACCOUNTS = """
WITH t AS (
    SELECT account_no, sum(amount_debit - amount_credit) AS net FROM transactions
    WHERE environment = $env AND administration_id = $admin AND fiscal_year = $year AND period = $period
    GROUP BY ALL),
p AS (
    SELECT account_no, sum(debit - credit) AS net FROM period_values
    WHERE environment = $env AND administration_id = $admin AND fiscal_year = $year AND period = $period
    GROUP BY ALL)
SELECT coalesce(t.account_no, p.account_no) AS account_no,
       coalesce(t.net, 0) AS transactions_net, coalesce(p.net, 0) AS period_values_net,
       coalesce(t.net, 0) - coalesce(p.net, 0) AS difference
FROM t FULL OUTER JOIN p ON t.account_no = p.account_no
WHERE coalesce(t.net, 0) <> coalesce(p.net, 0)
ORDER BY 1
"""

_ALLOCATIONS = """
WITH a AS (
    SELECT entry_no, line_no, sum(amount_debit - amount_credit) AS allocated FROM transactions_allocated
    WHERE environment = $env AND administration_id = $admin AND fiscal_year = $year AND period = $period
    GROUP BY ALL),
t AS (
    SELECT entry_no, line_no, amount_debit - amount_credit AS line FROM transactions
    WHERE environment = $env AND administration_id = $admin AND fiscal_year = $year AND period = $period)
SELECT coalesce(t.entry_no, a.entry_no) AS entry_no, coalesce(t.line_no, a.line_no) AS line_no,
       coalesce(t.line, 0) AS line_amount, coalesce(a.allocated, 0) AS allocated_amount
FROM t FULL OUTER JOIN a ON t.entry_no = a.entry_no AND t.line_no = a.line_no
WHERE coalesce(t.line, 0) <> coalesce(a.allocated, 0)
ORDER BY 1, 2
"""

_TABLES = ("transactions", "transactions_allocated", "period_values")


def account_mismatches(store: Warehouse, environment: str, administration_id: int, year: int, period: int) -> pl.DataFrame:
    """Accounts whose transactions' net differs from the period values (empty when they agree)."""
    if not set(_TABLES) <= set(store.tables()):
        return pl.DataFrame()
    params = {"env": environment, "admin": administration_id, "year": year, "period": period}
    return store.query(_ACCOUNTS, params)


def allocation_mismatches(store: Warehouse, environment: str, administration_id: int, year: int, period: int) -> pl.DataFrame:
    """Booking lines whose allocation rows do not add up to the line (empty when they all do)."""
    if not set(_TABLES) <= set(store.tables()):
        return pl.DataFrame()
    params = {"env": environment, "admin": administration_id, "year": year, "period": period}
    return store.query(_ALLOCATIONS, params)
