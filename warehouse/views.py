"""Analyst views, stored in the lake itself, so every client that attaches it sees them.

They read the base tables by unqualified name, which DuckDB resolves inside the lake whatever alias
a client attaches it under (and at whatever snapshot: a lake attached `AT` a past time shows the
views over the tables as they were). Columns are listed explicitly, so a column added to a base
table later never changes a view's shape.

Amounts are DECIMAL(38, 2) euros throughout; dates are DATE; `period` 0 is the opening balance.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass

import duckdb

from catalog import DIMENSION_AXES, PAYABLES, RECEIVABLES
from warehouse.sql import ident, literal


@dataclass(frozen=True)
class View:
    """One analyst view: name, SELECT statement, and the comment that documents its shape."""

    name: str
    sql: str
    comment: str


def _general_ledger() -> View:
    axes = range(1, DIMENSION_AXES + 1)
    dim_columns = ",\n    ".join(f"a.dimension_{i}, c{i}.code_description AS dimension_{i}_description" for i in axes)
    dim_joins = "\n".join(
        f"LEFT JOIN codes c{i} ON c{i}.environment = t.environment AND c{i}.administration_id = t.administration_id "
        f"AND c{i}.axis_no = {i} AND c{i}.code = a.dimension_{i}"
        for i in axes
    )
    sql = f"""
WITH codes AS (
    -- axis ids are texts such as '01'; dimension_N holds codes of axis N. One description per code,
    -- so a code listed twice cannot multiply ledger lines.
    SELECT environment, administration_id, TRY_CAST(axis AS INTEGER) AS axis_no, code,
           any_value(code_description) AS code_description
    FROM allocation_codes
    GROUP BY ALL
)
SELECT
    t.environment, t.administration_id, t.fiscal_year, t.period, t.entry_date, t.journal_id,
    t.entry_no, t.line_no, t.voucher_no, t.voucher_date, t.invoice_id,
    t.account_no, acc.description AS account_description, acc.account_type,
    t.description, t.vat_code,
    a.entry_no IS NOT NULL AS is_allocated,
    CASE WHEN a.entry_no IS NULL THEN t.amount_debit ELSE a.amount_debit END AS amount_debit,
    CASE WHEN a.entry_no IS NULL THEN t.amount_credit ELSE a.amount_credit END AS amount_credit,
    CASE WHEN a.entry_no IS NULL
         THEN coalesce(t.amount_debit, 0) - coalesce(t.amount_credit, 0)
         ELSE coalesce(a.amount_debit, 0) - coalesce(a.amount_credit, 0) END AS amount,
    {dim_columns}
FROM transactions t
LEFT JOIN transactions_allocated a
    ON a.environment = t.environment AND a.administration_id = t.administration_id
   AND a.fiscal_year = t.fiscal_year AND a.period = t.period
   AND a.entry_no = t.entry_no AND a.line_no = t.line_no
