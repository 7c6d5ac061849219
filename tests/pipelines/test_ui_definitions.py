"""What the definitions tell the UI: column schemas from the DDL's source, lineage, descriptions, names."""

from __future__ import annotations

import dagster as dg
import pytest

import catalog
from pipelines.definitions import defs
from warehouse import tables, views

pytestmark = pytest.mark.usefixtures("live_defs_state_storage")

LOADED = [c for c in catalog.CONNECTORS if not c.optional]


def _spec(key: str) -> dg.AssetSpec:
    graph = defs().resolve_asset_graph()
    return graph.get(dg.AssetKey(key))


@pytest.mark.parametrize("connector", LOADED, ids=lambda c: c.table)
def test_column_schema_is_the_tables_ddl_with_the_key_marked(connector):
    schema = _spec(connector.table).metadata["dagster/column_schema"]
    ddl = tables.table_columns(connector)
    assert [(c.name, c.type) for c in schema.columns] == [(c.name, c.type) for c in ddl]
    names = [c.name for c in schema.columns]
    assert names[0] == "environment" and names[-1] == "loaded_at"
    keys = {c.name for c in schema.columns if "key" in c.tags}
    assert keys == set(tables.key_columns(connector)) and "environment" in keys
    assert all(not c.constraints.nullable for c in schema.columns if c.name in keys)
    money = [c for c in schema.columns if c.type.startswith("DECIMAL")]
    assert all(c.type == "DECIMAL(38, 2)" for c in money)  # the exact type, scale included
    assert all(c.description for c in schema.columns)


def test_the_analysts_views_are_in_the_lineage_downstream_of_what_they_read():
    graph = defs().resolve_asset_graph()
    for view in views.VIEWS:
        node = graph.get(dg.AssetKey(view.name))
        assert not node.is_materializable and node.parent_keys, view.name
    assert {k.path[0] for k in graph.get(dg.AssetKey("general_ledger")).parent_keys} == {
        "transactions", "transactions_allocated", "accounts", "allocation_codes"}
    assert {k.path[0] for k in graph.get(dg.AssetKey("reconciliation")).parent_keys} == {
        "administrations", "transactions", "transactions_allocated", "period_values"}
    columns = dict(views.view_columns()["reconciliation"])
    assert columns["status"] == "VARCHAR" and columns["difference_total"] == "DECIMAL(38,2)"


def test_reconciliation_is_a_partitioned_check_drawn_from_transactions():
    (check,) = [c for c in defs().resolve_asset_graph().asset_check_keys if c.name == "reconciles_with_transactions"]
    assert check.asset_key == dg.AssetKey("period_values")
    node = defs().resolve_asset_graph().get(check)
    assert node.partitions_def is not None
    assert {dg.AssetKey("transactions"), dg.AssetKey("transactions_allocated")} <= set(node.parent_entity_keys)


def test_every_asset_job_schedule_and_sensor_says_what_it_does_in_english():
    repo = defs().get_repository_def()
    described = {
        **{f"asset {k.to_user_string()}": n.description for k, n in
           ((k, defs().resolve_asset_graph().get(k)) for k in defs().resolve_asset_graph().get_all_asset_keys())},
        **{f"job {j.name}": j.description for j in repo.get_all_jobs() if not j.name.startswith("__")},
        **{f"schedule {s.name}": s.description for s in repo.schedule_defs},
        **{f"sensor {s.name}": s.description for s in repo.sensor_defs},
    }
    missing = [name for name, text in described.items() if not text]
    assert not missing, missing
    dutch = [name for name, text in described.items() if text.split()[0].lower() in ("de", "het", "een", "saldi")]
    assert not dutch, dutch


def test_the_code_location_has_a_readable_name():
    import yaml

    from pipelines.launch import LOCATION, WORKSPACE

    (entry,) = yaml.safe_load(WORKSPACE.read_text())["load_from"]
    assert entry["python_module"]["location_name"] == LOCATION == "afas_books"
