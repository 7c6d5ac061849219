"""Change detection against simulator scenarios: exactly the affected slices, and a cheap quiet tick."""

from __future__ import annotations

import dagster as dg
import pytest

import catalog
from afas_simulator import Realism, Simulator, default_config
from catalog.slices import Slice
from incremental import Cursor, detect_changes
from tests.conftest import MEMBER
from tests.pipelines.pipeline_support import ENV, start_pipeline

# Dagster runs in process: minutes in all.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("live_defs_state_storage")]

LOADED = ["o12345-1|2026-03", "o12345-1|2026-05", "o12345-2|2026-04"]


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    """A simulator of its own: scenarios change its books for good."""
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))
    with Simulator(default_config(seed=777, environments=1, lines_per_period=30, realism=Realism.fast())).start() as sim, \
            dg.instance_for_test() as instance:
        p = start_pipeline(sim, tmp_path, instance)
        p.load_administrations()
        for key in LOADED:
            p.materialize([catalog.TRANSACTIONS], partition_key=key)
        yield p


def _client(p):
    return p.resources["afas"].client(ENV)


def test_a_quiet_tick_reads_only_the_change_feed(loaded):
    client, store = _client(loaded), loaded.warehouse()
    baseline = detect_changes(client, store, ENV, Cursor())
    assert baseline.source == "baseline" and baseline.cursor.modified is not None and baseline.empty
    loaded.sim.stats.reset()
    quiet = detect_changes(client, store, ENV, baseline.cursor)
    assert quiet.empty and quiet.cursor == baseline.cursor
    endpoints = set(loaded.sim.stats[MEMBER].counts())
    assert endpoints <= {
        f"connectors/{catalog.CHANGED_ENTRY_DATES.id}", f"connectors/{catalog.ACCOUNTS.id}",
        f"connectors/{catalog.ADMINISTRATIONS.id}", "metainfo",
    }, endpoints
    assert quiet.requests <= 4


def test_mixed_changes_find_exactly_the_affected_slices(loaded):
    sim, client, store = loaded.sim, _client(loaded), loaded.warehouse()
    cursor = detect_changes(client, store, ENV, Cursor()).cursor
    data = sim.environment(MEMBER).data
    sim.scenario(MEMBER, "book_entry", unit_id=1)  # open period 2026-11
    sim.scenario(MEMBER, "change_entry", unit_id=1, entry_no=data.find_entries(1, 2026, 3)[0])
    sim.scenario(MEMBER, "delete_entry", unit_id=2, entry_no=data.find_entries(2, 2026, 4)[-1])
    sim.scenario(MEMBER, "rename_account", unit_id=3, account_no="4000", description="Lonen en salarissen (nieuw)")
    new_unit = sim.scenario(MEMBER, "add_administration", name="Nieuwe B.V.")
    changes = detect_changes(client, store, ENV, cursor)
    assert changes.source == "changed_entry_dates"
    assert set(changes.period_slices) == {Slice(ENV, 1, 2026, 11), Slice(ENV, 1, 2026, 3), Slice(ENV, 2, 2026, 4)}
    assert set(changes.administrations) == {1, 2, 3}
    assert changes.new_administrations == [new_unit]
    assert changes.cursor.modified > cursor.modified
    again = detect_changes(client, store, ENV, changes.cursor)
    assert not again.period_slices and not again.administrations, again
    assert again.new_administrations == [new_unit]  # until the administrations are loaded again


def test_without_the_change_feed_modified_dates_are_used(loaded):
    env = loaded.sim.environment(MEMBER).spec
    saved = env.ticked
    env.ticked = saved - {catalog.CHANGED_ENTRY_DATES.id}
    try:
        client = _client(loaded)
        client.app_info(refresh=True)
        store = loaded.warehouse()
        cursor = detect_changes(client, store, ENV, Cursor()).cursor
        loaded.sim.scenario(MEMBER, "book_entry", unit_id=2, year=2026, period=5)
        changes = detect_changes(client, store, ENV, cursor)
        assert changes.source == "modified"
        assert set(changes.period_slices) == {Slice(ENV, 2, 2026, 5)}
    finally:
        env.ticked = saved
        _client(loaded).app_info(refresh=True)
