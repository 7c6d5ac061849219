"""History: commit messages, time travel to a past instant, and maintenance that keeps the retention."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

from tests.warehouse.workers import books
from warehouse import LakeSettings, Warehouse
from warehouse.maintenance import maintain, retention_cutoff

TB = ("SELECT account_no, debit, credit, balance FROM trial_balance "
      "WHERE administration_id = 1 AND fiscal_year = 2025 AND period = 1 ORDER BY account_no")


def test_each_commit_names_tables_slice_and_run_and_metadata_carries_the_snapshot(any_lake):
    wh = Warehouse(any_lake)
    results = wh.replace_slices(books(1, 1, 0), run_id="run-1234")
    assert len({r.snapshot_id for r in results}) == 1  # the period's three tables: one commit
    snapshot = wh.snapshots().filter(wh.snapshots()["snapshot_id"] == results[0].snapshot_id).row(0, named=True)
    assert snapshot["author"] == "afas-pipeline"
    assert snapshot["commit_message"] == (
        "replace transactions, transactions_allocated, period_values of o12345 administration 1 2025-01")
    extra = json.loads(snapshot["commit_extra_info"])
    assert extra["dagster_run_id"] == "run-1234"
    assert [s["table"] for s in extra["slices"]] == ["transactions", "transactions_allocated", "period_values"]
    assert extra["slices"][0] | {"rows": 0} == {"table": "transactions", "environment": "o12345",
                                                "administration_id": 1, "fiscal_year": 2025, "period": 1, "rows": 0}
    # Reading the snapshot back gives exactly what that commit wrote.
    wh.replace_slices(books(1, 1, 5))
    at = wh.query(f"SELECT DISTINCT description FROM transactions AT (VERSION => {results[0].snapshot_id})")
    assert at["description"].to_list() == ["g0"]
    loads = wh.query("SELECT table_name, dagster_run_id FROM slice_load_history ORDER BY written_at, table_name")
    assert loads.rows()[:3] == [("period_values", "run-1234"), ("transactions", "run-1234"),
                                ("transactions_allocated", "run-1234")]


def test_the_books_as_they_were_at_a_moment(any_lake):
    """The documented example: the trial balance as reported at a period close, after a later correction."""
    wh = Warehouse(any_lake)
    wh.replace_slices(books(1, 1, 0))
    time.sleep(0.05)
    closed_at = dt.datetime.now(dt.timezone.utc)  # "the period close": what the board was shown
    reported = wh.query(TB)
    time.sleep(0.05)
    wh.replace_slices(books(1, 1, 4))  # a correction booked later
    now = wh.query(TB)
    assert now.rows() != reported.rows()
    assert wh.query(TB, as_of=closed_at).rows() == reported.rows()
    # An analyst's read-only attach AT that moment sees the same (views included).
    from warehouse.access import read_only_connection

    con = read_only_connection(any_lake, as_of=closed_at)
    try:
        assert con.execute(TB).fetchall() == reported.rows()
    finally:
        con.close()


def test_maintenance_expires_only_snapshots_past_the_retention_and_keeps_the_data(tmp_path):
    settings = LakeSettings.embedded(tmp_path / "lake", inline_row_limit=0, retention_months=13)  # files, not inlined
    wh = Warehouse(settings)
    ids = [wh.replace_slices(books(1, 1, gen))[0].snapshot_id for gen in range(3)]
    files = lambda: sorted(Path(settings.data_path).rglob("*.parquet"))  # noqa: E731
    before, kept = files(), wh.snapshots().height

    def history() -> list:
        return [(wh.query(f"SELECT DISTINCT description AS d FROM transactions AT (VERSION => {i})")["d"].to_list(),
                 wh.query(f"SELECT count(*) AS n FROM slice_load_history AT (VERSION => {i})")["n"][0]) for i in ids]

    assert history() == [(["g0"], 3), (["g1"], 6), (["g2"], 9)]
    now = dt.datetime.now(dt.timezone.utc)

    nothing = maintain(settings, now=now)  # everything is younger than 13 months: merges, but expires nothing
    assert nothing.snapshots_expired == 0 and wh.snapshots().height == kept + 1  # + the merge's own
    assert history() == [(["g0"], 3), (["g1"], 6), (["g2"], 9)]  # every state still reads back

    later = maintain(settings, now=now + dt.timedelta(days=31 * 14))
    assert later.snapshots_expired == kept and wh.snapshots().height == 1 and later.old_files_deleted > 0
    assert len(files()) < len(before)
    assert [t for t in wh.query("SELECT DISTINCT description FROM transactions")["description"]] == ["g2"]
    assert wh.query("SELECT count(*) AS n FROM transactions_allocated")["n"][0] > 0


def test_retention_cutoff_is_calendar_months():
    settings = LakeSettings("sqlite:/x", "/y/", retention_months=13)
    assert retention_cutoff(settings, dt.datetime(2026, 3, 31, 12, tzinfo=dt.timezone.utc)) == dt.datetime(
        2025, 2, 28, 12, tzinfo=dt.timezone.utc)
