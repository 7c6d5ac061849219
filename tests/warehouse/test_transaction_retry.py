"""A refused commit is retried as a whole, logged, within a bound; other errors are not retried."""

from __future__ import annotations

import logging

import duckdb
import pytest

from warehouse import WarehouseBusyError
from tests.waits import RecordedWaits
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
    waits = RecordedWaits()
    with caplog.at_level(logging.WARNING, logger="warehouse"):
        assert run_transaction(con, work, what="replace transactions of o1", timeout_s=10,
                               sleep=waits.sleep, clock=waits.clock) == 3
    assert len(calls) == 3 and len(waits.waits) == 2  # a wait before each new attempt
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
    waits = RecordedWaits()
    with pytest.raises(WarehouseBusyError, match="did not commit within 1 s.*stopped or hung.*intact"):
        run_transaction(con, work, what="replace period_values of o1", timeout_s=1, sleep=waits.sleep, clock=waits.clock)
    # retried until the bound and not beyond: it gave up at the first failure past 1 s
    assert sum(waits.waits[:-1]) < 1 <= waits.total
    assert len(calls) == len(waits.waits) + 1 > 2
    # random exponential waits: the n-th at most 20 ms * 2^(n-1), never more than 1 s
    assert all(0 <= w <= min(1.0, 0.02 * 2 ** (n - 1)) for n, w in enumerate(waits.waits, 1)), waits.waits
    assert con.execute("SELECT count(*) FROM t").fetchone() == (0,)
