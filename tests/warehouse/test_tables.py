"""DDL and comments derived from the catalog."""

from __future__ import annotations

from catalog import CONNECTORS, PERIOD_VALUES, RECEIVABLES, TRANSACTIONS
from warehouse import tables
from catalog.slices import slice_columns


def test_every_catalog_table_is_created_with_comments(wh):
    assert set(wh.tables()) == {c.table for c in CONNECTORS} | set(tables.BOOKKEEPING_TABLES)  # on first use
    assert wh.ensure_all_tables() == []  # idempotent
    views = wh.query("SELECT view_name FROM duckdb_views() WHERE NOT internal")["view_name"].to_list()
    assert {"slice_loads", "general_ledger", "trial_balance", "receivables_aging"} <= set(views)

    comments = wh.query("SELECT table_name, comment FROM duckdb_tables()")
    by_table = dict(comments.iter_rows())
    for c in CONNECTORS:
        assert by_table[c.table].startswith(c.description)
        assert f"AFAS GetConnector {c.id}" in by_table[c.table]
        assert "one row per environment" in by_table[c.table]
        assert f"sliced by {', '.join(slice_columns(c))}" in by_table[c.table]

    columns = wh.query(
        "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE table_name IN (SELECT table_name FROM duckdb_tables())"
    )
    assert columns.filter(columns["comment"].is_null()).height == 0, "every column has a comment"
    comment = dict(
        ((t, c), m) for t, c, m in columns.iter_rows()
    )
    assert comment[("transactions", "administration_id")] == "AFAS UnitId: Administratie (administration)"
    assert comment[("transactions", "amount_debit")] == "AFAS AmtDebit: Bedrag debet (EUR)"
    assert "environment" in comment[("transactions", "environment")]


def test_column_order_and_types_follow_the_catalog(wh):
    wh.ensure_all_tables()
    rows = wh.query(
        "SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE table_name = 'transactions' ORDER BY column_index"
    )
    names = rows["column_name"].to_list()
    assert names == ["environment", *(f.column for f in TRANSACTIONS.fields), "loaded_at"]
    types = dict(zip(names, rows["data_type"]))
    assert types["administration_id"] == "BIGINT"
    assert types["amount_debit"] == "DECIMAL(38,2)"
    assert types["entry_date"] == "DATE"
    assert types["created_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["description"] == "VARCHAR"
    nullable = dict(zip(names, rows["is_nullable"]))
    assert not nullable["environment"] and not nullable["loaded_at"]

    snap = wh.query(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'outstanding_receivables' ORDER BY column_index"
    )["column_name"].to_list()
    assert snap[:2] == ["environment", "snapshot_date"] and snap[-1] == "loaded_at"
    assert len(snap) == len(RECEIVABLES.fields) + 3


def test_table_comment_text():
    text = tables.table_comment(PERIOD_VALUES)
    assert text.startswith("Period values (saldi)")
    assert "AFAS GetConnector Visionplanner_periodvalues" in text
    assert "sliced by environment, administration_id, fiscal_year, period" in text
    assert "snapshot_date" in tables.table_comment(RECEIVABLES)


def test_tables_are_partitioned_by_their_slice_columns(wh):
    wh.ensure_all_tables()
    info = wh.query(
        "SELECT t.table_name, list(c.column_name ORDER BY pc.partition_key_index) AS columns "
        "FROM __ducklake_metadata_lake.ducklake_partition_column pc "
        "JOIN __ducklake_metadata_lake.ducklake_partition_info p USING (partition_id, table_id) "
        "JOIN __ducklake_metadata_lake.ducklake_table t USING (table_id) "
        "JOIN __ducklake_metadata_lake.ducklake_column c ON c.table_id = t.table_id AND c.column_id = pc.column_id "
        "WHERE p.end_snapshot IS NULL AND t.end_snapshot IS NULL AND c.end_snapshot IS NULL GROUP BY ALL"
    )
    partitioned = dict(info.iter_rows())
    for c in CONNECTORS:
        assert partitioned[c.table] == list(slice_columns(c)), c.table
