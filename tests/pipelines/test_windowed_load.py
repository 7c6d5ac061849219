"""A slice read in several windows is validated and staged window by window (assets.windowed) and
lands exactly as a slice read whole; a bad window stops it with nothing written and nothing left
staged. The simulator is read over loopback with pages of 10 rows and windows of 3 pages, so a
period of 40 booking lines takes several windows."""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl
import pytest

import catalog
from afas.paging import SlicePager
from afas.filters import Op
from assets.loading import ContractViolation, fetch_slice, load_slice, load_together
from assets.windowed import WindowedSlice
from catalog.slices import Slice
from schemas import checks_per_part, soft_checks, validate
from schemas.rules import Rule, key_unique
from tests.conftest import MEMBER
from warehouse import LakeSettings, Warehouse
from warehouse.staging import StagedRows

SMALL_WINDOWS = {"cells_per_page": 18 * 10, "max_skip": 20}  # 10 rows a page, 2 pages a window
SPEC = (1, 2025, 3)


@pytest.fixture
def lake(tmp_path):
    warehouse = Warehouse(LakeSettings.embedded(tmp_path / "lake"))
    warehouse.ensure_all_tables()
    return warehouse


def _slice(client) -> Slice:
    return Slice(client.connection.name, *SPEC)


def _lake_rows(warehouse: Warehouse, table: str) -> pl.DataFrame:
    return warehouse.query(f"SELECT * EXCLUDE (loaded_at) FROM {table} ORDER BY ALL")


def _staged_folders() -> set[str]:
    import tempfile

    return {p.name for p in Path(tempfile.gettempdir()).glob("afas-staged-*")}


def test_the_book_connectors_that_page_on_entry_numbers_check_per_window():
    assert checks_per_part(catalog.TRANSACTIONS, "EntryNo")
    assert checks_per_part(catalog.TRANSACTIONS_ALLOCATED, "EntryNo")
    # Lines of one entry share EntryNo but not SeqNo: parts split on SeqNo could split an entry.
    assert not checks_per_part(catalog.TRANSACTIONS, "SeqNo")
    # Period values balance per period over all accounts: parts split on accounts are no whole period.
    assert not checks_per_part(catalog.PERIOD_VALUES, "AccountNr")


def test_a_rule_over_groups_holds_per_part_only_when_parts_split_on_its_groups():
    assert key_unique(("entry_no", "seq_no")).holds_per_part("entry_no")
    assert not key_unique(("entry_no", "seq_no")).holds_per_part("account_no")
    row_rule = Rule("r", "d", ("a",), pl.col("a") > 0)
    assert row_rule.holds_per_part("anything")


def test_a_slice_of_several_windows_is_staged_and_lands_as_one_read_whole(sim, make_client, lake, tmp_path):
    windowed = make_client(**SMALL_WINDOWS)
    spec = _slice(windowed)
    assert windowed.window_field(catalog.TRANSACTIONS, spec) == "EntryNo"
    fetched = fetch_slice(windowed, catalog.TRANSACTIONS, spec)
    assert isinstance(fetched.rows, StagedRows) and len(fetched.rows.files) >= 3
    whole = validate(catalog.TRANSACTIONS, make_client().fetch(catalog.TRANSACTIONS, slice=spec).frame)
    assert fetched.rows.height == whole.rows > 0
    assert fetched.soft == soft_checks(catalog.TRANSACTIONS, whole.frame)
    staged_files = [Path(f) for f in fetched.rows.files]
    fetched.close()
    assert not any(f.exists() for f in staged_files)

    load = load_slice(windowed, lake, catalog.TRANSACTIONS, spec)
    reference = Warehouse(LakeSettings.embedded(tmp_path / "reference"))
    load_slice(make_client(), reference, catalog.TRANSACTIONS, spec)
    assert load.rows == whole.rows
    assert _lake_rows(lake, "transactions").equals(_lake_rows(reference, "transactions"))
    truth = sim.environment(MEMBER).data.frame(catalog.TRANSACTIONS.id, unit_id=1, year=2025, period=3)
    assert _lake_rows(lake, "transactions").height == truth.height


