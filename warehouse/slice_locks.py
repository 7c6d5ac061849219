"""With a PostgreSQL catalog: one writer at a time per slice, through PostgreSQL's advisory locks.

Why this exists: DuckLake's conflict detection on a PostgreSQL catalog can miss a conflict between
two transactions that replace the same slice at the same moment (duckdb/ducklake issue 1094). Both
commit, and the slice holds both loads' rows. Our concurrency test caught exactly that: three
writers of one period left it with the rows of two or three loads. Writes to different slices are
not at risk, because each deletes only its own rows, in its own partition's files.

So, before a transaction that replaces slices, the writer takes a transaction-scoped advisory lock
per slice in the catalog's own database (PostgreSQL's feature for application locks across
machines) and keeps it until DuckLake has committed. A stopped or hung holder cannot block anyone
for long: the waiter's `lock_timeout` makes it retry within its bound, and the server ends a session
that idles inside a transaction (`idle_in_transaction_session_timeout`), which releases its locks.
With a SQLite catalog nothing is needed: SQLite lets one commit happen at a time, and DuckLake's
check there runs under that lock (the same test passes on it).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterable, Iterator

from warehouse.settings import PG_IDLE_IN_TRANSACTION_TIMEOUT_MS, PG_LOCK_TIMEOUT_MS, LakeSettings, redact


class SliceLockBusy(Exception):
    """A slice lock was not granted within PostgreSQL's lock time-out (another writer holds it)."""


def lock_key(name: str) -> int:
    """A signed 64-bit advisory-lock key for a slice's name (a collision only serialises two slices)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class PostgresSliceLocks:
    """Advisory locks per slice in the catalog's database; one connection per process, used under a lock."""

    def __init__(self, settings: LakeSettings):
        self._conninfo = settings.catalog.removeprefix("postgres:")
        self._connection = None
        self._lock = threading.Lock()

    def _connect(self):
        import psycopg

        if self._connection is None or self._connection.closed:
            try:
                self._connection = psycopg.connect(
                    self._conninfo,
                    options=f"-c lock_timeout={PG_LOCK_TIMEOUT_MS} "
                            f"-c idle_in_transaction_session_timeout={PG_IDLE_IN_TRANSACTION_TIMEOUT_MS}",
                    application_name="afas-pipeline slice locks",
                )
            except psycopg.Error as error:
                raise SliceLockBusy(redact(str(error))) from None
        return self._connection

    @contextlib.contextmanager
    def hold(self, names: Iterable[str]) -> Iterator[None]:
        """Hold the locks of `names` (taken in a fixed order, so two writers cannot deadlock) for the block."""
        import psycopg

        keys = sorted({lock_key(n) for n in names})
        with self._lock:
            con = self._connect()
            try:
                with con.transaction():
                    for key in keys:
                        con.execute("SELECT pg_advisory_xact_lock(%s)", [key])
                    yield
            except psycopg.errors.LockNotAvailable as error:
                raise SliceLockBusy(f"a slice is being written by another process ({error})") from None
            except psycopg.OperationalError as error:  # e.g. our session was ended; reconnect next time
                con.close()
                raise SliceLockBusy(redact(str(error))) from None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
