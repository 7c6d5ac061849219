"""How analysts reach the lake: the statements any DuckDB 1.5 client runs to attach it read-only.

A read-only attach never blocks a load and sees whole commits only; each query sees the latest
snapshot (or, with `SNAPSHOT_TIME`, the lake as it was). The same statements serve DuckDB's CLI,
Python, DBeaver (DuckDB JDBC) and Node; online, `INSTALL ducklake; INSTALL sqlite;` (or `postgres`)
replaces the `LOAD` of our wheel's files.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from warehouse import extensions, lake
from warehouse.settings import LakeSettings
from warehouse.sql import literal

#: The name analysts attach the lake under in our documentation and commands.
ANALYST_ALIAS = "afas"


def attach_statement(settings: LakeSettings, *, alias: str = ANALYST_ALIAS, as_of: dt.datetime | None = None) -> str:
    """`ATTACH 'ducklake:…' AS afas (READ_ONLY[, SNAPSHOT_TIME '…'])`."""
    options = ["READ_ONLY"]
    if as_of is not None:
        if as_of.tzinfo is None:
            raise ValueError("as_of must be timezone-aware")
        options.append(f"SNAPSHOT_TIME {literal(as_of.isoformat())}")
    return f"ATTACH {literal(settings.ducklake_uri(for_writing=False))} AS {alias} ({', '.join(options)})"


def offline_statements(settings: LakeSettings, *, alias: str = ANALYST_ALIAS, as_of: dt.datetime | None = None) -> list[str]:
    """Everything a DuckDB 1.5.5 client needs, loading the extensions from this environment's wheels."""
    loads = extensions.load_statements(extensions.needed_for(settings.kind, settings.is_object_storage))
    settings_sql = [f"SET {name} = {value}" for name, value in extensions.CONFIG.items()
                    if name != "allow_unsigned_extensions"]  # startup-only; its default is already false
    return [*settings_sql, *loads, attach_statement(settings, alias=alias, as_of=as_of), f"USE {alias}"]


def read_only_connection(settings: LakeSettings, *, as_of: dt.datetime | None = None) -> duckdb.DuckDBPyConnection:
    """A new DuckDB connection on the lake, read-only, with the lake selected under `afas`."""
    return lake.attach(settings, read_only=True, alias=ANALYST_ALIAS,
                       snapshot_time=as_of.isoformat() if as_of is not None else None)
