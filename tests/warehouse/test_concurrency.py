"""Other processes: concurrent writers, an analyst holding the analysts' file, a tool holding ours."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest

from afas.catalog import TRANSACTIONS
from tests.warehouse.frames import frame, period_slice, transaction
from tests.warehouse.workers import write_periods
from warehouse import Warehouse, WarehouseBusyError

READER = Path(__file__).with_name("reader.py")


class Session:
    """A process that keeps a DuckDB file open and runs queries on request."""

    def __init__(self, path: Path, read_write: bool = False):
        args = [sys.executable, str(READER), str(path), *(["--read-write"] if read_write else [])]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def ask(self, sql: str) -> dict:
        self.proc.stdin.write(sql.replace("\n", " ") + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=10)


@pytest.fixture
def sessions():
    opened: list[Session] = []

    def open_session(path: Path, read_write: bool = False) -> Session:
        opened.append(Session(path, read_write))
        return opened[-1]

    yield open_session
    for s in opened:
        if s.proc.poll() is None:
            s.proc.kill()
            s.proc.wait()


def lines(period: int, n: int) -> object:
    return frame(TRANSACTIONS, [transaction(1, 2025, period, period * 1000 + i, 1, "8000", "0.00", "1.00") for i in range(n)])


def test_two_processes_write_different_slices_at_the_same_time(tmp_path):
    db, pub = tmp_path / "warehouse.duckdb", tmp_path / "published"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        a = pool.apply_async(write_periods, (str(db), str(pub), [1, 3, 5, 7], 50))
        b = pool.apply_async(write_periods, (str(db), str(pub), [2, 4, 6, 8], 60))
        assert a.get(timeout=120) == [50] * 4
        assert b.get(timeout=120) == [60] * 4
    wh = Warehouse(db, pub)
    counts = wh.slice_counts(TRANSACTIONS)
    assert counts["period"].to_list() == list(range(1, 9))
    assert counts["rows"].to_list() == [50, 60] * 4
    assert len(list((pub / "transactions").rglob("data.parquet"))) == 8


def test_a_write_succeeds_while_an_analyst_holds_the_analyst_file_and_they_see_it(tmp_path, sessions):
    wh = Warehouse(tmp_path / "warehouse.duckdb", tmp_path / "published", busy_timeout_s=2)
    wh.replace_slice(TRANSACTIONS, period_slice(period=1), lines(1, 2))
    analyst = sessions(wh.analyst_path)  # read-only, kept open for the whole test
    assert analyst.ask("SELECT count(*) FROM transactions") == {"rows": [["2"]]}

    wh.replace_slice(TRANSACTIONS, period_slice(period=2), lines(2, 3))
    assert analyst.ask("SELECT count(*) FROM transactions") == {"rows": [["5"]]}
    assert analyst.ask("SELECT sum(amount) FROM general_ledger") == {"rows": [["-5.00"]]}

    # A new column rebuilds the analysts' file (moved into place); the open session keeps working.
    wh.replace_slice(TRANSACTIONS, period_slice(period=3), lines(3, 1).with_columns(project_code=pl_lit("P1")))
    assert analyst.ask("SELECT count(*), count(project_code) FROM transactions") == {"rows": [["6", "1"]]}
    analyst.close()
    fresh = sessions(wh.analyst_path)
    assert fresh.ask("SELECT project_code FROM transactions WHERE period = 3") == {"rows": [["P1"]]}


def test_an_analyst_holding_the_analyst_file_read_write_does_not_block_loads(tmp_path, sessions):
    wh = Warehouse(tmp_path / "warehouse.duckdb", tmp_path / "published", busy_timeout_s=2)
    wh.ensure_all_tables()
    analyst = sessions(wh.analyst_path, read_write=True)
    wh.replace_slice(TRANSACTIONS, period_slice(period=1), lines(1, 2).with_columns(project_code=pl_lit("P1")))
    assert analyst.ask("SELECT count(*) FROM transactions") == {"rows": [["2"]]}


def test_someone_holding_the_pipeline_file_makes_the_write_fail_with_advice(tmp_path, sessions):
    wh = Warehouse(tmp_path / "warehouse.duckdb", tmp_path / "published", busy_timeout_s=0.5)
    wh.ensure_all_tables()
    intruder = sessions(wh.path)  # read-only is enough to block every writer
    started = time.monotonic()
    with pytest.raises(WarehouseBusyError) as caught:
        wh.replace_slice(TRANSACTIONS, period_slice(), lines(3, 1))
    waited = time.monotonic() - started
    assert 0.5 <= waited < 5
    message = str(caught.value)
    assert str(wh.path) in message
    assert str(wh.analyst_path) in message
    assert "must not open the pipeline's own file" in message
    intruder.close()
    assert wh.replace_slice(TRANSACTIONS, period_slice(), lines(3, 1)).rows_inserted == 1


def pl_lit(value: str):
    import polars as pl

    return pl.lit(value)


def test_threads_of_one_process_take_turns(wh):
    from concurrent.futures import ThreadPoolExecutor

    def load(period: int) -> int:
        return wh.replace_slice(TRANSACTIONS, period_slice(period=period), lines(period, period)).rows_inserted

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(load, range(1, 9))) == list(range(1, 9))
    assert wh.slice_counts(TRANSACTIONS)["rows"].to_list() == list(range(1, 9))
    assert wh.query("SELECT count(*) AS n FROM slice_loads")["n"][0] == 8
