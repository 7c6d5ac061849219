"""Opening the DuckLake, and running one transaction on it until it commits (within a bound).

DuckLake does the hard parts itself: snapshot isolation (a reader sees whole commits only),
multi-table transactions, conflict detection between writers of several processes. What it leaves
to the application is what to do when a commit is refused: with a SQLite catalog another writer may
hold the catalog's lock ("database is locked", which DuckLake does not retry), and on any catalog a
DELETE conflicts with a concurrent write to the same table. The data of a write is in memory (or
staged in local files, `warehouse.staging`), so the cure is cheap: roll back and run the whole
transaction again after a short random pause, logged, until it commits or the bound
(`busy_timeout_s`) is spent. tenacity does the retrying.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

import duckdb
import tenacity

from warehouse import extensions
from warehouse.errors import WarehouseBusyError, WarehouseConfigError
from warehouse.settings import LakeSettings, redact
from warehouse.slice_locks import SliceLockBusy
from warehouse.sql import literal

#: The name the lake is attached under in the pipeline's own connections.
ALIAS = "lake"

T = TypeVar("T")
log = logging.getLogger("warehouse")

#: Texts of commit refusals that a later attempt can overcome (SQLite lock, PostgreSQL lock time-out
#: or serialisation failure, DuckLake's own conflict detection).
_RETRYABLE = (
    "database is locked",
    "database table is locked",
    "conflict",
    "could not serialize",
    "deadlock detected",
    "lock timeout",
    "canceling statement due to lock",
)


def prepare_sqlite_catalog(path: Path) -> None:
    """Create the catalog file's folder and switch the file to write-ahead logging (once; it sticks).

    In SQLite's default journal mode a reader's open transaction blocks every commit ("database is
    locked"), so an analyst's query would stall the loads. In WAL mode readers and the one writer
    at a time never block each other.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30)
    try:
        if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()


def _object_storage_secret(con: duckdb.DuckDBPyConnection, settings: LakeSettings) -> None:
    """Credentials for `s3://` data paths from the standard AWS variables, as a DuckDB secret in memory."""
    fields = {
        "KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID"),
        "SECRET": os.environ.get("AWS_SECRET_ACCESS_KEY"),
        "REGION": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        "ENDPOINT": (os.environ.get("AWS_ENDPOINT_URL") or "").split("://", 1)[-1] or None,
        "USE_SSL": "false" if (os.environ.get("AWS_ENDPOINT_URL") or "").startswith("http://") else None,
        "URL_STYLE": "path" if os.environ.get("AWS_ENDPOINT_URL") else None,
    }
    body = ", ".join(f"{k} {v if k == 'USE_SSL' else literal(v)}" for k, v in fields.items() if v)
    con.execute(f"CREATE OR REPLACE SECRET afas_lake_storage (TYPE s3{', ' + body if body else ''})")


#: What DuckDB may hold in memory on a connection that writes the lake. Its default is 80% of the
#: machine, which it keeps for its buffers once used: a load of a million rows then peaks hundreds
#: of MiB above what the insert needs, since DuckDB scans the staged rows and writes the lake's Parquet
#: a row group at a time. Beyond this it spills to its temporary directory.
WRITER_MEMORY_LIMIT = "256MB"


def _writer_config() -> dict[str, str]:
    """DuckDB settings of a writing connection: its memory bound, and where it spills past it — a
    folder of this connection's own under the system's temporary folder (DuckDB's default, `.tmp`,
    is relative to wherever the process runs); DuckDB makes it when it first spills and removes it
    when the connection closes."""
    spill = Path(tempfile.gettempdir()) / f"afas-duckdb-spill-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return {"memory_limit": WRITER_MEMORY_LIMIT, "temp_directory": str(spill)}


