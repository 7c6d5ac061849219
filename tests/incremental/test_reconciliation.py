"""Reconciliation per administration × period: a deletion no change feed reported heals by one reload; a
real mismatch stays red; a period whose load failed is red too. The lake's `reconciliation` view says the same."""

from __future__ import annotations

import dagster as dg
import pytest

import catalog
from afas_simulator import Realism, Simulator, default_config
from assets.partitions import AdministrationRef, PeriodRef, period_range_tags
from assets.reconciliation import CHECK_NAME
from assets.specs import asset_key
from incremental import Cursor, detect_changes
from tests.pipelines.pipeline_support import ENV, start_pipeline

# Dagster runs in process: minutes in all.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("live_defs_state_storage")]

MEMBER = "12345"
PARTITION = "o12345-1|2026-04"
BOOKS = list(catalog.BOOKS)


@pytest.fixture
def pipeline(tmp_path, monkeypatch):
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))
    with Simulator(default_config(seed=55, environments=1, administrations=1, lines_per_period=25, realism=Realism.fast())).start() as sim, \
            dg.instance_for_test() as instance:
        p = start_pipeline(sim, tmp_path, instance)
        p.load_administrations()
        p.materialize(BOOKS, partition_key=PARTITION)
        yield p


def _evaluation(result):
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == CHECK_NAME]
    assert evaluation.partition == PARTITION
    return evaluation, {k: v.value for k, v in evaluation.metadata.items()}


def _in_the_lake(pipeline) -> dict:
    rows = pipeline.warehouse().query(
        "SELECT * FROM reconciliation WHERE administration_id = 1 AND fiscal_year = 2026 AND period = 4")
    (row,) = rows.to_dicts()
    return row


def test_a_deletion_the_feed_missed_heals_by_one_reload(pipeline):
    sim = pipeline.sim
    env = sim.environment(MEMBER).spec
    env.ticked = env.ticked - {catalog.CHANGED_ENTRY_DATES.id}
    client = pipeline.resources["afas"].client(ENV)
    client.app_info(refresh=True)
    store = pipeline.warehouse()
    cursor = detect_changes(client, store, ENV, Cursor()).cursor
    sim.scenario(MEMBER, "delete_entry", unit_id=1, entry_no=sim.environment(MEMBER).data.find_entries(1, 2026, 4)[0])
    assert detect_changes(client, store, ENV, cursor).empty  # the Modified dates cannot show a deletion

    result = pipeline.materialize([catalog.PERIOD_VALUES], partition_key=PARTITION)  # as the weekly reconciliation does
    evaluation, meta = _evaluation(result)
    assert evaluation.passed and meta["status"] == "reconciled_after_reload"
    row = _in_the_lake(pipeline)
    assert row["status"] == "reconciled_after_reload" and row["reconciles"] and row["differences"] == 0
    assert row["dagster_run_id"] == result.run_id
    truth = sim.environment(MEMBER).data.frame(catalog.TRANSACTIONS.id, 1, 2026, 4)
    assert pipeline.table(catalog.TRANSACTIONS, "period = 4").height == truth.height


def test_a_mismatch_that_survives_the_reload_stays_red(pipeline):
    pipeline.sim.faults.script("bad_row", times=2, connector=catalog.PERIOD_VALUES.id, mode="unbalanced")
    result = pipeline.materialize([catalog.PERIOD_VALUES], partition_key=PARTITION)
    evaluation, meta = _evaluation(result)
    assert not evaluation.passed and meta["status"] == "differences" and meta["differences"] >= 1
    table = meta["what_disagrees"]
    assert table.startswith("| what | transactions | afas | difference |") and "| account " in table
    row = _in_the_lake(pipeline)
    assert row["status"] == "differences" and not row["reconciles"]
    assert row["differences"] == meta["differences"] and row["difference_total"] > 0
    assert "account" in row["detail"] and row["administration_name"]


