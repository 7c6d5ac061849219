"""Every asset against the simulator: ground truth, idempotence, contract failures, schema drift."""

from __future__ import annotations

import dagster as dg
import httpx
import polars as pl
import pytest

import catalog
from afas_simulator.definitions import ExtraField, FieldChanges
from tests.conftest import MEMBER
from tests.pipelines.pipeline_support import ENV, failure_metadata, start_pipeline

# Dagster runs in process: minutes in all.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("live_defs_state_storage")]

PERIOD = "o12345-1|2025-03"
ADMIN_LEVEL = [catalog.ACCOUNTS, catalog.ALLOCATION_CODES, catalog.DOSSIER_ITEMS, catalog.RECEIVABLES, catalog.PAYABLES]
PERIOD_LEVEL = [catalog.PERIOD_VALUES, catalog.TRANSACTIONS, catalog.TRANSACTIONS_ALLOCATED]


@pytest.fixture
def pipeline(sim, tmp_path, monkeypatch):
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))
    with dg.instance_for_test() as instance:
        p = start_pipeline(sim, tmp_path, instance)
        p.load_administrations()
        yield p


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def pipeline_on_each_catalog(request, sim, tmp_path, monkeypatch):
    """The pipeline writing a lake with a SQLite catalog, then one with a PostgreSQL catalog."""
    from tests.conftest import lake_on

    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    with lake_on(request.param, tmp_path, server) as settings, dg.instance_for_test() as instance:
        p = start_pipeline(sim, tmp_path, instance)
        p.catalog, p.data_path = settings.catalog, settings.data_path
        p.load_administrations()
        yield p


def money_sum(frame: pl.DataFrame, column: str):
    return frame[column].sum() if frame.height else 0


def test_every_asset_matches_the_simulator(pipeline_on_each_catalog):
    pipeline = pipeline_on_each_catalog
    truth = pipeline.sim.environment(MEMBER).data
    assert pipeline.table(catalog.ADMINISTRATIONS)["administration_id"].to_list() == truth.administrations()
    (admins,) = pipeline.instance.get_latest_materialization_events([dg.AssetKey("administrations")]).values()
    snapshot_ids = admins.asset_materialization.metadata["lake_snapshot_ids"].value
    assert set(snapshot_ids) == {ENV} and snapshot_ids[ENV] > 0
    pipeline.materialize(ADMIN_LEVEL, partition_key="o12345-1")
    result = pipeline.materialize(PERIOD_LEVEL, partition_key=PERIOD)
    for connector in ADMIN_LEVEL + PERIOD_LEVEL:
        args = {"unit_id": 1}
        if connector in PERIOD_LEVEL:
            args.update(year=2025, period=3)
        expected = truth.frame(connector.id, **args)
        got = pipeline.table(connector, f"environment = '{ENV}' AND administration_id = 1")
        assert got.height == expected.height > 0, connector.id
        money = [f for f in connector.fields if f.kind.name == "MONEY"]
        for f in money:
            assert money_sum(got, f.column) == money_sum(expected, f.id), (connector.id, f.id)
    mats = [e.materialization for e in result.get_asset_materialization_events()]
    tx = next(m for m in mats if m.asset_key.path == ["transactions"])
    assert tx.partition == PERIOD
    assert tx.metadata["rows"].value == truth.frame(catalog.TRANSACTIONS.id, 1, 2025, 3).height
    assert tx.metadata["afas_requests"].value >= 1
    assert tx.metadata["afas_connector"].value == catalog.TRANSACTIONS.id
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)
    # The period's three books came from one commit, which the metadata names; reading that
    # snapshot back gives the same rows.
    snapshots = {m.metadata["lake_snapshot_id"].value for m in mats if m.partition == PERIOD}
    assert len(snapshots) == 1
    (snapshot,) = snapshots
    at = pipeline.warehouse().query(
        f"SELECT count(*) AS n FROM transactions AT (VERSION => {snapshot}) WHERE administration_id = 1 AND period = 3")
    assert at["n"][0] == tx.metadata["rows"].value


