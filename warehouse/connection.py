"""DuckDB plumbing: short-lived connections that wait out foreign locks, and frames in and out.

Polars frames cross into DuckDB through the Arrow PyCapsule interface (`__arrow_c_stream__`), not
through pyarrow: the project does not install pyarrow, and DuckDB 2.0 tries pyarrow when it is handed
a polars frame directly (`relation.pl()` needs pyarrow as well). Results come back through a
temporary Parquet file: exact types (DECIMAL, TIMESTAMPTZ) and no pyarrow, and unlike
`pl.DataFrame(relation)` (DuckDB's own stream export) it does not make duckdb 2.0 report "nanobind:
leaked instances" when the interpreter exits.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import duckdb
import polars as pl

from warehouse.errors import WarehouseBusyError
from warehouse.sql import literal

#: First and longest pause between attempts to open a file another process holds (seconds).
BACKOFF_FIRST_S = 0.05
BACKOFF_MAX_S = 2.0

_LOCK_MESSAGES = ("could not set lock", "conflicting lock")


class ArrowStream:
    """A polars frame seen by DuckDB only through the Arrow C stream interface.

    DuckDB asks for a fresh stream each time it scans the registered object, so the wrapper can be
    scanned more than once (DESCRIBE, then INSERT).
    """

    def __init__(self, frame: pl.DataFrame):
        self._frame = frame

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self._frame.__arrow_c_stream__(requested_schema)


def fetch_frame(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | Mapping[str, object] | None = None
) -> pl.DataFrame:
    """Run `sql` (with `?` or `$name` parameters) and return its rows as a polars frame.

    Statements without rows give an empty frame.
    """
    query = sql.strip().rstrip(";")
    with tempfile.TemporaryDirectory(prefix="warehouse-query-") as folder:
        target = f"{folder}/result.parquet"
        try:
            con.execute(f"COPY ({query}) TO {literal(target)} (FORMAT parquet)", params)
        except (duckdb.ParserException, duckdb.BinderException, duckdb.NotImplementedException):
            pass  # not a query COPY accepts (DESCRIBE, PRAGMA, DDL …): fall back to the Arrow stream
        else:
            return pl.read_parquet(target)
    relation = con.sql(sql, params=params)
    return pl.DataFrame() if relation is None else pl.DataFrame(relation)


def is_lock_conflict(error: BaseException) -> bool:
    """Whether DuckDB refused to open a file because another process holds it."""
    return isinstance(error, duckdb.IOException) and any(m in str(error).lower() for m in _LOCK_MESSAGES)


@contextlib.contextmanager
def open_duckdb(
    path: Path,
    *,
    read_only: bool = False,
    busy_timeout_s: float = 120.0,
    analyst_path: Path | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open `path`, retrying with backoff while another process holds it; always close afterwards.

    Call it with the warehouse's own lock held: then the only possible holder is a foreign tool,
    and waiting a while (it may be a query that is about to finish) is better than failing a load.

    Args:
        path: the DuckDB file.
        read_only: open for reading only.
        busy_timeout_s: how long to keep retrying a lock conflict before giving up (seconds, ≥ 0).
        analyst_path: named in the error message as the file analysts should open instead.

    Raises:
        WarehouseBusyError: the file stayed locked for `busy_timeout_s`.
    """
    deadline = time.monotonic() + busy_timeout_s
    pause = BACKOFF_FIRST_S
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as error:
            if not is_lock_conflict(error):
                raise
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WarehouseBusyError(_busy_message(path, busy_timeout_s, analyst_path, error)) from error
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, BACKOFF_MAX_S)
    try:
        yield con
    finally:
        con.close()


def _busy_message(path: Path, timeout_s: float, analyst_path: Path | None, error: BaseException) -> str:
    instead = f"open the analysts' database {analyst_path} instead" if analyst_path else "use the analysts' database"
    return (
        f"The pipeline's DuckDB file {path} stayed locked by another process for {timeout_s:g} s "
        f"({error}). Only the pipeline may open this file, even read-only: DuckDB lets no one write "
        f"while another process has it open. Close that program; analysts must not open the "
        f"pipeline's own file and should {instead} (it is safe to keep open)."
    )
