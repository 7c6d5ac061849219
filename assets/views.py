"""The analysts' views of the lake, in Dagster's lineage: what each reads, and its columns.

The views are not materialized by a run: the warehouse (re)creates them with its tables, and a view
always shows its tables as they are. Dagster shows them as external assets downstream of the tables
they read, so "which views change when transactions reload" is one look at the graph.
"""

from __future__ import annotations

import dagster as dg

import catalog
from warehouse import tables, views

from assets.specs import AREA_TAG, BOOKS, asset_key, column_schema

VIEWS_GROUP = "analyst_views"

#: The pipeline's own tables, named after the assets whose loads write them.
_WRITTEN_BY = {
    tables.SLICE_LOAD_HISTORY: [asset_key(c) for c in catalog.CONNECTORS if not c.optional],
    tables.RECONCILIATION_HISTORY: [asset_key(c) for c in BOOKS],
}


def _deps(view: views.View) -> list[dg.AssetKey]:
    deps: list[dg.AssetKey] = []
    for name in views.reads(view):
        for key in _WRITTEN_BY.get(name, [dg.AssetKey(name)]):
            if key not in deps:
                deps.append(key)
    return deps


def view_specs() -> list[dg.AssetSpec]:
    columns = views.view_columns()
    return [
        dg.AssetSpec(
            dg.AssetKey(view.name),
            group_name=VIEWS_GROUP,
            description=f"DuckDB view `{view.name}` in the lake. {view.comment}",
            deps=_deps(view),
            kinds={"duckdb", "view"},
            tags={AREA_TAG: "analyst_views"},
            metadata={
                "duckdb_view": view.name,
                "dagster/column_schema": column_schema(
                    tuple(tables.TableColumn(name, kind, "") for name, kind in columns[view.name])),
            },
        )
        for view in views.VIEWS
    ]
