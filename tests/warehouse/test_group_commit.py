"""Threads of one process that write at the same moment share one opening of the file, each write in
its own transaction; a failing write fails only its caller."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest

from afas.catalog import TRANSACTIONS
from tests.warehouse.frames import frame, period_slice, transaction
from warehouse import group_commit


class CountingFile:
    """Opens an in-memory DuckDB; the first opening waits until `hold` is released."""

    def __init__(self) -> None:
        self.openings = 0
        self.hold = threading.Event()

    @contextlib.contextmanager
    def open(self):
        self.openings += 1
        if self.openings == 1:
            assert self.hold.wait(10)
        con = duckdb.connect(":memory:")
        try:
            yield con
        finally:
            con.close()


def _wait_for_waiting(path, n: int) -> None:
    deadline = time.monotonic() + 10
    while len(group_commit._queue(path).waiting) < n:
        assert time.monotonic() < deadline, "writes did not queue"
        time.sleep(0.005)


def test_waiting_writes_share_one_opening_and_keep_their_own_outcome(tmp_path):
    path = tmp_path / "shared.duckdb"
    file = CountingFile()

    def work(i):
        def run(con):
            if i == 3:
                raise ValueError("write 3 is bad")
            return con.execute("SELECT ? * 10", [i]).fetchall()[0][0]
        return run

    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(group_commit.write, path, file.open, work(0))
        _wait_for_waiting(path, 1)
        deadline = time.monotonic() + 10
        while file.openings == 0:  # the leader is opening the file (and held there)
            assert time.monotonic() < deadline
            time.sleep(0.005)
        rest = {i: pool.submit(group_commit.write, path, file.open, work(i)) for i in range(1, 6)}
        _wait_for_waiting(path, 6)
        file.hold.set()
        assert first.result() == 0
        for i, future in rest.items():
            if i == 3:
                with pytest.raises(ValueError, match="write 3 is bad"):
                    future.result()
            else:
                assert future.result() == i * 10
    assert file.openings == 1


def test_a_file_that_cannot_be_opened_fails_every_waiting_write_and_the_next_one_opens_again(tmp_path):
    path = tmp_path / "broken.duckdb"
    attempts = []

    @contextlib.contextmanager
    def broken():
        attempts.append(1)
        raise OSError("disk gone")
        yield  # pragma: no cover

    with pytest.raises(OSError, match="disk gone"):
        group_commit.write(path, broken, lambda con: 1)
    file = CountingFile()
    file.hold.set()
    assert group_commit.write(path, file.open, lambda con: con.execute("SELECT 7").fetchall()[0][0]) == 7
    assert attempts == [1] and file.openings == 1


def test_concurrent_slices_all_land_with_their_load_records(wh):
    def load(period: int) -> int:
        rows = [transaction(1, 2025, period, entry, 1, "4000", "10.00", "0.00") for entry in range(1, 51)]
        return wh.replace_slice(TRANSACTIONS, period_slice(period=period), frame(TRANSACTIONS, rows)).rows_inserted

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(load, range(1, 13))) == [50] * 12
    counts = wh.query("SELECT period, count(*) AS n FROM transactions GROUP BY period ORDER BY period")
    assert counts["n"].to_list() == [50] * 12
    loads = wh.query("SELECT count(*) AS n FROM slice_loads WHERE table_name = 'transactions'")
    assert loads["n"][0] == 12
