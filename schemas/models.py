"""One Pandera (polars) `DataFrameSchema` per catalog connector, plus its soft rules.

Columns, types and nullability come from the catalog (`catalog/connectors.py`), never redeclared here:
types are exactly what the client produces (`afas.frames.Column.dtype`: money is
`Decimal(38, decimals)`, datetimes Amsterdam-aware), key and required fields are non-nullable, and
fields the catalog does not know pass unchecked (`strict=False`), so an added AFAS field is kept.

Hard rules (the contract) fail the slice; soft rules only warn and become Dagster asset checks.
Key fields that the catalog marks optional (the allocation axes `DimAx1..5` in the keys of period
values and allocated transactions) stay nullable: a line without an allocation has no axis value,
and uniqueness treats that null as a value.
"""

from __future__ import annotations

import functools

import pandera.polars as pa

from catalog import (
    ACCOUNTS,
    ADMINISTRATIONS,
    ALLOCATION_CODES,
    DOSSIER_ITEMS,
    PAYABLES,
    PERIOD,
    PERIOD_VALUES,
    RECEIVABLES,
    TRANSACTIONS,
    TRANSACTIONS_ALLOCATED,
    UNIT_ID,
    YEAR,
    Connector,
)
from catalog.periods import LAST_PERIOD, OPENING_PERIOD
from schemas import rules as r
from catalog import resolve
from schemas.columns import warehouse_dtypes

#: A fiscal year outside this range is a typing or mapping error, not bookkeeping.
FISCAL_YEARS = (1990, 2100)
#: Failure cases kept per failed check (Pandera JSON-encodes each in Python, so a slice where every
#: row fails must not encode them all); counts come from the full check output instead.
FAILURE_CASES_PER_CHECK = 20

# Field ids of the journal-entry balance; a connector carrying all of them gets `entry_balanced`.
_ENTRY_FIELDS = (UNIT_ID, "EntryNo", "AmtDebit", "AmtCredit")


def _columns(conn: Connector, *field_ids: str) -> tuple[str, ...]:
    return tuple(conn.field(f).column for f in field_ids)


def key_columns(connector: Connector | str) -> tuple[str, ...]:
    """The warehouse columns of the connector's key, in catalog key order."""
    conn = resolve(connector)
    return _columns(conn, *conn.key)


@functools.cache
def hard_rules(connector: Connector | str) -> tuple[r.Rule, ...]:
    """The contract of a connector: rules whose failure fails the slice."""
    conn = resolve(connector)
    ids = set(conn.field_ids)
    rules = [r.key_unique(key_columns(conn))]
    if PERIOD in ids:
        low, high = OPENING_PERIOD, LAST_PERIOD
        rules.append(r.in_range("period_range", conn.field(PERIOD).column, low, high,
                                f"period is between {low} (opening) and {high} (4-weekly years)"))
    if YEAR in ids:
        low, high = FISCAL_YEARS
        rules.append(r.in_range("fiscal_year_range", conn.field(YEAR).column, low, high,
                                f"fiscal_year is a plausible year ({low}..{high})"))
    if ids.issuperset(_ENTRY_FIELDS):
        rules.append(r.entry_balanced(*_columns(conn, *_ENTRY_FIELDS), allocated=conn.id == TRANSACTIONS_ALLOCATED.id))
    return tuple(rules)


def _transaction_rules(conn: Connector) -> list[r.Rule]:
    key = key_columns(conn)
    return [
        r.one_sided("amount_debit", "amount_credit", key=key),
        r.not_negative(("amount_debit", "amount_credit"), key=key),
        r.within_years("entry_date_in_fiscal_year", "entry_date", "fiscal_year", 1,
                       "entry_date lies within the fiscal year, give or take a year", key=key),
        r.not_before("modified_not_before_created", "modified_at", "created_at",
                     "modified_at is not earlier than created_at", key=key),
    ]


def _open_item_rules(conn: Connector) -> list[r.Rule]:
    key = key_columns(conn)
    return [
        r.abs_not_above("open_within_invoice", "open_amount", "invoice_amount",
                        "the open amount does not exceed the invoice amount (in absolute value)", key=key),
        r.not_before("due_not_before_invoice", "due_date", "invoice_date",
                     "due_date is not earlier than invoice_date", key=key),
        r.nonzero("open_amount_nonzero", "open_amount",
                  "every listed item is still open (fully paid items leave the list)", key=key),
    ]


