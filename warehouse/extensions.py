"""DuckDB's extensions, loaded from the wheels in this virtual environment and from nowhere else.

DuckDB would otherwise download an extension the first time a statement needs it (`ATTACH
'ducklake:…'`); offline that fails, and online it would run code this project never pinned. The
`duckdb-extension-*` wheels (pinned in the lock, same release as DuckDB) carry DuckDB's official,
signed binaries: we turn auto-install and auto-load off, refuse unsigned extensions, and `LOAD`
each binary by its path, so DuckDB checks its signature. A connection made here can therefore never
reach the network for an extension (a test proves it).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import duckdb

from warehouse.errors import WarehouseConfigError

#: Extension name → the wheel's package. The `-sqlite`/`-postgres` wheels name their binary after the
#: extension's alias, whose entry point does not match; the `-scanner` wheels are the ones that load.
WHEELS: dict[str, str] = {
    "ducklake": "duckdb_extension_ducklake",
    "sqlite_scanner": "duckdb_extension_sqlite_scanner",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
    "httpfs": "duckdb_extension_httpfs",
    "excel": "duckdb_extension_excel",
}

#: Settings of every connection the project opens: no downloads, no implicit loads, signatures checked.
CONFIG: dict[str, str] = {
    "autoinstall_known_extensions": "false",
    "autoload_known_extensions": "false",
    "allow_unsigned_extensions": "false",
    "allow_community_extensions": "false",
}


@cache
def binary(name: str) -> Path:
    """The extension binary the wheel installed for this DuckDB release.

    Raises:
        WarehouseConfigError: the wheel is not installed (run `make setup`).
    """
    package = WHEELS.get(name)
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or not spec.submodule_search_locations:
        raise WarehouseConfigError(
            f"DuckDB extension {name!r} is not installed in this environment (wheel {package or '?'}); "
            "run `make setup` to install the locked set"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "extensions" / f"v{duckdb.__version__}"
    found = sorted(folder.glob("*.duckdb_extension"))
    if not found:
        raise WarehouseConfigError(f"no {name} extension for DuckDB {duckdb.__version__} in {folder}")
    return found[0]


def load_statements(names: tuple[str, ...]) -> list[str]:
    """The `LOAD '<path>'` statements for `names`, for a connection opened with `CONFIG`."""
    return ["LOAD '" + str(binary(name)).replace("'", "''") + "'" for name in names]


def connect(names: tuple[str, ...], **config: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with `names` loaded from the wheels and nothing downloadable."""
    con = duckdb.connect(config={**CONFIG, **config})
    try:
        for statement in load_statements(names):
            con.execute(statement)
    except BaseException:
        con.close()
        raise
    return con


def needed_for(catalog_kind: str, object_storage: bool) -> tuple[str, ...]:
    """The extensions a lake needs: DuckLake, its catalog's scanner, httpfs for object storage."""
    scanner = {"sqlite": "sqlite_scanner", "postgres": "postgres_scanner"}[catalog_kind]
    return ("ducklake", scanner, *(("httpfs",) if object_storage else ()))