def test_agreeing_books_pass_without_a_reload(pipeline):
    pipeline.sim.stats.reset()
    result = pipeline.materialize([catalog.PERIOD_VALUES], partition_key=PARTITION)
    evaluation, meta = _evaluation(result)
    assert evaluation.passed and meta["status"] == "reconciled" and "what_disagrees" not in meta
    assert _in_the_lake(pipeline)["status"] == "reconciled"
    fetched = [r.path for r in pipeline.sim.stats[MEMBER].requests() if "/connectors/" in r.path]
    assert all(p.endswith(catalog.PERIOD_VALUES.id) for p in fetched)


def test_a_period_whose_load_fails_part_way_keeps_all_three_tables_from_the_earlier_load(pipeline):
    """AFAS blocks the allocations connector after a new entry was booked: nothing of the period changes."""
    before = {c.table: pipeline.table(c, "period = 4") for c in BOOKS}
    sim = pipeline.sim
    sim.scenario(MEMBER, "book_entry", unit_id=1, year=2026, period=4)
    pipeline.sim.faults.script("blocked", times=None, connector=catalog.TRANSACTIONS_ALLOCATED.id)
    result = pipeline.materialize(BOOKS, partition_key=PARTITION, raise_on_error=False)
    assert not result.success
    for connector in BOOKS:
        assert pipeline.table(connector, "period = 4").equals(before[connector.table]), connector.table
    # Not green: the check and the lake say the period was not loaded, and why.
    evaluation, meta = _evaluation(result)
    assert not evaluation.passed and meta["status"] == "not_loaded" and "blocked" in meta["reason"].lower()
    assert _in_the_lake(pipeline)["status"] == "not_loaded"
    # Every asset of the period's books says on that partition why, and that the earlier data is kept.
    observations = [e.event_specific_data.asset_observation for e in result.all_events
                    if e.event_type_value == "ASSET_OBSERVATION"]
    assert {o.asset_key.path[0] for o in observations if o.partition == PARTITION} == {c.table for c in BOOKS}
    for o in observations:
        assert "blocked" in o.metadata["load_failed"].value.lower()
        assert o.metadata["earlier_data"].value.startswith("kept unchanged")
    pipeline.sim.faults.clear()
    assert pipeline.materialize(BOOKS, partition_key=PARTITION).success
    truth = sim.environment(MEMBER).data
    for connector in BOOKS:
        assert pipeline.table(connector, "period = 4").height == truth.frame(connector.id, 1, 2026, 4).height
    assert pipeline.table(catalog.TRANSACTIONS, "period = 4").height > before["transactions"].height


def test_materializing_transactions_alone_loads_and_reconciles_the_periods_books(pipeline):
    result = pipeline.materialize([catalog.TRANSACTIONS], partition_key=PARTITION)
    materialized = {e.materialization.asset_key.path[0] for e in result.get_asset_materialization_events()}
    assert materialized == {c.table for c in BOOKS}
    evaluation, meta = _evaluation(result)
    assert evaluation.passed and meta["status"] == "reconciled"
    snapshots = {e.materialization.metadata["lake_snapshot_id"].value for e in result.get_asset_materialization_events()}
    assert len(snapshots) == 1  # one commit for the three


def test_a_runs_periods_are_reconciled_as_they_land_each_once(pipeline):
    """Over several periods the first to land is reconciled on its own, while the others still load;
    the rest follow in later batches. Every period gets one evaluation and one history row."""
    tags = period_range_tags(AdministrationRef(ENV, 1), PeriodRef(2026, 1), PeriodRef(2026, 4))
    result = dg.materialize(pipeline.assets(*BOOKS), selection=[asset_key(c) for c in BOOKS],
                            instance=pipeline.instance, resources=pipeline.resources, tags=tags)
    partitions = [f"{ENV}-1|2026-0{p}" for p in range(1, 5)]
    evaluations = [e for e in result.get_asset_check_evaluations() if e.check_name == CHECK_NAME]
    assert sorted(e.partition for e in evaluations) == partitions
    assert all(e.passed for e in evaluations)
    history = pipeline.warehouse().query(
        "SELECT period, checked_at FROM reconciliation_history WHERE dagster_run_id = ? ORDER BY period",
        [result.run_id]).rows()
    assert [period for period, _ in history] == [1, 2, 3, 4]
    assert len({checked_at for _, checked_at in history}) >= 2  # more than one batch, not all at the end