def attach(
    settings: LakeSettings,
    *,
    read_only: bool = False,
    snapshot_time: str | None = None,
    alias: str = ALIAS,
) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection with the lake attached as `alias` and selected (`USE`).

    Args:
        settings: which lake.
        read_only: attach READ_ONLY (analysts; a writer of the lake is never blocked by it).
        snapshot_time: attach the lake as it was at this instant (ISO text with offset); read-only.
        alias: the attached database's name.

    Raises:
        WarehouseConfigError: the lake cannot be opened (the message says why, without secrets).
    """
    needed = extensions.needed_for(settings.kind, settings.is_object_storage)
    sqlite_path = settings.sqlite_path
    if sqlite_path is not None and (read_only or snapshot_time) and not sqlite_path.exists():
        raise WarehouseConfigError(
            f"there is no lake at {sqlite_path} yet: run a load first (e.g. `make demo`), or point "
            "AFAS_WAREHOUSE at the lake to read"
        )
    if sqlite_path is not None and not (read_only or snapshot_time):
        prepare_sqlite_catalog(sqlite_path)
    options = []
    if read_only or snapshot_time:
        options.append("READ_ONLY")
    else:
        options.append(f"DATA_PATH {literal(settings.data_path)}")
    if snapshot_time:
        options.append(f"SNAPSHOT_TIME {literal(snapshot_time)}")
    con = extensions.connect(needed, **({} if read_only or snapshot_time else _writer_config()))
    try:
        if settings.is_object_storage:
            _object_storage_secret(con, settings)
        uri = settings.ducklake_uri(for_writing=not (read_only or snapshot_time))
        # Two processes opening a new lake at once both try to create its catalog tables: the loser
        # meets a locked catalog or tables that just appeared, and a second look finds the lake made.
        tenacity.Retrying(
            stop=tenacity.stop_after_delay(settings.busy_timeout_s),
            wait=tenacity.wait_random_exponential(multiplier=0.02, max=1.0),
            retry=tenacity.retry_if_exception(lambda e: is_retryable(e) or "already exists" in str(e).lower()),
            reraise=True,
        )(con.execute, f"ATTACH {literal(uri)} AS {alias} ({', '.join(options)})")
        con.execute(f"USE {alias}")
    except duckdb.Error as error:
        con.close()
        if snapshot_time and "no snapshot found" in str(error).lower():
            raise WarehouseConfigError(_before_history(settings, snapshot_time)) from None
        raise WarehouseConfigError(f"cannot open the {settings.describe()}: {redact(str(error))}") from None
    return con


def _before_history(settings: LakeSettings, snapshot_time: str) -> str:
    """Why the lake cannot be read at `snapshot_time`: it is older than the oldest snapshot kept."""
    con = attach(settings, read_only=True)
    try:
        (oldest,) = con.execute(f"SELECT min(snapshot_time) FROM {ALIAS}.snapshots()").fetchone()
    finally:
        con.close()
    return (
        f"the lake has no state as early as {snapshot_time}: its history starts at {oldest} (the first load, "
        f"or the oldest snapshot kept: maintenance expires those older than {settings.retention_months} months)"
    )


def is_retryable(error: BaseException) -> bool:
    """Whether a failed statement or commit may succeed when the whole transaction runs again."""
    if isinstance(error, SliceLockBusy):
        return True
    return isinstance(error, duckdb.Error) and any(m in str(error).lower() for m in _RETRYABLE)


def run_transaction(
    con: duckdb.DuckDBPyConnection,
    work: Callable[[duckdb.DuckDBPyConnection], T],
    *,
    what: str,
    timeout_s: float,
    logger: logging.Logger | None = None,
    guard: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run `work(con)` between BEGIN and COMMIT; retry the whole of it while the lake is busy.

    Args:
        con: a connection with the lake selected.
        work: the transaction's statements; it may run several times, so it must not keep state
            between attempts.
        what: the transaction in words, for the log and the error ("replace transactions o1 …").
        timeout_s: the bound: no new attempt starts after this many seconds (> 0).
        logger: where retries are logged (default: the `warehouse` logger).
        guard: entered around each attempt (e.g. `slice_locks.PostgresSliceLocks.hold`).
        sleep, clock: how to wait between attempts and what measures the bound; injectable so
            tests can record the waits instead of spending them.

    Raises:
        WarehouseBusyError: the lake stayed busy or conflicting for `timeout_s`; nothing was written.
    """
    logger = logger or log

    def attempt() -> T:
        with guard():
            con.execute("BEGIN")
            try:
                result = work(con)
                con.execute("COMMIT")
                return result
            except BaseException:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # a refused COMMIT has already ended the transaction
                raise

    def note(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        logger.warning(
            "lake busy during %s (attempt %d, %.1f s so far): %s; retrying the whole transaction",
            what, state.attempt_number, state.seconds_since_start or 0.0, redact(str(error)).splitlines()[-1],
        )

    started = clock()
    retrying = tenacity.Retrying(
        stop=lambda state: clock() - started >= timeout_s,  # tenacity.stop_after_delay, on `clock`
        sleep=sleep,
        wait=tenacity.wait_random_exponential(multiplier=0.02, max=1.0),
        retry=tenacity.retry_if_exception(is_retryable),
        before_sleep=note,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except (duckdb.Error, SliceLockBusy) as error:
        if not is_retryable(error):
            raise
        raise WarehouseBusyError(
            f"{what} did not commit within {timeout_s:g} s: the lake's catalog stayed locked or kept "
            f"conflicting ({redact(str(error)).splitlines()[-1]}). Another process may be stopped or hung "
            "in the middle of its commit (look for a paused or stuck pipeline process); nothing of this "
            "write is visible and the earlier data is intact. Run it again once that process is gone."
        ) from None