def test_a_period_of_staged_books_commits_together(make_client, lake, tmp_path):
    client = make_client(**SMALL_WINDOWS)
    results = load_together(client, lake, [catalog.TRANSACTIONS, catalog.TRANSACTIONS_ALLOCATED,
                                           catalog.PERIOD_VALUES], _slice(client))
    reference = Warehouse(LakeSettings.embedded(tmp_path / "reference"))
    load_together(make_client(), reference, [catalog.TRANSACTIONS, catalog.TRANSACTIONS_ALLOCATED,
                                             catalog.PERIOD_VALUES], _slice(client))
    assert len({load.snapshot_id for _, load in results}) == 1  # one commit
    for table in ("transactions", "transactions_allocated", "period_values"):
        assert _lake_rows(lake, table).equals(_lake_rows(reference, table)), table


def test_a_bad_row_in_a_later_window_stops_the_slice_with_nothing_written(sim, make_client, lake, monkeypatch):
    client = make_client(**SMALL_WINDOWS)
    spec = _slice(client)
    load_slice(client, lake, catalog.TRANSACTIONS, spec)
    before = _lake_rows(lake, "transactions")
    handed = []
    real_add = WindowedSlice.add

    def add_then_break_the_next_page(self, window):
        handed.append(window.height)
        if len(handed) == 2:  # the third window's first page comes broken
            sim.faults.script("bad_row", connector=catalog.TRANSACTIONS.id, mode="unbalanced")
        real_add(self, window)

    monkeypatch.setattr(WindowedSlice, "add", add_then_break_the_next_page)
    staged_before = _staged_folders()
    with pytest.raises(ContractViolation) as failed:
        load_slice(client, lake, catalog.TRANSACTIONS, spec)
    assert "does not balance" in str(failed.value)
    assert f"in rows {sum(handed[:2]) + 1:,}–" in str(failed.value)
    assert _lake_rows(lake, "transactions").equals(before)
    assert _staged_folders() <= staged_before  # what was staged is gone


def test_windows_never_share_a_value_of_the_field_they_restart_on():
    """The pager alone, over rows where one entry (7) has more lines than a whole window: it is held
    back and handed over whole with the window that ends it; every row arrives exactly once."""
    entries = [1, 2, 3, *[7] * 25, *range(8, 30)]
    rows = pl.DataFrame({"EntryNo": entries, "SeqNo": list(range(len(entries)))})

    def fetch_page(f, skip, take):
        frame = rows
        for group in (f.groups if f is not None else []):
            for c in group:
                if c.op is Op.GE:
                    frame = frame.filter(pl.col(c.field) >= int(c.value_text()))
        return frame.slice(skip, take)

    from concurrent.futures import ThreadPoolExecutor

    windows: list[pl.DataFrame] = []
    with ThreadPoolExecutor(4) as pool:
        result = SlicePager(fetch_page, None, take=4, max_skip=8, resume_field="EntryNo", pool=pool,
                            parallel=2, on_window=windows.append).run()
    assert result.frame.height == 0 and len(windows) >= 4
    assert [w.filter(pl.col("EntryNo") == 7).height for w in windows].count(25) == 1
    seen = [set(w["EntryNo"].to_list()) for w in windows]
    assert all(a.isdisjoint(b) for i, a in enumerate(seen) for b in seen[i + 1:])
    assert pl.concat(windows).equals(rows)


def test_staged_rows_refuse_rows_of_another_slice(tmp_path):
    staged = StagedRows(catalog.TRANSACTIONS, {"environment": "o1", "administration_id": 1,
                                               "fiscal_year": 2025, "period": 3})
    with staged:
        with pytest.raises(ValueError, match="other than the slice"):
            staged.add(pl.DataFrame({"administration_id": [2], "entry_no": [1]}))
        staged.add(pl.DataFrame({"administration_id": [1], "entry_no": [1]}))
        with pytest.raises(ValueError, match="other columns"):
            staged.add(pl.DataFrame({"administration_id": [1], "entry_no": ["1"]}))
        folder = Path(staged.files[0]).parent
        assert folder.exists()
    assert not folder.exists() and not os.path.exists(staged.files[0])
