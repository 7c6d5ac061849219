"""Soft rules: each passes on the valid slices and fails, with counts and a sample, on a crafted row."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from catalog import (
    ACCOUNTS,
    ADMINISTRATIONS,
    ALLOCATION_CODES,
    CHANGED_ENTRY_DATES,
    CONNECTORS,
    DOSSIER_ITEMS,
    PAYABLES,
    PERIOD_VALUES,
    RECEIVABLES,
    TRANSACTIONS,
    TRANSACTIONS_ALLOCATED,
)
from schemas import soft_checks, soft_rule_specs, validate
from tests.schemas.frames import CREATED, VALID, frame, valid

EARLIER = CREATED - dt.timedelta(days=1)


def _changed(conn, row: int, **change):
    out = [dict(r) for r in VALID[conn.id]]
    out[row].update(change)
    return out


def _added(conn, *extra):
    return [dict(r) for r in VALID[conn.id]] + [dict(e) for e in extra]


def _line(conn, entry: int, seq: int, account: str, debit: str, credit: str):
    return {**VALID[conn.id][0], "EntryNo": entry, "SeqNo": seq, "AccountNo": account,
            "AmtDebit": debit, "AmtCredit": credit, "InvoiceId": None}


def _transaction_cases(conn):
    return {
        (conn.id, "line_one_sided"): (_added(conn, _line(conn, 3, 1, "4000", "0", "0")), 1),
        (conn.id, "amounts_not_negative"): (
            _added(conn, _line(conn, 3, 1, "4000", "-10.00", "0"), _line(conn, 3, 2, "1100", "0", "-10.00")), 2),
        (conn.id, "entry_date_in_fiscal_year"): (_changed(conn, 0, EntryDate=dt.date(2026, 1, 2)), 1),
        (conn.id, "modified_not_before_created"): (_changed(conn, 1, Modified=EARLIER), 1),
    }


def _open_item_cases(conn):
    return {
        (conn.id, "open_within_invoice"): (_changed(conn, 1, Balance="-60.00"), 1),
        (conn.id, "due_not_before_invoice"): (_changed(conn, 0, ExpDate=dt.date(2024, 2, 1)), 1),
        (conn.id, "open_amount_nonzero"): (_changed(conn, 0, Balance="0"), 1),
    }


#: (connector id, rule name) → (rows with one crafted defect, expected failing rows).
BAD = {
    (ADMINISTRATIONS.id, "name_present"): (_changed(ADMINISTRATIONS, 1, AdminNm="  "), 1),
    (PERIOD_VALUES.id, "debit_or_credit_nonzero"): (
        _added(PERIOD_VALUES, {**VALID[PERIOD_VALUES.id][0], "AccountNr": "0100", "Debit": "0", "Credit": "0"}), 1),
    (PERIOD_VALUES.id, "period_balanced"): (_changed(PERIOD_VALUES, 0, Debit="122.00"), 6),
    **_transaction_cases(TRANSACTIONS),
    **_transaction_cases(TRANSACTIONS_ALLOCATED),
    (DOSSIER_ITEMS.id, "file_name_present"): (_changed(DOSSIER_ITEMS, 1, FileName=None), 1),
    (DOSSIER_ITEMS.id, "modified_not_before_created"): (_changed(DOSSIER_ITEMS, 0, Modified=EARLIER), 1),
    **_open_item_cases(RECEIVABLES),
    **_open_item_cases(PAYABLES),
    (ACCOUNTS.id, "description_present"): (_changed(ACCOUNTS, 0, Description=""), 1),
    (ALLOCATION_CODES.id, "code_present"): (_changed(ALLOCATION_CODES, 2, DimCode=" "), 1),
}

BY_ID = {c.id: c for c in CONNECTORS}


def test_every_soft_rule_has_a_crafted_failure():
    declared = {(c.id, name) for c in CONNECTORS for name, _ in soft_rule_specs(c)}
    assert declared == set(BAD)
    assert soft_rule_specs(CHANGED_ENTRY_DATES) == []


@pytest.mark.parametrize("conn", CONNECTORS, ids=lambda c: c.id)
def test_soft_rules_pass_on_valid_slices(conn):
    result = validate(conn, valid(conn))
    checks = soft_checks(conn, result.frame)
    assert [(c.name, c.description) for c in checks] == soft_rule_specs(conn)
    assert all(c.passed and c.failures == 0 and c.sample == [] for c in checks), checks


@pytest.mark.parametrize(("connector_id", "rule"), sorted(BAD), ids=lambda v: v)
def test_soft_rule_fails_on_crafted_row(connector_id, rule):
    conn = BY_ID[connector_id]
    bad_rows, expected = BAD[(connector_id, rule)]
    result = validate(conn, frame(conn, bad_rows))
    assert result.ok, result.summary  # soft rules never break the contract
    checks = {c.name: c for c in soft_checks(conn, result.frame)}
    check = checks[rule]
    assert not check.passed
    assert check.failures == expected
    assert 0 < len(check.sample) <= 5
    json.dumps(check.sample)  # ready to be Dagster JSON metadata
    others = [c.name for c in checks.values() if c.name != rule and not c.passed]
    assert others == [], f"the crafted row also broke {others}"


def test_sample_names_the_failing_row():
    result = validate(TRANSACTIONS, frame(TRANSACTIONS, BAD[(TRANSACTIONS.id, "modified_not_before_created")][0]))
    check = next(c for c in soft_checks(TRANSACTIONS, result.frame) if c.name == "modified_not_before_created")
    assert check.sample == [{
        "administration_id": 1, "entry_no": 1, "line_no": 2,
        "created_at": "2024-03-15T09:30:00+01:00", "modified_at": "2024-03-14T09:30:00+01:00",
    }]


def test_null_values_do_not_fail_a_rule():
    result = validate(TRANSACTIONS, valid(TRANSACTIONS, drop=["Created", "Modified"]))
    assert all(c.passed for c in soft_checks(TRANSACTIONS, result.frame))
