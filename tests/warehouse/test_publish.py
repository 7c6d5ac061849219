"""Published Parquet files and the analysts' database built over them."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from decimal import Decimal

import duckdb
import polars as pl

from afas.catalog import ADMINISTRATIONS, RECEIVABLES, TRANSACTIONS
from tests.warehouse.frames import ENV, frame, money, period_slice, transaction
from warehouse import Warehouse


def lines(period: int, n: int = 2) -> pl.DataFrame:
    return frame(TRANSACTIONS, [transaction(1, 2025, period, period * 100 + i, 1, "8000", "0.00", "2.50") for i in range(n)])


def analyst_query(wh: Warehouse, sql: str) -> list[tuple]:
    con = duckdb.connect(str(wh.analyst_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_publish_layout(wh):
    pub = wh.publish_dir
    wh.replace_slice(TRANSACTIONS, period_slice(period=3), lines(3))
    wh.replace_slice(ADMINISTRATIONS, {"environment": ENV}, frame(ADMINISTRATIONS, [{"administration_id": 1, "name": "A"}]))
    snapshot = {"environment": ENV, "administration_id": 1, "snapshot_date": dt.date(2026, 1, 31)}
    item = {"administration_id": 1, "debtor_id": "D", "invoice_no": "F", "open_amount": money("1.00")}
    wh.replace_slice(RECEIVABLES, snapshot, frame(RECEIVABLES, [item]))

    data = sorted(str(p.relative_to(pub)) for p in pub.rglob("data.parquet"))
    assert data == [
        "administrations/environment=o12345/data.parquet",
        "outstanding_receivables/environment=o12345/administration_id=1/snapshot_date=2026-01-31/data.parquet",
        "slice_loads/data.parquet",
        "transactions/environment=o12345/administration_id=1/fiscal_year=2025/period=3/data.parquet",
    ]
    assert not [p for p in pub.rglob("*") if p.name.endswith(".tmp")]
    published = pl.read_parquet(pub / "transactions/environment=o12345/administration_id=1/fiscal_year=2025/period=3/data.parquet")
    assert published.height == 2 and published["environment"].to_list() == [ENV, ENV]
    schema = pl.read_parquet(pub / "transactions" / "_schema.parquet")
    assert schema.height == 0
    assert schema.columns == wh.query("SELECT * FROM transactions LIMIT 0").columns


def test_emptied_slice_removes_its_file(wh):
    wh.replace_slice(TRANSACTIONS, period_slice(period=3), lines(3))
    wh.replace_slice(TRANSACTIONS, period_slice(period=4), lines(4))
    wh.replace_slice(TRANSACTIONS, period_slice(period=3), lines(3).clear())
    files = [p.parent.name for p in (wh.publish_dir / "transactions").rglob("data.parquet")]
    assert files == ["period=4"]
    assert not (wh.publish_dir / "transactions/environment=o12345/administration_id=1/fiscal_year=2025/period=3").exists()
    assert analyst_query(wh, "SELECT period, count(*) FROM transactions GROUP BY ALL") == [(4, 2)]


def test_analyst_database_keeps_types_and_comments(wh):
    wh.replace_slice(TRANSACTIONS, period_slice(), lines(3, n=1))
    types = dict(analyst_query(wh, "SELECT column_name, column_type FROM (DESCRIBE transactions)"))
    pipeline = dict(wh.query("SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'transactions'").iter_rows())
    assert types == pipeline
    assert types["amount_debit"] == "DECIMAL(38,2)"
    assert types["created_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["loaded_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["entry_date"] == "DATE"
    # Column order follows the table (the zero-row schema file is read first).
    order = [r[0] for r in analyst_query(wh, "SELECT column_name FROM (DESCRIBE transactions)")]
    assert order == wh.query("SELECT * FROM transactions LIMIT 0").columns

    ((amount, created),) = analyst_query(wh, "SELECT amount_credit, created_at FROM transactions")
    assert amount == Decimal("1.00") or amount == Decimal("2.50")
    assert created == dt.datetime(2025, 3, 15, 8, 30, tzinfo=dt.timezone.utc)

    comments = dict(analyst_query(wh, "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal"))
    assert "AFAS GetConnector Visionplanner_transactions" in comments["transactions"]
    assert comments["general_ledger"].startswith("General ledger")
    ((column_comment,),) = analyst_query(
        wh, "SELECT comment FROM duckdb_columns() WHERE table_name = 'transactions' AND column_name = 'administration_id'"
    )
    assert column_comment == "AFAS UnitId: Administratie (AFAS UnitId)"


def test_empty_tables_have_typed_views(wh):
    wh.ensure_all_tables()
    assert analyst_query(wh, "SELECT count(*) FROM outstanding_payables") == [(0,)]
    types = dict(analyst_query(wh, "SELECT column_name, column_type FROM (DESCRIBE outstanding_payables)"))
    assert types["open_amount"] == "DECIMAL(38,2)" and types["payment_blocked"] == "BOOLEAN"
    for view in ("general_ledger", "trial_balance", "receivables_aging", "payables_aging_history"):
        assert analyst_query(wh, f"SELECT count(*) FROM {view}") == [(0,)]


def test_analyst_database_is_rebuilt_only_when_its_definition_changes(wh):
    wh.replace_slice(TRANSACTIONS, period_slice(period=1), lines(1))
    inode = os.stat(wh.analyst_path).st_ino
    wh.replace_slice(TRANSACTIONS, period_slice(period=2), lines(2))
    assert os.stat(wh.analyst_path).st_ino == inode, "same columns: not rebuilt"
    assert not wh.refresh_analyst_db()

    wh.replace_slice(TRANSACTIONS, period_slice(period=3), lines(3).with_columns(pl.lit(True).alias("is_reversal")))
    assert os.stat(wh.analyst_path).st_ino != inode
    assert analyst_query(wh, "SELECT period, is_reversal FROM transactions ORDER BY period, entry_no") == [
        (1, None), (1, None), (2, None), (2, None), (3, True), (3, True)
    ]
    ((comment,),) = analyst_query(
        wh, "SELECT comment FROM duckdb_columns() WHERE table_name = 'transactions' AND column_name = 'is_reversal'"
    )
    assert comment.startswith("AFAS field not in the catalog (added ")


def test_publish_all_recovers_a_lost_publish_folder(wh, tmp_path):
    wh.replace_slice(TRANSACTIONS, period_slice(period=1), lines(1))
    wh.replace_slice(TRANSACTIONS, period_slice(period=2), lines(2, n=3))
    shutil.rmtree(wh.publish_dir)
    stale = wh.publish_dir / "transactions/environment=o12345/administration_id=9/data.parquet"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"not parquet")
    assert wh.publish_all() == 2
    assert not stale.exists()
    assert analyst_query(wh, "SELECT period, count(*) FROM transactions GROUP BY ALL ORDER BY 1") == [(1, 2), (2, 3)]
    assert analyst_query(wh, "SELECT count(*) FROM slice_loads") == [(2,)]


def test_without_publish_dir_nothing_is_published(tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    wh.replace_slice(TRANSACTIONS, period_slice(), lines(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb", "w.duckdb.lock"]
    assert wh.tables()[-2:] == ["transactions", "transactions_allocated"]