LEFT JOIN accounts acc
    ON acc.environment = t.environment AND acc.administration_id = t.administration_id
   AND acc.account_no = t.account_no
{dim_joins}
"""
    comment = (
        "General ledger: one row per booking line (transactions) and allocation piece "
        "(transactions_allocated); a line without allocation rows appears once with its own amounts "
        "and NULL dimensions (is_allocated false). Allocated pieces add up to the line, so sums over "
        "this view equal sums over transactions. amount = debit − credit (EUR). dimension_N is the "
        "code on allocation axis N (allocation_codes.axis '0N'), with its description; account "
        "description and type come from accounts."
    )
    return View("general_ledger", sql, comment)


_TRIAL_BALANCE_SQL = """
WITH movements AS (
    SELECT environment, administration_id, fiscal_year, period, account_no,
           sum(debit) AS debit, sum(credit) AS credit
    FROM period_values
    GROUP BY ALL
),
-- every loaded period of a year × every account seen in that year, so that an account without
-- movements in a period still shows its balance there
periods AS (SELECT DISTINCT environment, administration_id, fiscal_year, period FROM period_values),
year_accounts AS (SELECT DISTINCT environment, administration_id, fiscal_year, account_no FROM period_values),
descriptions AS (
    SELECT environment, administration_id, account_no, max(account_description) AS account_description
    FROM period_values
    GROUP BY ALL
),
filled AS (
    SELECT p.environment, p.administration_id, p.fiscal_year, p.period, y.account_no,
           coalesce(m.debit, 0) AS debit, coalesce(m.credit, 0) AS credit,
           m.account_no IS NOT NULL AS has_movement
    FROM periods p
    JOIN year_accounts y USING (environment, administration_id, fiscal_year)
    LEFT JOIN movements m USING (environment, administration_id, fiscal_year, period, account_no)
),
running AS (
    SELECT *, debit - credit AS net,
           sum(debit - credit) OVER w AS balance,
           bool_or(has_movement) OVER w AS started
    FROM filled
    WINDOW w AS (PARTITION BY environment, administration_id, fiscal_year, account_no
                 ORDER BY period ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT r.environment, r.administration_id, r.fiscal_year, r.period, r.account_no,
       coalesce(acc.description, d.account_description) AS account_description, acc.account_type,
       r.debit, r.credit, r.net, r.balance
FROM running r
LEFT JOIN descriptions d USING (environment, administration_id, account_no)
LEFT JOIN accounts acc
    ON acc.environment = r.environment AND acc.administration_id = r.administration_id
   AND acc.account_no = r.account_no
WHERE r.started
"""

_TRIAL_BALANCE_COMMENT = (
    "Trial balance from period_values: one row per environment × administration_id × fiscal_year × "
    "period × account_no (allocation dimensions summed). debit, credit: movements in the period; "
    "net = debit − credit; balance = cumulative net from period 0 (opening balance) through this "
    "period within the fiscal year (EUR). An account appears from its first period with a movement "
    "in the year, in every loaded period after it."
)


def _aging_history(table: str, party: str) -> str:
    return f"""
WITH items AS (
    -- an item without a due date is due on its invoice date; without either it counts as not due
    SELECT environment, administration_id, snapshot_date, {party}_id, {party}_name, open_amount,
           snapshot_date - coalesce(due_date, invoice_date, snapshot_date) AS days_past_due
    FROM {table}
)
SELECT environment, administration_id, snapshot_date, {party}_id, max({party}_name) AS {party}_name,
       count(*) AS open_items,
       coalesce(sum(open_amount) FILTER (WHERE days_past_due <= 0), 0) AS not_due,
       coalesce(sum(open_amount) FILTER (WHERE days_past_due BETWEEN 1 AND 30), 0) AS due_1_30,
       coalesce(sum(open_amount) FILTER (WHERE days_past_due BETWEEN 31 AND 60), 0) AS due_31_60,
       coalesce(sum(open_amount) FILTER (WHERE days_past_due BETWEEN 61 AND 90), 0) AS due_61_90,
       coalesce(sum(open_amount) FILTER (WHERE days_past_due > 90), 0) AS due_over_90,
       coalesce(sum(open_amount), 0) AS total_open
FROM items
GROUP BY environment, administration_id, snapshot_date, {party}_id
"""


def _aging_latest(table: str, party: str, history: str) -> str:
    # The latest snapshot comes from slice_loads, not from the items: a snapshot in which every
    # item was settled has no rows, and must still replace the one before it.
    return f"""
WITH latest AS (
    SELECT environment, administration_id, max(snapshot_date) AS snapshot_date
    FROM slice_loads
    WHERE table_name = {literal(table)}
    GROUP BY environment, administration_id
)
SELECT h.environment, h.administration_id, h.snapshot_date, h.{party}_id, h.{party}_name, h.open_items,
       h.not_due, h.due_1_30, h.due_31_60, h.due_61_90, h.due_over_90, h.total_open
FROM {history} h
JOIN latest l USING (environment, administration_id, snapshot_date)
"""


def _aging_views(table: str, party: str, name: str) -> tuple[View, ...]:
    buckets = (
        "open_amount (EUR) per bucket of days past due_date on snapshot_date: not_due (≤ 0), "
        "due_1_30, due_31_60, due_61_90, due_over_90; total_open is their sum. An item without "
        "due_date is due on invoice_date."
    )
    return (
        View(
            f"{name}_aging_history",
            _aging_history(table, party),
            f"Aging of {table} over time: one row per environment × administration_id × snapshot_date × "
            f"{party}_id, for every snapshot loaded. {buckets}",
        ),
        View(
            f"{name}_aging",
            _aging_latest(table, party, f"{name}_aging_history"),
            f"Aging of {table} on the latest snapshot per administration (from slice_loads): one row per "
            f"environment × administration_id × {party}_id. {buckets}",
        ),
    )


_SLICE_LOADS_SQL = """
SELECT table_name, environment, administration_id, fiscal_year, period, snapshot_date, row_count,
       loaded_at, dagster_run_id
FROM slice_load_history
QUALIFY row_number() OVER (
    PARTITION BY table_name, environment, administration_id, fiscal_year, period, snapshot_date
    ORDER BY written_at DESC, loaded_at DESC) = 1
"""

_SLICE_LOADS_COMMENT = (
    "The latest load of every slice (one row per table × slice), from slice_load_history; a slice loaded "
    "with no rows has row_count 0. Slice columns a table is not sliced by are NULL."
)


_RECONCILIATION_SQL = """
WITH names AS (
    SELECT environment, administration_id, any_value(name) AS administration_name
    FROM administrations
    GROUP BY ALL
)
SELECT r.environment, r.administration_id, n.administration_name, r.fiscal_year, r.period, r.status,
       r.status IN ('reconciled', 'reconciled_after_reload') AS reconciles,
       r.differences, r.difference_total, r.detail, r.checked_at, r.dagster_run_id
FROM reconciliation_history r
LEFT JOIN names n USING (environment, administration_id)
QUALIFY row_number() OVER (
    PARTITION BY r.environment, r.administration_id, r.fiscal_year, r.period ORDER BY r.checked_at DESC) = 1
"""

_RECONCILIATION_COMMENT = (
    "Does each period's books reconcile with AFAS? One row per environment × administration_id × fiscal_year "
    "× period: the latest reconciliation (from reconciliation_history). status reconciled | "
    "reconciled_after_reload | differences | not_loaded (the load failed; the earlier data is kept, unchecked); "
    "reconciles is true for the first two. differences counts the accounts and booking lines that disagree; "
    "difference_total sums the account differences (EUR); detail names them, or why the load failed."
)


VIEWS: tuple[View, ...] = (
    View("slice_loads", _SLICE_LOADS_SQL, _SLICE_LOADS_COMMENT),
    View("reconciliation", _RECONCILIATION_SQL, _RECONCILIATION_COMMENT),
    _general_ledger(),
    View("trial_balance", _TRIAL_BALANCE_SQL, _TRIAL_BALANCE_COMMENT),
    *_aging_views(RECEIVABLES.table, "debtor", "receivables"),
    *_aging_views(PAYABLES.table, "creditor", "payables"),
)

#: Changes whenever a view's text changes; the lake's views are replaced when it differs.
VERSION = hashlib.sha256("\n".join(f"{v.name}\n{v.sql}\n{v.comment}" for v in VIEWS).encode()).hexdigest()[:16]


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) every analyst view with its comment; the base tables must exist."""
    for view in VIEWS:
        con.execute(f"CREATE OR REPLACE VIEW {ident(view.name)} AS {view.sql}")
        con.execute(f"COMMENT ON VIEW {ident(view.name)} IS {literal(view.comment)}")


def reads(view: View) -> tuple[str, ...]:
    """The tables and views the view's SQL reads (named after FROM or JOIN), in first-use order."""
    from warehouse.tables import definitions

    known = set(definitions()) | {v.name for v in VIEWS}
    found = re.findall(r"\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*)", view.sql, flags=re.IGNORECASE)
    return tuple(dict.fromkeys(name for name in found if name in known and name != view.name))


@functools.cache
def view_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """Each view's columns and their DuckDB types, read off the views built over empty tables in memory."""
    from warehouse.tables import create_statements, definitions

    con = duckdb.connect(":memory:")
    try:
        for table, (comment, columns) in definitions().items():
            for statement in create_statements(table, comment, columns):
                con.execute(statement)
        create_views(con)
        return {
            view.name: tuple((name, kind) for name, kind, *_ in con.execute(f"DESCRIBE {ident(view.name)}").fetchall())
            for view in VIEWS
        }
    finally:
        con.close()
