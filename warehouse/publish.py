"""Publishing: the warehouse's tables as Parquet files that the analysts' database reads.

Layout below `publish_dir` (Hive-style folder names; the values are also columns inside the files):

    <table>/_schema.parquet      zero rows, every current column with its type
    <table>/_schema.json         the table's comment and its columns' types and comments
    <table>/environment=<env>/data.parquet                                         sliced by environment
    <table>/environment=<env>/administration_id=<id>/data.parquet                  … by administration
    <table>/environment=<env>/administration_id=<id>/fiscal_year=<y>/period=<p>/data.parquet
    <table>/environment=<env>/administration_id=<id>/snapshot_date=<yyyy-mm-dd>/data.parquet
    slice_loads/data.parquet     the whole (small) slice_loads table

Every file is written next to its final name and moved into place with `os.replace`, so a reader
sees the old file or the new one, never half of one. Temporary names end in `.tmp`, so the
analysts' `**/*.parquet` globs never pick them up. These functions run with the warehouse lock held,
on the write's own connection, right after its commit: publishing in commit order means two loads of
the same slice can never leave the older one published.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path

import duckdb

from warehouse.slices import partition_path, where_clause
from warehouse.sql import ident, literal

DATA_FILE = "data.parquet"
SCHEMA_PARQUET = "_schema.parquet"
SCHEMA_JSON = "_schema.json"


def _temp_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def _copy_atomically(con: duckdb.DuckDBPyConnection, select: str, params: list[object], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = _temp_beside(target)
    try:
        con.execute(f"COPY ({select}) TO {literal(str(temp))} (FORMAT parquet, COMPRESSION zstd)", params)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _remove_empty_dirs(start: Path, stop: Path) -> None:
    """Remove `start` and its parents up to (not including) `stop` while they are empty."""
    folder = start
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty (or already gone): its parents are not empty either
            return
        folder = folder.parent


def slice_file(publish_dir: Path, table: str, slice: Mapping[str, object]) -> Path:
    """Where the slice's Parquet file lives."""
    return publish_dir / table / partition_path(slice) / DATA_FILE


def publish_slice(
    con: duckdb.DuckDBPyConnection, publish_dir: Path, table: str, slice: Mapping[str, object], rows: int
) -> Path | None:
    """Write the slice's current rows to its file, or delete the file when the slice is empty.

    Args:
        con: the connection that just committed the slice.
        publish_dir: the publish root.
        table: the warehouse table.
        slice: slice column → value, in slice order.
        rows: how many rows the slice now holds (0 removes the file).

    Returns:
        The file written, or None when the slice is empty.
    """
    target = slice_file(publish_dir, table, slice)
    if rows == 0:
        target.unlink(missing_ok=True)
        _remove_empty_dirs(target.parent, publish_dir / table)
        return None
    where, params = where_clause(slice)
    _copy_atomically(con, f"SELECT * FROM {ident(table)} WHERE {where}", params, target)
    return target


def publish_whole_table(con: duckdb.DuckDBPyConnection, publish_dir: Path, table: str) -> Path:
    """Write a small unsliced table (slice_loads) as one file."""
    target = publish_dir / table / DATA_FILE
    _copy_atomically(con, f"SELECT * FROM {ident(table)}", [], target)
    return target


def table_definition(con: duckdb.DuckDBPyConnection, table: str) -> dict:
    """The table's comment and its columns (name, type, comment) in table order, as stored in DuckDB."""
    (comment,) = con.execute(
        "SELECT comment FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ?",
        [table],
    ).fetchone()
    columns = con.execute(
        "SELECT column_name, data_type, comment FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()
    return {
        "table": table,
        "comment": comment,
        "columns": [{"name": n, "type": t, "comment": c} for n, t, c in columns],
    }


def publish_schema(con: duckdb.DuckDBPyConnection, publish_dir: Path, table: str) -> None:
    """Write `_schema.parquet` (zero rows, all columns typed) and `_schema.json` (comments) for a table.

    The zero-row file is what gives the analysts' view every column with the right type, even a
    column no data file has yet, and a table with no data at all.
    """
    folder = publish_dir / table
    _copy_atomically(con, f"SELECT * FROM {ident(table)} LIMIT 0", [], folder / SCHEMA_PARQUET)
    target = folder / SCHEMA_JSON
    temp = _temp_beside(target)
    try:
        temp.write_text(json.dumps(table_definition(con, table), indent=1, ensure_ascii=False) + "\n")
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def schema_published(publish_dir: Path, table: str) -> bool:
    """Whether both schema files of the table exist."""
    folder = publish_dir / table
    return (folder / SCHEMA_PARQUET).exists() and (folder / SCHEMA_JSON).exists()


def republish_table(
    con: duckdb.DuckDBPyConnection, publish_dir: Path, table: str, slice_columns: tuple[str, ...]
) -> int:
    """Publish every slice of a table afresh and delete data files of slices that no longer exist.

    Returns:
        The number of slice files written.
    """
    publish_schema(con, publish_dir, table)
    columns = ", ".join(ident(c) for c in slice_columns)
    keys = con.execute(
        f"SELECT {columns}, count(*) FROM {ident(table)} GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    written = set()
    for *values, rows in keys:
        path = publish_slice(con, publish_dir, table, dict(zip(slice_columns, values)), rows)
        if path is not None:
            written.add(path)
    for stale in list((publish_dir / table).rglob(DATA_FILE)):
        if stale not in written:
            stale.unlink()
            _remove_empty_dirs(stale.parent, publish_dir / table)
    return len(written)