def _soft_rule_table() -> dict[str, list[r.Rule]]:
    # Column names below are checked against the catalog by `soft_rules`, so a catalog rename
    # fails loudly instead of silently disabling a rule.
    pv_key = key_columns(PERIOD_VALUES)
    return {
        ADMINISTRATIONS.id: [r.text_present("name_present", "name", "every administration has a name",
                                            key=key_columns(ADMINISTRATIONS))],
        PERIOD_VALUES.id: [
            r.not_both_zero("debit_or_credit_nonzero", "debit", "credit",
                            "a period value moves debit or credit (rows with both zero are suspicious)",
                            key=pv_key),
            r.balanced_per("period_balanced", ("administration_id", "fiscal_year", "period"), "debit", "credit",
                           "per administration and period, debits over all accounts equal credits"),
        ],
        TRANSACTIONS.id: _transaction_rules(TRANSACTIONS),
        TRANSACTIONS_ALLOCATED.id: _transaction_rules(TRANSACTIONS_ALLOCATED),
        DOSSIER_ITEMS.id: [
            r.present_when("file_name_present", "file_name", "file_id",
                           "an attachment (file_id) has a file_name", key=key_columns(DOSSIER_ITEMS)[:1]),
            r.not_before("modified_not_before_created", "modified_at", "created_at",
                         "modified_at is not earlier than created_at", key=key_columns(DOSSIER_ITEMS)),
        ],
        RECEIVABLES.id: _open_item_rules(RECEIVABLES),
        PAYABLES.id: _open_item_rules(PAYABLES),
        ACCOUNTS.id: [r.text_present("description_present", "description",
                                     "every ledger account has a description", key=key_columns(ACCOUNTS))],
        ALLOCATION_CODES.id: [r.text_present("code_present", "code", "every allocation code is filled in",
                                             key=key_columns(ALLOCATION_CODES)[:2])],
    }


@functools.cache
def soft_rules(connector: Connector | str) -> tuple[r.Rule, ...]:
    """Rules that only warn (suspicious, not impossible, data)."""
    conn = resolve(connector)
    rules = tuple(_soft_rule_table().get(conn.id, ()))
    known = set(warehouse_dtypes(conn))
    for rule in rules:
        unknown = set(rule.columns) - known
        if unknown:
            raise KeyError(f"soft rule {rule.name} of {conn.id} reads unknown columns {sorted(unknown)}")
    return rules


def checks_per_part(connector: Connector | str, split_field: str) -> bool:
    """Whether a slice may be validated part by part, every hard and soft rule on each part alone,
    when no two parts share a value of the AFAS field `split_field` (how `afas.paging` windows
    split a slice): true when every rule over groups of rows groups by that field's column."""
    conn = resolve(connector)
    try:
        column = conn.field(split_field).column
    except KeyError:
        return False
    return all(rule.holds_per_part(column) for rule in (*hard_rules(conn), *soft_rules(conn)))


def _check(rule: r.Rule) -> pa.Check:
    expr = rule.passes
    # ignore_na (the default) makes a null outcome a pass: "the rule does not apply to this row".
    return pa.Check(
        lambda data: data.lazyframe.select(expr),
        name=rule.name,
        description=rule.description,
        n_failure_cases=FAILURE_CASES_PER_CHECK,
    )


@functools.cache
def schema_for(connector: Connector | str) -> pa.DataFrameSchema:
    """The Pandera schema of a connector's warehouse frame (after `to_warehouse`).

    Single-column hard rules become column checks (failure cases then name the column and value);
    the others are frame-level checks named after the rule.
    """
    conn = resolve(connector)
    dtypes = warehouse_dtypes(conn)
    key_ids = set(conn.key)
    rules = hard_rules(conn)
    column_checks = {rule.columns[0]: rule for rule in rules if len(rule.columns) == 1}
    columns = {
        f.column: pa.Column(
            dtypes[f.column],
            checks=[_check(column_checks[f.column])] if f.column in column_checks else None,
            nullable=not f.required,  # key fields are required, except the optional allocation axes
            description=f.meaning + (" (key)" if f.id in key_ids else ""),
        )
        for f in conn.fields
    }
    return pa.DataFrameSchema(
        columns,
        checks=[_check(rule) for rule in rules if len(rule.columns) != 1],
        strict=False,
        name=conn.id,
        description=conn.description,
    )
