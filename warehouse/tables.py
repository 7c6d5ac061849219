"""Table definitions derived from the connector catalog: DDL, comments, and columns added later.

Each catalog connector becomes table `connector.table`:

1. load columns first: `environment` (the configured AFAS environment name; administration ids
   repeat across environments) and, for snapshot connectors, `snapshot_date`;
2. the catalog's fields, in catalog order, typed by kind;
3. `loaded_at`, when the warehouse wrote the row's slice.

Every table and column carries a comment (AFAS GetConnector id, field id and meaning), so the data
dictionary lives in the database. Fields AFAS sends that the catalog does not know are added as
columns when they first arrive, typed from the frame.

One extra table, `slice_load_history`, gets a row for every load of every slice (only inserts, so
concurrent loads never conflict on it); the view `slice_loads` shows the latest per slice. It is what
tells "this administration now has no open items" apart from "this administration was never loaded".

In the lake every table is `PARTITIONED BY` its slice columns, so a slice's rows sit in files of
their own and a query that names a slice reads only those.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb

from catalog import CONNECTORS, Connector, Field
from catalog.types import duckdb_type
from warehouse.slices import ENVIRONMENT, LOADED_AT, SNAPSHOT_DATE, slice_columns
from warehouse.sql import ident, literal


@dataclass(frozen=True)
class TableColumn:
    """One column of a warehouse table."""

    name: str
    type: str
    comment: str
    not_null: bool = False

    @property
    def ddl(self) -> str:
        return f"{ident(self.name)} {self.type}{' NOT NULL' if self.not_null else ''}"


_ENVIRONMENT = TableColumn(
    ENVIRONMENT,
    "VARCHAR",
    "Load: AFAS environment name as configured in the pipeline (e.g. o12345); "
    "administration ids repeat across environments",
    not_null=True,
)
_SNAPSHOT_DATE = TableColumn(
    SNAPSHOT_DATE, "DATE", "Load: day the open items were read; every load keeps its own snapshot", not_null=True
)
_LOADED_AT = TableColumn(LOADED_AT, "TIMESTAMPTZ", "Load: when the pipeline wrote this row's slice", not_null=True)

#: Name of the table that records every load of every slice (the view `slice_loads` shows the latest).
SLICE_LOAD_HISTORY = "slice_load_history"
_SLICE_LOAD_HISTORY_COMMENT = (
    "Warehouse: one row per load of a slice (table × slice), appended in the load's own transaction; a "
    "slice loaded with no rows has row_count 0. Slice columns a table is not sliced by are NULL. The "
    "view slice_loads shows the latest load of every slice."
)
# The bookkeeping tables' column lists below are alike in shape (`duplicates` pairs them): each is a
# table's own declaration, as data.
_SLICE_LOAD_HISTORY_COLUMNS: tuple[TableColumn, ...] = (
    TableColumn("table_name", "VARCHAR", "Warehouse table the slice belongs to", not_null=True),
    _ENVIRONMENT,
    TableColumn("administration_id", "BIGINT", "Slice: administration (AFAS UnitId); NULL when not sliced by it"),
    TableColumn("fiscal_year", "BIGINT", "Slice: fiscal year; NULL when not sliced by it"),
    TableColumn("period", "BIGINT", "Slice: period; NULL when not sliced by it"),
    TableColumn("snapshot_date", "DATE", "Slice: snapshot day of open items; NULL for other tables"),
    TableColumn("row_count", "BIGINT", "Rows the slice holds after the load", not_null=True),
    _LOADED_AT,
    TableColumn("written_at", "TIMESTAMPTZ", "When the load's transaction wrote the slice (orders loads)", not_null=True),
    TableColumn("dagster_run_id", "VARCHAR", "The Dagster run that loaded the slice; NULL outside Dagster"),
)
#: Name of the table that records every reconciliation of a period's books (the view `reconciliation`
#: shows the latest per period).
RECONCILIATION_HISTORY = "reconciliation_history"
_RECONCILIATION_HISTORY_COMMENT = (
    "Warehouse: one row per reconciliation of a period's books with AFAS's period values (appended, never "
    "updated). status: reconciled | reconciled_after_reload (a mismatch one reload healed) | differences "
    "(still disagrees after one reload) | not_loaded (the period's load failed; its earlier data is kept "
    "and was not checked). The view reconciliation shows the latest per period."
)
_RECONCILIATION_HISTORY_COLUMNS: tuple[TableColumn, ...] = (
    _ENVIRONMENT,
    TableColumn("administration_id", "BIGINT", "Slice: administration (AFAS UnitId)", not_null=True),
    TableColumn("fiscal_year", "BIGINT", "Slice: fiscal year", not_null=True),
    TableColumn("period", "BIGINT", "Slice: period (0 = opening balance)", not_null=True),
    TableColumn("status", "VARCHAR", "reconciled | reconciled_after_reload | differences | not_loaded", not_null=True),
    TableColumn("differences", "BIGINT", "Accounts and booking lines that disagree (0 when reconciled)", not_null=True),
    TableColumn("difference_total", "DECIMAL(38, 2)",
                "Sum of the absolute account differences, transactions vs period values (EUR)", not_null=True),
    TableColumn("detail", "VARCHAR", "What disagrees (first accounts and lines), or why the period was not loaded"),
    TableColumn("checked_at", "TIMESTAMPTZ", "When the reconciliation ran", not_null=True),
    TableColumn("dagster_run_id", "VARCHAR", "The Dagster run that reconciled; NULL outside Dagster"),
)
#: Name of the table that records each administration a user confirmed as removed from AFAS
#: (`afas-pipeline confirm-removed`), written in the same transaction that removed its data.
REMOVED_ADMINISTRATIONS = "removed_administrations"
_REMOVED_ADMINISTRATIONS_COMMENT = (
    "Warehouse: one row per administration a user confirmed as gone from AFAS (deleted there, or the token's "
    "user lost its rights) with `afas-pipeline confirm-removed`; the same commit removed its rows from every "
    "table (older lake snapshots keep them for time travel). Until confirmed, loads keep its data and fail."
)
_REMOVED_ADMINISTRATIONS_COLUMNS: tuple[TableColumn, ...] = (
    _ENVIRONMENT,
    TableColumn("administration_id", "BIGINT", "The administration (AFAS UnitId)", not_null=True),
    TableColumn("administration_name", "VARCHAR", "Its company name as last loaded, when known"),
    TableColumn("afas_showed", "VARCHAR",
                "What AFAS showed when it was confirmed: not_listed | listed_without_rows", not_null=True),
    TableColumn("slices_removed", "BIGINT", "Slices (table × slice) emptied", not_null=True),
    TableColumn("rows_removed", "BIGINT", "Rows removed from the lake", not_null=True),
    TableColumn("last_loaded_at", "TIMESTAMPTZ", "When the removed data had last been loaded"),
    TableColumn("confirmed_at", "TIMESTAMPTZ", "When the removal was confirmed", not_null=True),
    TableColumn("confirmed_by", "VARCHAR", "The operating-system user who confirmed it"),
)
#: The bookkeeping tables the pipeline appends to, with what they mean (not loaded from AFAS).
BOOKKEEPING_TABLES: dict[str, tuple[str, tuple[TableColumn, ...]]] = {
    SLICE_LOAD_HISTORY: (_SLICE_LOAD_HISTORY_COMMENT, _SLICE_LOAD_HISTORY_COLUMNS),
    RECONCILIATION_HISTORY: (_RECONCILIATION_HISTORY_COMMENT, _RECONCILIATION_HISTORY_COLUMNS),
    REMOVED_ADMINISTRATIONS: (_REMOVED_ADMINISTRATIONS_COMMENT, _REMOVED_ADMINISTRATIONS_COLUMNS),
}
#: slice_loads columns that identify a slice (NULL where a table is not sliced by the column).
SLICE_LOAD_KEYS: tuple[str, ...] = ("environment", "administration_id", "fiscal_year", "period", "snapshot_date")


def key_columns(connector: Connector) -> tuple[str, ...]:
    """The columns that identify a row of the connector's table (its grain)."""
    return (ENVIRONMENT, *((SNAPSHOT_DATE,) if connector.snapshots else ()),
            *(connector.field(k).column for k in connector.key))


