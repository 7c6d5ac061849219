"""replace_slice: one transaction per slice, insert by name, schema evolution, checks before writing."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import duckdb
import polars as pl
import pytest

from catalog import ADMINISTRATIONS, RECEIVABLES, TRANSACTIONS
from tests.warehouse.frames import ENV, frame, money, period_slice, transaction

ORDER = "ORDER BY environment, administration_id, fiscal_year, period, entry_no, line_no"


def lines(period: int, n: int = 3, admin: int = 1) -> pl.DataFrame:
    rows = [
        transaction(admin, 2025, period, 100 * period + i, 1, "8000", "0.00", f"{i + 1}.25", description=f"regel {i}")
        for i in range(n)
    ]
    return frame(TRANSACTIONS, rows)


def table(wh, name: str = "transactions") -> pl.DataFrame:
    return wh.query(f"SELECT * EXCLUDE (loaded_at) FROM {name} {ORDER if name == 'transactions' else ''}")


def test_loading_the_same_slice_twice_gives_the_same_table(wh):
    at = dt.datetime(2026, 1, 5, 12, tzinfo=dt.timezone.utc)
    first = wh.replace_slice(TRANSACTIONS, period_slice(), lines(3), loaded_at=at)
    once = wh.query(f"SELECT * FROM transactions {ORDER}")
    second = wh.replace_slice(TRANSACTIONS, period_slice(), lines(3), loaded_at=at)
    assert (first.rows_deleted, first.rows_inserted) == (0, 3)
    assert (second.rows_deleted, second.rows_inserted) == (3, 3)
    assert second.table == "transactions" and second.added_columns == () and second.seconds > 0
    assert wh.query(f"SELECT * FROM transactions {ORDER}").equals(once)


def test_replacing_one_slice_leaves_the_others_untouched(wh):
    wh.replace_slice(TRANSACTIONS, period_slice(period=3), lines(3, n=2))
    wh.replace_slice(TRANSACTIONS, period_slice(period=4), lines(4, n=3))
    wh.replace_slice(TRANSACTIONS, period_slice(period=3, env="o99999"), lines(3, n=4))
    before = table(wh).filter((pl.col("period") != 3) | (pl.col("environment") != ENV))

    result = wh.replace_slice(TRANSACTIONS, period_slice(period=3), lines(3, n=1))

    assert (result.rows_deleted, result.rows_inserted) == (2, 1)
    after = table(wh)
    assert after.filter((pl.col("period") != 3) | (pl.col("environment") != ENV)).equals(before)
    assert after.filter((pl.col("period") == 3) & (pl.col("environment") == ENV)).height == 1
    counts = wh.slice_counts(TRANSACTIONS)
    assert counts.select("environment", "period", "rows").rows() == [(ENV, 3, 1), (ENV, 4, 3), ("o99999", 3, 4)]


def test_insert_by_name_ignores_column_order(wh):
    df = lines(3, n=2)
    shuffled = df.columns.copy()
    random.Random(7).shuffle(shuffled)
    wh.replace_slice(TRANSACTIONS, period_slice(), df.select(shuffled))
    got = table(wh)
    assert got["amount_credit"].to_list() == [Decimal("1.25"), Decimal("2.25")]
    assert got["description"].to_list() == ["regel 0", "regel 1"]
    assert got["entry_no"].to_list() == [300, 301]
    assert got["environment"].unique().to_list() == [ENV]


def test_new_column_is_added_reported_and_null_for_older_slices(wh):
    wh.replace_slice(TRANSACTIONS, period_slice(period=3), lines(3, n=2))
    newer = lines(4, n=2).with_columns(
        pl.lit("proj-x").alias("project_code"),
        pl.lit(Decimal("1.5")).cast(pl.Decimal(38, 4)).alias("rate"),
        pl.Series("kind", ["a", "b"], dtype=pl.Categorical),
    )
    result = wh.replace_slice(TRANSACTIONS, period_slice(period=4), newer)
    assert result.added_columns == ("project_code", "rate", "kind")
    got = table(wh)
    assert got.filter(pl.col("period") == 3)["project_code"].to_list() == [None, None]
    assert got.filter(pl.col("period") == 4)["project_code"].to_list() == ["proj-x", "proj-x"]
    info = wh.query(
        "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE table_name = 'transactions' "
        "AND column_name IN ('project_code', 'rate', 'kind') ORDER BY column_index"
    )
    assert info["data_type"].to_list() == ["VARCHAR", "DECIMAL(38,4)", "VARCHAR"]
    assert all(c.startswith("AFAS field not in the catalog (added 20") for c in info["comment"])
    # The same column again is no longer new.
    assert wh.replace_slice(TRANSACTIONS, period_slice(period=4), newer).added_columns == ()


def test_missing_catalog_column_is_stored_as_null(wh):
    df = lines(3, n=2).drop("description", "created_at")
    wh.replace_slice(TRANSACTIONS, period_slice(), df)
    got = table(wh)
    assert got["description"].to_list() == [None, None]
    assert got["created_at"].to_list() == [None, None]
    assert got["account_no"].to_list() == ["8000", "8000"]


def test_rows_outside_the_slice_are_refused_before_anything_is_written(wh):
    wh.replace_slice(TRANSACTIONS, period_slice(period=3), lines(3, n=2))
    before = table(wh)
    mixed = pl.concat([lines(3, n=1), lines(4, n=1)])
    with pytest.raises(ValueError, match="period other than the slice's 3"):
        wh.replace_slice(TRANSACTIONS, period_slice(period=3), mixed)
    other_admin = lines(3, n=1, admin=2)
    with pytest.raises(ValueError, match="administration_id"):
        wh.replace_slice(TRANSACTIONS, period_slice(period=3), other_admin)
    assert table(wh).equals(before)


@pytest.mark.parametrize(
    "connector, bad",
    [
        (TRANSACTIONS, {"environment": ENV, "administration_id": 1}),
        (TRANSACTIONS, {**period_slice(), "snapshot_date": dt.date(2025, 1, 1)}),
        (RECEIVABLES, {"environment": ENV, "administration_id": 1}),
        (ADMINISTRATIONS, {"environment": ENV, "administration_id": 1}),
        (TRANSACTIONS, {**period_slice(), "period": "3"}),
        (TRANSACTIONS, {**period_slice(), "environment": ""}),
    ],
)
def test_wrong_slice_keys_or_values_are_refused(wh, connector, bad):
    with pytest.raises(ValueError, match="slice"):
        wh.replace_slice(connector, bad, frame(connector, []))
    assert not wh.settings.sqlite_path.exists()  # refused before the lake was even opened


def test_frame_may_not_carry_loaded_at_or_odd_names(wh):
    with pytest.raises(ValueError, match="loaded_at"):
        wh.replace_slice(TRANSACTIONS, period_slice(), lines(3).with_columns(pl.lit(None).alias("loaded_at")))
    with pytest.raises(ValueError, match="snake_case"):
        wh.replace_slice(TRANSACTIONS, period_slice(), lines(3).with_columns(pl.lit(1).alias("NewField")))


def test_failing_insert_rolls_back_the_delete(wh):
    wh.replace_slice(TRANSACTIONS, period_slice(), lines(3, n=2))
    before = table(wh)
    bad = lines(3, n=2).with_columns(pl.lit("not a number").alias("amount_debit"), pl.lit("x").alias("brand_new"))
    with pytest.raises(duckdb.ConversionException):
        wh.replace_slice(TRANSACTIONS, period_slice(), bad)
    assert table(wh).equals(before)
    columns = wh.query("SELECT column_name FROM duckdb_columns() WHERE table_name = 'transactions'")["column_name"]
    assert "brand_new" not in columns.to_list(), "the added column was rolled back too"


def test_slice_columns_come_from_the_slice_when_the_frame_lacks_them(wh):
    wh.replace_slice(TRANSACTIONS, period_slice(period=5), lines(5, n=2).drop("administration_id", "fiscal_year", "period"))
    got = table(wh)
    assert got.select("environment", "administration_id", "fiscal_year", "period").unique().rows() == [(ENV, 1, 2025, 5)]


def test_unsliced_connector_and_empty_frame(wh):
    admins = frame(ADMINISTRATIONS, [{"administration_id": 1, "name": "A"}, {"administration_id": 2, "name": "B"}])
    assert wh.replace_slice(ADMINISTRATIONS, {"environment": ENV}, admins).rows_inserted == 2
    result = wh.replace_slice(ADMINISTRATIONS, {"environment": ENV}, admins.clear())
    assert (result.rows_deleted, result.rows_inserted) == (2, 0)
    assert wh.query("SELECT count(*) AS n FROM administrations")["n"][0] == 0


def test_snapshots_accumulate(wh):
    def items(amount: str) -> pl.DataFrame:
        row = {"administration_id": 1, "debtor_id": "D1", "invoice_no": "F1", "open_amount": money(amount)}
        return frame(RECEIVABLES, [{**row, "invoice_amount": money("100.00")}])

    day1, day2 = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
    wh.replace_slice(RECEIVABLES, {"environment": ENV, "administration_id": 1, "snapshot_date": day1}, items("100.00"))
    wh.replace_slice(RECEIVABLES, {"environment": ENV, "administration_id": 1, "snapshot_date": day2}, items("40.00"))
    wh.replace_slice(RECEIVABLES, {"environment": ENV, "administration_id": 1, "snapshot_date": day2}, items("30.00"))
    got = wh.query("SELECT snapshot_date, open_amount FROM outstanding_receivables ORDER BY snapshot_date")
    assert got.rows() == [(day1, Decimal("100.00")), (day2, Decimal("30.00"))]
    loads = wh.query(
        "SELECT table_name, snapshot_date, row_count FROM slice_loads WHERE table_name LIKE 'outstanding%' ORDER BY ALL"
    )
    assert loads.rows() == [("outstanding_receivables", day1, 1), ("outstanding_receivables", day2, 1)]


def test_types_are_kept(wh):
    wh.replace_slice(TRANSACTIONS, period_slice(), lines(3, n=1))
    got = wh.query("SELECT amount_credit, entry_date, created_at, loaded_at FROM transactions")
    assert got.schema["amount_credit"] == pl.Decimal(38, 2)
    assert got.schema["entry_date"] == pl.Date
    assert got["created_at"][0] == dt.datetime(2025, 3, 15, 8, 30, tzinfo=dt.timezone.utc)  # 9:30 Amsterdam (CET)
    assert got["loaded_at"][0].tzinfo is not None


def test_query_takes_positional_and_named_parameters(wh):
    wh.replace_slice(TRANSACTIONS, period_slice(period=3), lines(3, n=2))
    assert wh.query("SELECT count(*) AS n FROM transactions WHERE period = ?", [3])["n"][0] == 2
    named = wh.query("SELECT count(*) AS n FROM transactions WHERE environment = $env AND period = $p", {"env": ENV, "p": 4})
    assert named["n"][0] == 0
    assert wh.query("DESCRIBE transactions").height == len(TRANSACTIONS.fields) + 2
    assert "transactions" in wh.tables()


def test_small_slices_are_inlined_in_the_catalog_and_larger_ones_are_parquet_files(wh):
    def files() -> int:
        return wh.query("SELECT count(*) AS n FROM ducklake_list_files('lake', 'transactions')")["n"][0]

    wh.replace_slice(TRANSACTIONS, period_slice(period=3), lines(3, n=wh.settings.inline_row_limit))
    assert files() == 0  # inlined: no file of its own
    wh.replace_slice(TRANSACTIONS, period_slice(period=4), lines(4, n=wh.settings.inline_row_limit + 1))
    assert files() == 1
    assert wh.slice_counts(TRANSACTIONS)["rows"].to_list() == [100, 101]
