"""A refused commit is retried as a whole, logged, within a bound; other errors are not retried."""

from __future__ import annotations

import logging
import time

import duckdb
import pytest

from warehouse import WarehouseBusyError
from warehouse.lake import run_transaction


@pytest.fixture
def con():
    c = duckdb.connect()
    c.execute("CREATE TABLE t (x INTEGER)")
    yield c
    c.close()


def failing(times: int, error: Exception):
    calls = []

    def work(c):
        calls.append(1)
        c.execute("INSERT INTO t VALUES (?)", [len(calls)])
        if len(calls) <= times:
            raise error
        return len(calls)

    return work, calls


def test_a_busy_catalog_is_retried_whole_and_logged(con, caplog):
    busy = duckdb.TransactionException("Failed to commit DuckLake transaction: database is locked")
    work, calls = failing(2, busy)
    with caplog.at_level(logging.WARNING, logger="warehouse"):
        assert run_transaction(con, work, what="replace transactions of o1", timeout_s=10) == 3
    assert len(calls) == 3
    assert con.execute("SELECT list(x) FROM t").fetchone() == ([3],)  # the failed attempts left nothing
    retries = [r.getMessage() for r in caplog.records]
    assert len(retries) == 2 and all("replace transactions of o1" in m and "database is locked" in m for m in retries)


def test_other_errors_are_not_retried(con):
    work, calls = failing(5, duckdb.ConversionException("Could not convert string 'x' to INT32"))
    with pytest.raises(duckdb.ConversionException):
        run_transaction(con, work, what="w", timeout_s=10)
    assert len(calls) == 1 and con.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_a_conflict_that_does_not_end_fails_after_the_bound_with_a_clear_message(con):
    conflict = duckdb.TransactionException("Transaction conflict - attempting to delete from table with index 8")
    work, calls = failing(10**6, conflict)
    started = time.monotonic()
    with pytest.raises(WarehouseBusyError, match="did not commit within 1 s.*stopped or hung.*intact"):
        run_transaction(con, work, what="replace period_values of o1", timeout_s=1)
    assert 1 <= time.monotonic() - started < 3 and len(calls) > 1
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
