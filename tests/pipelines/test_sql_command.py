"""`afas-pipeline sql`: read-only queries on the configured lake, files for Excel, time travel, DuckDB's shell."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.cli import main
from tests.warehouse.workers import books
from settings import Settings
from warehouse import Warehouse
from warehouse.store import close_all

pytestmark = pytest.mark.slow  # the command in processes of its own, each on a fresh lake: tens of seconds

CLI = str(Path(sys.executable).with_name("afas-pipeline"))


@pytest.fixture
def lake(tmp_path, monkeypatch):
    """An embedded lake where `AFAS_DATA_DIR` says, with one period's books in it."""
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("AFAS_WAREHOUSE", raising=False)
    monkeypatch.delenv("AFAS_WAREHOUSE_DATA", raising=False)
    settings = Settings.from_environment().lake()
    wh = Warehouse(settings)
    wh.replace_slices(books(1, 1, 0))
    yield wh
    close_all()


def sql(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["sql", *args], out=out)
    return code, out.getvalue()


def test_a_query_prints_a_table(lake):
    code, out = sql("SELECT count(*) AS lines, sum(amount_debit) AS debit FROM transactions")
    assert code == 0, out
    assert "lines" in out and "│ 4 " in out and "2.00" in out


def test_out_writes_a_workbook_csv_and_parquet(lake, tmp_path):
    query = "SELECT account_no, debit, credit, balance FROM trial_balance ORDER BY account_no"
    expected = lake.query(query)
    for name in ("tb.xlsx", "tb.csv", "tb.parquet"):
        code, out = sql("--out", str(tmp_path / name), query)
        assert code == 0 and f"wrote {expected.height} rows" in out, out
    with zipfile.ZipFile(tmp_path / "tb.xlsx") as book:  # a real Office Open XML workbook
        assert "xl/workbook.xml" in book.namelist()
    from warehouse import extensions

    con = duckdb.connect(config=extensions.CONFIG)
    for statement in extensions.load_statements(("excel",)):
        con.execute(statement)
    sheet = con.execute(f"SELECT * FROM read_xlsx('{tmp_path / 'tb.xlsx'}', header = true)").fetchall()
    assert [r[0] for r in sheet] == expected["account_no"].to_list()
    with open(tmp_path / "tb.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["debit"] for r in rows] == [str(v) for v in expected["debit"]]
    assert pl.read_parquet(tmp_path / "tb.parquet").equals(expected)


def test_as_of_shows_the_lake_as_it_was(lake):
    time.sleep(0.05)
    before = dt.datetime.now(dt.timezone.utc)
    time.sleep(0.05)
    lake.replace_slices(books(1, 1, 4))
    code, now = sql("SELECT DISTINCT description FROM transactions")
    code_then, then = sql("--as-of", before.isoformat(), "SELECT DISTINCT description FROM transactions")
    assert code == code_then == 0
    assert "g4" in now and "g0" not in now
    assert "g0" in then and "g4" not in then


def test_as_of_before_the_first_load_says_where_history_starts(lake):
    code, out = sql("--as-of", "2020-01-31", "SELECT count(*) FROM transactions")
    assert code == 2 and "no state as early as 2020-01-31" in out and "history starts at" in out


def test_nothing_can_be_changed_through_it(lake):
    code, out = sql("DELETE FROM transactions")
    assert code == 1 and "read-only" in out
    assert lake.query("SELECT count(*) AS n FROM transactions")["n"][0] == 4


def test_bad_sql_and_a_missing_lake_get_clear_errors(lake, tmp_path, monkeypatch):
    code, out = sql("SELECT nope FROM transactions")
    assert code == 1 and "nope" in out
    code, out = sql("--out", str(tmp_path / "x.docx"), "SELECT 1")
    assert code == 1 and ".xlsx" in out
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "elsewhere"))
    code, out = sql("SELECT 1")
    assert code == 2 and "make demo" in out


def test_without_a_query_it_is_duckdbs_shell_on_the_lake_read_only(lake):
    script = "SELECT count(*) AS n FROM transactions;\nINSERT INTO transactions (environment) VALUES ('x');\n"
    done = subprocess.run([CLI, "sql"], input=script, capture_output=True, text=True, timeout=120,
                          env={**os.environ})
    assert "│ 4 " in done.stdout or "4" in done.stdout.split(), done.stdout + done.stderr
    assert "read-only" in (done.stdout + done.stderr)
    assert lake.query("SELECT count(*) AS n FROM transactions")["n"][0] == 4


@pytest.mark.services
def test_the_shell_on_a_postgres_catalog_gets_the_password_outside_its_command_line(tmp_path, postgres_server, monkeypatch):
    from tests.conftest import lake_on
    from pipelines.sql_command import shell_command
    from warehouse.settings import without_password

    with lake_on("postgres", tmp_path, postgres_server) as settings:
        Warehouse(settings).replace_slices(books(1, 1, 0))
        typed = f"{settings.catalog.removeprefix('postgres:')} password=Geheim123"  # trust auth ignores it
        monkeypatch.setenv("AFAS_WAREHOUSE", f"postgres:{typed}")
        monkeypatch.setenv("AFAS_WAREHOUSE_DATA", settings.data_path)
        stripped, password = without_password(Settings.from_environment({**os.environ, "AFAS_DATA_DIR": str(tmp_path)}).lake())
        assert password == "Geheim123" and "Geheim123" not in " ".join(shell_command(stripped))
        done = subprocess.run([CLI, "sql"], input="SELECT count(*) AS n FROM transactions;\n", capture_output=True,
                              text=True, timeout=120, env={**os.environ})
        assert "4" in done.stdout.split(), done.stdout + done.stderr
        assert "Geheim123" not in done.stdout + done.stderr
