"""Contract (hard) rules: a valid slice passes; each violation is reported, not raised."""

from __future__ import annotations

import json
import time

import polars as pl
import pytest

from catalog import CONNECTORS, TRANSACTIONS, TRANSACTIONS_ALLOCATED
from schemas import validate
from schemas.validate import FAILURE_CASES_PER_CHECK
from tests.schemas.frames import VALID, big_transactions, frame, valid

FAILURE_COLUMNS = {"failure_case", "schema_context", "column", "check", "check_number", "index"}


def rows(conn, **changes_by_row):
    """The valid rows of `conn` with changes: `r0={"Period": 14}` changes the first row."""
    out = [dict(r) for r in VALID[conn.id]]
    for key, change in changes_by_row.items():
        out[int(key[1:])].update(change)
    return out


@pytest.mark.parametrize("conn", CONNECTORS, ids=lambda c: c.id)
def test_valid_slice_passes(conn):
    result = validate(conn, valid(conn))
    assert result.ok, result.summary
    assert result.connector_id == conn.id
    assert result.rows == result.frame.height == len(VALID[conn.id])
    assert result.error_counts == {} and result.failure_cases.is_empty()
    assert set(result.failure_cases.columns) == FAILURE_COLUMNS
    assert "meet the contract" in result.summary


def test_empty_slice_passes():
    result = validate(TRANSACTIONS, valid(TRANSACTIONS).clear())
    assert result.ok and result.rows == 0


def test_null_key_fails():
    result = validate(TRANSACTIONS, frame(TRANSACTIONS, rows(TRANSACTIONS, r3={"SeqNo": None})))
    assert not result.ok
    assert result.frame is None
    assert result.error_counts["not_nullable:line_no"] == 1
    case = result.failure_cases.filter(pl.col("check") == "not_nullable")
    assert case.select("column", "index").rows() == [("line_no", 3)]
    assert "line_no is empty but must be filled in" in result.summary


def test_duplicate_key_fails_naming_the_key():
    dup = VALID[TRANSACTIONS.id] + VALID[TRANSACTIONS.id][3:5]  # entry 2 twice: still balanced
    result = validate(TRANSACTIONS, frame(TRANSACTIONS, dup))
    assert not result.ok
    assert result.error_counts == {"key_unique": 4}
    cases = result.failure_cases.filter(pl.col("check") == "key_unique")
    keys = [json.loads(c) for c in cases["failure_case"]]
    assert keys[0] == {"administration_id": 1, "entry_no": 2, "line_no": 1}
    assert sorted(cases["index"].to_list()) == [3, 4, 5, 6]
    assert "key administration_id=1, entry_no=2, line_no=1 occurs 2 times" in result.summary


def test_null_allocation_axes_count_as_values_in_the_key():
    line = dict(VALID[TRANSACTIONS_ALLOCATED.id][0])  # no allocation axes: DimAx1..5 null
    result = validate(TRANSACTIONS_ALLOCATED, frame(TRANSACTIONS_ALLOCATED, VALID[TRANSACTIONS_ALLOCATED.id] + [line]))
    assert result.error_counts.get("key_unique") == 2


def test_period_14_fails():
    result = validate(TRANSACTIONS, frame(TRANSACTIONS, rows(TRANSACTIONS, r0={"Period": 14}, r1={"Period": 14})))
    assert not result.ok
    assert result.error_counts == {"period_range": 2}
    cases = result.failure_cases.filter(pl.col("check") == "period_range")
    assert cases.select("column", "failure_case", "index").rows() == [("period", "14", 0), ("period", "14", 1)]
    assert "period_range" in result.summary and "period=14" in result.summary


def test_implausible_fiscal_year_fails():
    result = validate(TRANSACTIONS, frame(TRANSACTIONS, rows(TRANSACTIONS, r4={"Year": 1989})))
    assert result.error_counts == {"fiscal_year_range": 1}


def test_unbalanced_entry_fails_naming_entry_and_sums():
    result = validate(TRANSACTIONS, frame(TRANSACTIONS, rows(TRANSACTIONS, r1={"AmtCredit": "90.00"})))
    assert not result.ok
    assert result.error_counts == {"entry_balanced": 3}  # every line of entry 1
    assert "entry 1 of administration 1 does not balance: debit 121.00, credit 111.00" in result.summary
    cases = result.failure_cases.filter(pl.col("check") == "entry_balanced")
    first = json.loads(cases["failure_case"][0])
    assert first == {"administration_id": 1, "entry_no": 1, "amount_debit": "121.00", "amount_credit": "0.00"}


def test_allocation_splits_must_add_up_to_the_entry():
    changed = rows(TRANSACTIONS_ALLOCATED, r2={"AmtCredit": "30.00"})  # split 60 + 30 of a 100 line
    result = validate(TRANSACTIONS_ALLOCATED, frame(TRANSACTIONS_ALLOCATED, changed))
    assert result.error_counts == {"entry_balanced": 4}
    assert "debit 121.00, credit 111.00" in result.summary


def test_several_violations_are_all_reported():
    changed = rows(TRANSACTIONS, r0={"Period": 14}, r1={"AmtCredit": "90.00"}, r3={"AccountNo": None})
    result = validate(TRANSACTIONS, frame(TRANSACTIONS, changed))
    assert result.error_counts == {"period_range": 1, "not_nullable:account_no": 1, "entry_balanced": 3}
    assert result.summary.startswith("Visionplanner_transactions: 5 rows break 3 contract checks.")


def test_failure_cases_are_capped_but_counts_are_complete():
    big = big_transactions(1_000).with_columns(pl.lit(14, pl.Int64).alias("Period"))
    result = validate(TRANSACTIONS, big)
    assert result.error_counts == {"period_range": 1_000}
    assert result.failure_cases.height == FAILURE_CASES_PER_CHECK
    assert "fails on 1,000 rows" in result.summary


@pytest.mark.slow
def test_one_million_balanced_transactions():
    big = big_transactions(1_000_000)
    started = time.perf_counter()
    result = validate(TRANSACTIONS, big)
    elapsed = time.perf_counter() - started
    print(f"validated {big.height:,} transaction rows in {elapsed:.2f} s")
    assert result.ok, result.summary
    assert result.rows == 1_000_000