def field_comment(field: Field) -> str:
    """`AFAS <field id>: <meaning>`, e.g. `AFAS UnitId: Administratie (administration)`."""
    return f"AFAS {field.id}: {field.meaning}"


def table_columns(connector: Connector) -> tuple[TableColumn, ...]:
    """The table's columns in order: load columns, catalog fields, `loaded_at`."""
    leading = (_ENVIRONMENT, _SNAPSHOT_DATE) if connector.snapshots else (_ENVIRONMENT,)
    fields = tuple(TableColumn(f.column, duckdb_type(f), field_comment(f)) for f in connector.fields)
    return (*leading, *fields, _LOADED_AT)


def table_comment(connector: Connector) -> str:
    """Connector description, GetConnector id, grain and slicing, in one line."""
    return (
        f"{connector.description}. AFAS GetConnector {connector.id}; one row per {' × '.join(key_columns(connector))}; "
        f"sliced by {', '.join(slice_columns(connector))}."
    )


def create_statements(table: str, comment: str, columns: tuple[TableColumn, ...]) -> list[str]:
    """CREATE TABLE plus COMMENT statements for the table and each column."""
    body = ",\n    ".join(c.ddl for c in columns)
    statements = [f"CREATE TABLE {ident(table)} (\n    {body}\n)", f"COMMENT ON TABLE {ident(table)} IS {literal(comment)}"]
    statements += [f"COMMENT ON COLUMN {ident(table)}.{ident(c.name)} IS {literal(c.comment)}" for c in columns]
    return statements