@pytest.fixture
def own_pipeline(tmp_path, monkeypatch):
    """The pipeline on a simulator of its own (its data is changed), loading on the simulator's "today"."""
    from afas_simulator import Realism, Simulator, default_config

    sim = Simulator(default_config(seed=4242, lines_per_period=40, realism=Realism.fast())).start()
    # A load's snapshot date is "today in Amsterdam": frozen on the simulator's clock, which the test moves.
    monkeypatch.setattr("assets.loading.today_in_amsterdam", lambda: sim.clock.now().date())
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))
    try:
        with dg.instance_for_test() as instance:
            p = start_pipeline(sim, tmp_path, instance)
            p.load_administrations()
            yield p
    finally:
        sim.stop()


def _open_items(frame: pl.DataFrame, invoice: str, amount: str) -> list[tuple]:
    return sorted(zip(frame[invoice].to_list(), frame[amount].to_list()))


def test_open_items_are_kept_as_dated_snapshots(own_pipeline):
    """Each load day keeps its own snapshot: a later day's load adds one and leaves the earlier as it was."""
    pipeline, sim = own_pipeline, own_pipeline.sim
    admin = lambda method, path, **kw: httpx.request(method, f"{sim.url}/_simulator/{path}", **kw)  # noqa: E731
    truth = sim.environment(MEMBER).data
    receivables = catalog.RECEIVABLES.table
    day1 = sim.clock.now().date()
    open1 = _open_items(truth.frame(catalog.RECEIVABLES.id, unit_id=1), "InvoiceNr", "Balance")
    pipeline.materialize([catalog.RECEIVABLES], partition_key="o12345-1")

    # In AFAS, a day later: one invoice is paid in full.
    (paid, _), *_ = open1
    assert admin("POST", "clock", json={"seconds": 24 * 3600}).status_code == 200
    assert admin("POST", "scenario", json={"member": MEMBER, "op": "pay_invoice",
                                           "args": {"unit_id": 1, "invoice_no": paid}}).status_code == 200
    day2 = sim.clock.now().date()
    open2 = _open_items(truth.frame(catalog.RECEIVABLES.id, unit_id=1), "InvoiceNr", "Balance")
    assert day2 != day1 and paid not in dict(open2) and open2 != open1
    result = pipeline.materialize([catalog.RECEIVABLES], partition_key="o12345-1")
    (mat,) = [e.materialization for e in result.get_asset_materialization_events()]
    assert mat.metadata["snapshot_date"].value == day2.isoformat()

    table = pipeline.table(catalog.RECEIVABLES, f"environment = '{ENV}' AND administration_id = 1")
    assert sorted(set(table["snapshot_date"])) == [day1, day2], f"{receivables}: both days are kept"
    first = table.filter(pl.col("snapshot_date") == day1)
    second = table.filter(pl.col("snapshot_date") == day2)
    assert _open_items(first, "invoice_no", "open_amount") == open1  # still open on day 1, as it was
    assert _open_items(second, "invoice_no", "open_amount") == open2  # paid by day 2
    assert paid in first["invoice_no"].to_list() and paid not in second["invoice_no"].to_list()


def test_loading_a_partition_twice_leaves_identical_tables(pipeline):
    pipeline.materialize(PERIOD_LEVEL, partition_key=PERIOD)
    first = {c.table: pipeline.table(c) for c in PERIOD_LEVEL}
    pipeline.materialize(PERIOD_LEVEL, partition_key=PERIOD)
    for c in PERIOD_LEVEL:
        assert pipeline.table(c).equals(first[c.table]), c.table


@pytest.mark.parametrize("mode", ["unbalanced", "duplicate", "null_key"])
def test_a_bad_row_fails_the_partition_and_keeps_the_earlier_data(pipeline, mode):
    pipeline.materialize([catalog.TRANSACTIONS], partition_key=PERIOD)
    before = pipeline.table(catalog.TRANSACTIONS)
    pipeline.sim.faults.script("bad_row", connector=catalog.TRANSACTIONS.id, mode=mode)
    result = pipeline.materialize([catalog.TRANSACTIONS], partition_key=PERIOD, raise_on_error=False)
    assert not result.success
    meta = failure_metadata(result)
    # Transactions load with the rest of the period's books: all three are named, none written.
    assert sorted(meta["failed_slices"]) == sorted(f"{PERIOD} {c.table}" for c in PERIOD_LEVEL)
    label = f"{PERIOD} transactions"
    assert f"{label} failure_cases" in meta and f"{label} error_counts" in meta
    if mode == "unbalanced":
        assert "does not balance" in meta[f"{label} summary"]
    assert pipeline.table(catalog.TRANSACTIONS).equals(before)


