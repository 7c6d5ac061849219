"""The analysts' database: a small DuckDB file of views over the published Parquet files.

Analysts open it from notebooks or DBeaver and may keep it open for days. DuckDB lets no process
write a file that another process has open, so analysts must never open the pipeline's own file;
this one the pipeline never opens at all. It holds only views: `<table>` reads
`<publish_dir>/<table>/**/*.parquet` on every query (so an open connection sees each new load on its
next query), plus the analyst views of `warehouse.views`.

It is rebuilt only when its definition changes (a table or column appears, a view's SQL changes):
built under a temporary name beside it and moved over it with `os.replace`. An analyst who holds
the old file open keeps reading the old inode, with the old views, which still work; reconnecting
shows the new columns. Analysts should open it read-only (or ATTACH it read-only from their own
database file): anything they create in it is lost at the next rebuild.

The definition is read from the published `_schema.json` files, not from the pipeline's database,
so a rebuild never touches the pipeline's file, and the latest rebuild always reflects the latest
publish (rebuilds take turns through `<analyst file>.lock`).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path

import duckdb

from warehouse import locks, publish, tables, views
from warehouse.sql import ident, literal


def definitions(publish_dir: Path) -> list[dict]:
    """Every table the analysts' database shows: published ones from `_schema.json`, others from the catalog.

    A table that was never published (no load has run yet) still gets a view, empty but typed, so
    that the analyst views over it work from the start.
    """
    published = {}
    for path in sorted(publish_dir.glob(f"*/{publish.SCHEMA_JSON}")):
        if (path.parent / publish.SCHEMA_PARQUET).exists():
            definition = json.loads(path.read_text())
            published[definition["table"]] = {**definition, "published": True}
    for table, (comment, columns) in tables.definitions().items():
        if table not in published:
            published[table] = {
                "table": table,
                "comment": comment,
                "columns": [{"name": c.name, "type": c.type, "comment": c.comment} for c in columns],
                "published": False,
            }
    return [published[t] for t in sorted(published)]


def digest(publish_dir: Path, defs: list[dict]) -> str:
    """A fingerprint of everything the analysts' database is built from."""
    text = json.dumps({"publish_dir": str(publish_dir.resolve()), "tables": defs, "views": views.VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _marker(analyst_path: Path) -> Path:
    return analyst_path.with_name(analyst_path.name + ".definition")


def refresh(publish_dir: Path, analyst_path: Path, *, force: bool = False) -> bool:
    """Rebuild the analysts' database if its definition changed (or it is missing).

    Args:
        publish_dir: the publish root the views read.
        analyst_path: the analysts' DuckDB file.
        force: rebuild even if the definition is unchanged.

    Returns:
        Whether it was rebuilt.
    """
    with locks.exclusive(analyst_path):
        defs = definitions(publish_dir)
        fingerprint = digest(publish_dir, defs)
        marker = _marker(analyst_path)
        current = marker.read_text().strip() if marker.exists() else None
        if not force and analyst_path.exists() and current == fingerprint:
            return False
        build(publish_dir, analyst_path, defs)
        temp = marker.with_name(f".{marker.name}.{uuid.uuid4().hex[:8]}.tmp")
        temp.write_text(fingerprint + "\n")
        os.replace(temp, marker)
        return True


def _base_view_sql(publish_dir: Path, definition: dict) -> str:
    table = definition["table"]
    if definition["published"]:
        # The zero-row _schema.parquet carries every column with its type, and union_by_name makes
        # files written before a column existed read as NULL there. Folder names are not columns:
        # the values are in the files already (hive_partitioning=false).
        pattern = str(publish_dir.resolve() / table / "**" / "*.parquet")
        return f"SELECT * FROM read_parquet({literal(pattern)}, union_by_name = true, hive_partitioning = false)"
    columns = ", ".join(f"CAST(NULL AS {c['type']}) AS {ident(c['name'])}" for c in definition["columns"])
    return f"SELECT {columns} LIMIT 0"


def build(publish_dir: Path, analyst_path: Path, defs: list[dict]) -> None:
    """Write the analysts' database from scratch under a temporary name, then move it into place."""
    analyst_path.parent.mkdir(parents=True, exist_ok=True)
    temp = analyst_path.with_name(f".{analyst_path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        con = duckdb.connect(str(temp))
        try:
            for definition in defs:
                name = ident(definition["table"])
                con.execute(f"CREATE VIEW {name} AS {_base_view_sql(publish_dir, definition)}")
                if definition["comment"]:
                    con.execute(f"COMMENT ON VIEW {name} IS {literal(definition['comment'])}")
                for column in definition["columns"]:
                    if column["comment"]:
                        con.execute(f"COMMENT ON COLUMN {name}.{ident(column['name'])} IS {literal(column['comment'])}")
            views.create_views(con)
        finally:
            con.close()
        # A write-ahead log left by someone who opened the old file read-write would be replayed
        # into the new file: it belongs to the old one.
        Path(str(analyst_path) + ".wal").unlink(missing_ok=True)
        os.replace(temp, analyst_path)
    finally:
        temp.unlink(missing_ok=True)
        Path(str(temp) + ".wal").unlink(missing_ok=True)