def definitions() -> dict[str, tuple[str, tuple[TableColumn, ...]]]:
    """Every table the warehouse holds: name → (comment, columns); catalog tables, then the bookkeeping ones."""
    return {**{c.table: (table_comment(c), table_columns(c)) for c in CONNECTORS}, **BOOKKEEPING_TABLES}


def partition_columns() -> dict[str, tuple[str, ...]]:
    """Table → the columns it is `PARTITIONED BY` (its slice columns; bookkeeping tables: none)."""
    return {c.table: slice_columns(c) for c in CONNECTORS}


def existing_tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Base tables of the main schema of the open database."""
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary"
    ).fetchall()
    return {r[0] for r in rows}


def create_missing_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create every warehouse table that does not exist yet; returns the names created (sorted)."""
    have = existing_tables(con)
    created = []
    for table, (comment, columns) in definitions().items():
        if table not in have:
            for statement in create_statements(table, comment, columns):
                con.execute(statement)
            partitioned_by = partition_columns().get(table)
            if partitioned_by:
                con.execute(f"ALTER TABLE {ident(table)} SET PARTITIONED BY ({', '.join(map(ident, partitioned_by))})")
            created.append(table)
    return sorted(created)


def table_column_types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """The table's current columns and their DuckDB types, in table order."""
    rows = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()
    return dict(rows)


def add_new_columns(
    con: duckdb.DuckDBPyConnection, table: str, frame_types: Mapping[str, str], today: dt.date
) -> list[str]:
    """Add columns the frame has and the table lacks, typed as DuckDB reads them from the frame.

    An all-null column of unknown type (polars `Null`) becomes VARCHAR: it has to be some type, and
    text loses nothing when the field's real values arrive. A categorical column (DuckDB ENUM) becomes
    VARCHAR too: an ENUM column would refuse the next load's new values.

    Args:
        con: an open connection, inside the write's transaction.
        table: the table to extend.
        frame_types: the frame's columns and their DuckDB types (from `DESCRIBE`), in frame order.
        today: the date written in the new columns' comments.

    Returns:
        The names of the added columns, in frame order.
    """
    have = set(table_column_types(con, table))
    added = []
    for name, duck_type in frame_types.items():
        if name in have:
            continue
        if duck_type.strip('"') == "NULL" or duck_type.startswith("ENUM("):
            duck_type = "VARCHAR"
        con.execute(f"ALTER TABLE {ident(table)} ADD COLUMN {ident(name)} {duck_type}")
        comment = f"AFAS field not in the catalog (added {today.isoformat()})"
        con.execute(f"COMMENT ON COLUMN {ident(table)}.{ident(name)} IS {literal(comment)}")
        added.append(name)
    return added