def test_an_extra_field_adds_a_column_and_is_reported(pipeline):
    env = pipeline.sim.environment(MEMBER).spec
    env.field_changes = {catalog.TRANSACTIONS.id: FieldChanges(added=(ExtraField("Btw-nummer"),))}
    try:
        result = pipeline.materialize([catalog.TRANSACTIONS], partition_key=PERIOD)
    finally:
        env.field_changes = {}
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["new_afas_fields"].value == {"Btw-nummer": "btw_nummer"}
    assert meta["columns_added"].value == ["btw_nummer"]
    assert pipeline.table(catalog.TRANSACTIONS)["btw_nummer"][0] == "X0"


def test_replaced_values_hyphenated_ids_and_blobs_reach_the_lake(pipeline):
    env = pipeline.sim.environment(MEMBER).spec
    added = (ExtraField("Btw-nummer"), ExtraField("Handtekening", "blob"))
    replaced = {"VatAmt": 0.5, "Btw-nummer": 0.5}
    env.field_changes = {catalog.TRANSACTIONS.id: FieldChanges(added=added, replaced=replaced)}
    try:
        result = pipeline.materialize([catalog.TRANSACTIONS], partition_key=PERIOD)
    finally:
        env.field_changes = {}
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["new_afas_fields"].value == {"Btw-nummer": "btw_nummer", "Handtekening": "handtekening"}
    table = pipeline.table(catalog.TRANSACTIONS)
    truth = pipeline.sim.environment(MEMBER).data.frame(catalog.TRANSACTIONS.id, 1, 2025, 3)
    # Half the amounts arrived as "(replaced)": stored as NULL, never as 0; text keeps AFAS's word.
    assert table.height == truth.height
    assert table["vat_amount"].null_count() > truth["VatAmt"].null_count()
    assert 0 < (table["btw_nummer"] == "(replaced)").sum() < table.height
    assert table.schema["handtekening"] == pl.String
    first = pipeline.warehouse().query(
        "SELECT from_base64(handtekening) AS b FROM transactions ORDER BY entry_no, line_no LIMIT 1")
    assert first["b"][0] == b"Bijlage 0"  # the base64 text decodes where it is needed


def test_a_missing_required_field_fails_naming_connector_and_field(pipeline):
    env = pipeline.sim.environment(MEMBER).spec
    env.field_changes = {catalog.TRANSACTIONS.id: FieldChanges(removed=frozenset({"AccountNo"}))}
    try:
        result = pipeline.materialize([catalog.TRANSACTIONS], partition_key=PERIOD, raise_on_error=False)
    finally:
        env.field_changes = {}
    assert not result.success
    error = failure_metadata(result)[f"{PERIOD} transactions error"]
    assert "Visionplanner_transactions" in error and "AccountNo" in error


def test_a_missing_optional_field_loads_as_empty(pipeline):
    env = pipeline.sim.environment(MEMBER).spec
    env.field_changes = {catalog.TRANSACTIONS.id: FieldChanges(removed=frozenset({"VatCode"}))}
    try:
        result = pipeline.materialize([catalog.TRANSACTIONS], partition_key=PERIOD)
    finally:
        env.field_changes = {}
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["afas_fields_missing"].value == ["VatCode"]
    assert pipeline.table(catalog.TRANSACTIONS)["vat_code"].null_count() == meta["rows"].value


def test_documents_are_mirrored_on_request(pipeline, tmp_path):
    from assets.documents import document_files

    pipeline.materialize([catalog.DOSSIER_ITEMS], partition_key="o12345-1")
    result = dg.materialize([document_files], instance=pipeline.instance, partition_key="o12345-1",
                            resources=pipeline.resources)
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    files = [p for p in (tmp_path / "data" / "documents" / ENV / "1").iterdir() if p.is_file()]
    assert meta["downloaded"].value == len(files) > 0
    assert all(f.read_bytes().startswith(b"%PDF") for f in files)
    again = dg.materialize([document_files], instance=pipeline.instance, partition_key="o12345-1",
                           resources=pipeline.resources)
    assert again.get_asset_materialization_events()[0].materialization.metadata["downloaded"].value == 0
