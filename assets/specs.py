"""How each catalog connector appears in Dagster: key, partitions, description, column schema, tags.

The column schema comes from `warehouse.tables.table_columns`, the same definition the lake's DDL is
made from: every column (load columns included) with its exact DuckDB type, its comment, and the
row key marked (not null, and the `key` tag).
"""

from __future__ import annotations

import dagster as dg

import catalog
from catalog import Connector, Slicing
from assets.partitions import administration_partitions, administration_period_partitions
from warehouse import tables

GROUP = "afas"
KINDS = {"duckdb", "polars"}
AREA_TAG = "afas/area"

#: Loaded together in one step, in the catalog's order (period values last).
BOOKS = list(catalog.BOOKS)


def asset_key(connector: Connector) -> dg.AssetKey:
    return dg.AssetKey(connector.table)


def partitions_for(connector: Connector) -> dg.PartitionsDefinition | None:
    return {
        Slicing.NONE: None,
        Slicing.ADMINISTRATION: administration_partitions,
        Slicing.ADMINISTRATION_PERIOD: administration_period_partitions,
    }[connector.slicing]


def area(connector: Connector) -> str:
    """What part of the books the connector holds, as a tag value users filter the asset list by."""
    if connector in BOOKS:
        return "books"
    if connector.snapshots:
        return "open_items"
    if connector is catalog.ADMINISTRATIONS:
        return "administrations"
    return "master_data"


def column_schema(columns: tuple[tables.TableColumn, ...], keys: tuple[str, ...] = ()) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                c.name, c.type, description=c.comment + (" (row key)" if c.name in keys else ""),
                constraints=dg.TableColumnConstraints(nullable=not (c.not_null or c.name in keys)),
                tags={"key": ""} if c.name in keys else {},
            )
            for c in columns
        ],
        constraints=dg.TableConstraints(other=[f"one row per {' × '.join(keys)}"]) if keys else None,
    )


_HOW_LOADED = {
    Slicing.NONE: "Loaded per environment; its rows become the administration partitions.",
    Slicing.ADMINISTRATION: "Partitioned by administration (`<environment>-<administration id>`); a load replaces "
    "the administration's rows in one lake transaction.",
    Slicing.ADMINISTRATION_PERIOD: "Partitioned by administration × period (`YYYY-PP`, 00 = opening balance).",
}

_BOOKS_NOTE = (
    " One of the period's books (transactions, transactions_allocated, period_values), which load as one thing: "
    "materializing transactions or transactions_allocated loads all three for the chosen periods and commits "
    "them in ONE lake transaction, then reconciles them with AFAS (check `reconciles_with_transactions` on "
    "period_values). period_values alone refreshes only AFAS's totals and reconciles them against the "
    "transactions already loaded. A failed period writes nothing: its earlier data stays as it was, and the "
    "failure (with its reason) shows on all three assets' partition."
)


def description(connector: Connector) -> str:
    text = (f"{connector.description}. AFAS GetConnector `{connector.id}` → DuckDB table `{connector.table}`. "
            f"{_HOW_LOADED[connector.slicing]}")
    return text + (_BOOKS_NOTE if connector in BOOKS else "")


def asset_spec(connector: Connector) -> dg.AssetSpec:
    return dg.AssetSpec(
        asset_key(connector),
        group_name=GROUP,
        description=description(connector),
        metadata={
            "afas_connector": connector.id,
            "duckdb_table": connector.table,
            "dagster/column_schema": column_schema(tables.table_columns(connector), tables.key_columns(connector)),
        },
        kinds=KINDS,
        tags={AREA_TAG: area(connector)},
        deps=[] if connector is catalog.ADMINISTRATIONS else [asset_key(catalog.ADMINISTRATIONS)],
        skippable=True,
    )
