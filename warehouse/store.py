"""`Warehouse`: the DuckLake the pipeline writes, one transaction per slice (or per period's books).

A write deletes the slice and inserts its new rows by name in one DuckLake transaction, together
with a row in `slice_load_history` and a commit message naming the tables, the slice and the Dagster
run. Several slices given together (a period's transactions, allocations and period values) commit
as one: no reader, in any process, ever sees one of them new and another old. Busy catalogs and
conflicts with other processes' commits are retried as a whole (`warehouse.lake.run_transaction`).

Each process keeps one DuckDB connection per lake (attaching costs tens of milliseconds); threads use
their own cursors of it, and the writes of one process go one at a time, since they would only
conflict with each other on the same tables. Nothing slow (fetching from AFAS, validating) happens
inside a transaction.

Example:
    >>> wh = Warehouse(LakeSettings.embedded(Path("data/lake")))
    >>> wh.replace_slice(TRANSACTIONS, {"environment": "o12345", "administration_id": 1,
    ...                                 "fiscal_year": 2025, "period": 3}, frame)
    WriteResult(table='transactions', rows_deleted=0, rows_inserted=1234, added_columns=(), snapshot_id=7, …)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import duckdb
import polars as pl

import catalog
from catalog import Connector
from warehouse import lake, tables, views
from warehouse.settings import LakeSettings
from warehouse.slice_locks import PostgresSliceLocks
from warehouse.slices import LOADED_AT, check_frame_in_slice, load_columns, slice_columns, validate_slice, where_clause
from warehouse.sql import check_column_name, ident, literal
from warehouse.staging import StagedRows

_FRAME = "__warehouse_frame"  # the registered frame's name; cannot clash with a snake_case table
AUTHOR = "afas-pipeline"
_VIEWS_MESSAGE = "views "  # commit message prefix of a views update, followed by views.VERSION


@dataclass(frozen=True)
class SliceWrite:
    """One slice to replace: the connector, its slice values and the new rows (see `replace_slice`):
    a frame, or for a slice too large to hold in memory the rows staged in local files."""

    connector: Connector | str
    slice: Mapping[str, object]
    frame: pl.DataFrame | StagedRows


@dataclass(frozen=True)
class WriteResult:
    """What one slice replace did.

    Attributes:
        table: the warehouse table written.
        rows_deleted: rows of the slice before the write.
        rows_inserted: rows of the slice after it.
        added_columns: columns added because the frame had fields the table lacked.
        snapshot_id: the DuckLake snapshot the commit created (time travel: `AT (VERSION => id)`).
        seconds: wall time of the whole transaction, retries included (seconds).
    """

    table: str
    rows_deleted: int
    rows_inserted: int
    added_columns: tuple[str, ...]
    snapshot_id: int
    seconds: float


class _OpenLake:
    """One process's connection to one lake, its write lock, and whether its tables are known to exist."""

    def __init__(self, settings: LakeSettings, read_only: bool):
        self.con = lake.attach(settings, read_only=read_only)
        self.write_lock = threading.Lock()
        self.slice_locks = PostgresSliceLocks(settings) if settings.kind == "postgres" and not read_only else None
        self.ready = read_only
        self.pid = os.getpid()


_open: dict[tuple[LakeSettings, bool], _OpenLake] = {}
_open_lock = threading.Lock()


def close_all() -> None:
    """Close every lake connection of this process (tests; a process that ends needs not)."""
    with _open_lock:
        for entry in _open.values():
            if entry.pid == os.getpid():
                entry.con.close()
                if entry.slice_locks is not None:
                    entry.slice_locks.close()
        _open.clear()


class Warehouse:
    """The pipeline's DuckLake.

    Args:
        settings: which lake (`LakeSettings.embedded(folder)`, `LakeSettings.postgres(...)`, or
            `settings.Settings.lake()`, which reads the `AFAS_WAREHOUSE*` variables).
        read_only: attach read-only (analysts' tools); writes then raise.
        logger: where retries of busy transactions are logged (default: the `warehouse` logger).
    """

    def __init__(self, settings: LakeSettings, *, read_only: bool = False, logger: logging.Logger | None = None):
        self.settings = settings
        self.read_only = read_only
        self.logger = logger

    def _lake(self) -> _OpenLake:
        key = (self.settings, self.read_only)
        with _open_lock:
            entry = _open.get(key)
            if entry is None or entry.pid != os.getpid():  # a forked child must not share its parent's
                entry = _open[key] = _OpenLake(self.settings, self.read_only)
        if not entry.ready:
            with entry.write_lock:
                if not entry.ready:
                    with self._cursor(entry) as con:
                        self._ensure_tables(con)
                    entry.ready = True
        return entry

    @contextlib.contextmanager
    def _cursor(self, entry: _OpenLake | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection of this thread's own on the process's lake, with the lake selected."""
        entry = entry or self._lake()
        con = entry.con.cursor()
        try:
            con.execute(f"USE {lake.ALIAS}")
            yield con
        finally:
            con.close()

    # --- writing ---------------------------------------------------------------------------------

    def _ensure_tables(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        def work(c: duckdb.DuckDBPyConnection) -> list[str]:
            created = tables.create_missing_tables(c)
            if created:
                c.execute(f"CALL {lake.ALIAS}.set_option('data_inlining_row_limit', {self.settings.inline_row_limit})")
            if created or self._views_version(c) != views.VERSION:
                c.execute(f"CALL {lake.ALIAS}.set_commit_message({literal(AUTHOR)}, "
                          f"{literal(_VIEWS_MESSAGE + views.VERSION)})")
                views.create_views(c)
            return created

        return lake.run_transaction(con, work, what="creating the warehouse tables",
                                    timeout_s=self.settings.busy_timeout_s, logger=self.logger)

    @staticmethod
    def _views_version(con: duckdb.DuckDBPyConnection) -> str | None:
        row = con.execute(
            f"SELECT commit_message FROM {lake.ALIAS}.snapshots() WHERE starts_with(commit_message, ?) "
            "ORDER BY snapshot_id DESC LIMIT 1",
            [_VIEWS_MESSAGE],
        ).fetchone()
        have = {v.name for v in views.VIEWS} <= set(
            r[0] for r in con.execute(
                "SELECT view_name FROM duckdb_views() WHERE database_name = current_database()").fetchall()
        )
        return row[0].removeprefix(_VIEWS_MESSAGE) if row and have else None

    def ensure_all_tables(self) -> list[str]:
        """Create every table that is missing (and the views); safe to call any number of times.

        Returns:
            The tables this call created (sorted).
        """
        entry = self._lake()
        with entry.write_lock, self._cursor(entry) as con:
            return self._ensure_tables(con)

    def replace_slice(
        self,
        connector: Connector | str,
        slice: Mapping[str, object],
        frame: pl.DataFrame,
        *,
        loaded_at: dt.datetime | None = None,
        run_id: str | None = None,
    ) -> WriteResult:
        """Replace one slice of a connector's table with `frame`, in one transaction.

        Args:
            connector: the catalog connector (or its GetConnector id).
            slice: slice column → value; exactly the connector's slice columns (see `warehouse.slices`),
                e.g. `{"environment": "o12345", "administration_id": 1, "fiscal_year": 2025, "period": 3}`.
            frame: rows with warehouse column names, in any order. Catalog columns it lacks are
                stored as NULL; columns the table lacks (new AFAS fields, snake_case) are added.
                Load columns are filled here: `environment` and `snapshot_date` from the slice,
                `loaded_at` from the argument.
            loaded_at: the load's time (timezone-aware); default now.
            run_id: the Dagster run, named in the commit message and in slice_load_history.

        Returns:
            What was written.

        Raises:
            ValueError: a wrong slice, rows outside the slice, a `loaded_at` column in the frame, or
                a column name that is not snake_case; nothing is written.
            WarehouseBusyError: the lake stayed busy past the settings' bound; nothing is written.
            duckdb.Error: the write failed (e.g. a value that does not fit its column); the
                transaction was rolled back, so the slice's earlier rows are intact.
        """
        (result,) = self.replace_slices([SliceWrite(connector, slice, frame)], loaded_at=loaded_at, run_id=run_id)
        return result

    def replace_slices(
        self,
        writes: Sequence[SliceWrite],
        *,
        loaded_at: dt.datetime | None = None,
        run_id: str | None = None,
        appends: Mapping[str, pl.DataFrame] | None = None,
    ) -> list[WriteResult]:
        """Replace several slices (of one or more tables) in ONE transaction: all of them or none.

        Every slice is checked first (see `replace_slice`); a bad one writes nothing at all.
        `appends` (bookkeeping table → rows, see `append`) are inserted in the same transaction.

        Returns:
            One result per write, in order; all share the commit's snapshot id.
        """
        if self.read_only:
            raise ValueError("this Warehouse was opened read-only")
        if not writes:
            return []
        started = time.perf_counter()
        loaded_at = loaded_at or dt.datetime.now(dt.timezone.utc)
        if loaded_at.tzinfo is None:
            raise ValueError("loaded_at must be timezone-aware")
        checked = [self._check(write) for write in writes]
        unknown = [t for t in appends or {} if t not in tables.BOOKKEEPING_TABLES]
        if unknown:
            raise ValueError(f"{unknown} are not bookkeeping tables")
        what = _describe(checked)
        message = json.dumps({
            "dagster_run_id": run_id,
            "slices": [{"table": conn.table, **{k: _json(v) for k, v in slice_.items()}, "rows": frame.height}
                       for conn, slice_, frame in checked],
        })

        def work(con: duckdb.DuckDBPyConnection) -> list[tuple[int, int, list[str]]]:
            con.execute(f"CALL {lake.ALIAS}.set_commit_message(?, ?, extra_info => ?)", [AUTHOR, what, message])
            written_at = dt.datetime.now(dt.timezone.utc)
            done = [self._write_one(con, conn, slice_, frame, loaded_at, written_at, run_id)
                    for conn, slice_, frame in checked]
            for table, rows in (appends or {}).items():
                self._append_one(con, table, rows)
            return done

        entry = self._lake()
        names = [f"{conn.table} {json.dumps(slice_, default=str, sort_keys=True)}" for conn, slice_, _ in checked]
        guard = (lambda: entry.slice_locks.hold(names)) if entry.slice_locks else contextlib.nullcontext
        with entry.write_lock, self._cursor(entry) as con:
            outcome = lake.run_transaction(con, work, what=what, timeout_s=self.settings.busy_timeout_s,
                                           logger=self.logger, guard=guard)
            (snapshot_id,) = con.execute(f"SELECT id FROM ducklake_last_committed_snapshot('{lake.ALIAS}')").fetchone()
        seconds = time.perf_counter() - started
        return [
            WriteResult(conn.table, deleted, inserted, tuple(added), int(snapshot_id), seconds)
            for (conn, _, _), (deleted, inserted, added) in zip(checked, outcome)
        ]

    def append(self, table: str, frame: pl.DataFrame, *, what: str, run_id: str | None = None) -> int:
        """Append rows to one of the bookkeeping tables (`tables.BOOKKEEPING_TABLES`), in one transaction.

        Appends never conflict with each other, so concurrent runs recording their results never retry.

        Returns:
            The lake snapshot the commit created.
        """
        if self.read_only:
            raise ValueError("this Warehouse was opened read-only")
        if table not in tables.BOOKKEEPING_TABLES:
            raise ValueError(f"{table!r} is not a bookkeeping table; slices are written with replace_slices")
        message = json.dumps({"dagster_run_id": run_id, "table": table, "rows": frame.height})

        def work(con: duckdb.DuckDBPyConnection) -> None:
            con.execute(f"CALL {lake.ALIAS}.set_commit_message(?, ?, extra_info => ?)", [AUTHOR, what, message])
            self._append_one(con, table, frame)

        entry = self._lake()
        with entry.write_lock, self._cursor(entry) as con:
            lake.run_transaction(con, work, what=what, timeout_s=self.settings.busy_timeout_s, logger=self.logger)
            (snapshot_id,) = con.execute(f"SELECT id FROM ducklake_last_committed_snapshot('{lake.ALIAS}')").fetchone()
        return int(snapshot_id)

    @staticmethod
    def _append_one(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
        with _scannable(con, frame) as source:
            con.execute(f"INSERT INTO {ident(table)} BY NAME SELECT * FROM {source}")

    @staticmethod
    def _check(write: SliceWrite) -> tuple[Connector, dict[str, object], pl.DataFrame | StagedRows]:
        conn = catalog.resolve(write.connector)
        slice_ = validate_slice(conn, write.slice)
        if LOADED_AT in write.frame.columns:
            raise ValueError(f"frame for {conn.table} has a {LOADED_AT!r} column; the warehouse sets it")
        for column in write.frame.columns:
            check_column_name(column)
        if isinstance(write.frame, StagedRows):
            # Its windows were checked against its own slice as they were staged.
            if write.frame.connector.table != conn.table or validate_slice(conn, write.frame.slice) != slice_:
                raise ValueError(f"rows staged for {write.frame.connector.table} {write.frame.slice} cannot replace "
                                 f"{conn.table} {slice_}; nothing was written")
        else:
            check_frame_in_slice(conn, slice_, write.frame)
        return conn, slice_, write.frame

    @staticmethod
    def _write_one(
        con: duckdb.DuckDBPyConnection,
        conn: Connector,
        slice_: dict[str, object],
        frame: pl.DataFrame | StagedRows,
        loaded_at: dt.datetime,
        written_at: dt.datetime,
        run_id: str | None,
    ) -> tuple[int, int, list[str]]:
        # Slice and load columns come from the arguments, never from the frame: then a frame that
        # lacks administration_id cannot insert rows the slice's DELETE would not find again.
        from_frame = [c for c in frame.columns if c not in slice_ and c not in load_columns(conn)]
        table = ident(conn.table)
        with _scannable(con, frame) as source:
            described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
            frame_types = {row[0]: row[1] for row in described if row[0] in from_frame}
            added = tables.add_new_columns(con, conn.table, frame_types, loaded_at.date())
            where, params = where_clause(slice_)
            (deleted,) = con.execute(f"DELETE FROM {table} WHERE {where}", params).fetchone()
            types = tables.table_column_types(con, conn.table)
            select = [ident(c) for c in from_frame]
            select += [f"CAST(? AS {types[c]}) AS {ident(c)}" for c in slice_]
            select.append(f"CAST(? AS TIMESTAMPTZ) AS {ident(LOADED_AT)}")
            (inserted,) = con.execute(
                f"INSERT INTO {table} BY NAME SELECT {', '.join(select)} FROM {source}",
                [*slice_.values(), loaded_at],
            ).fetchone()
        keys = [slice_.get(k) for k in tables.SLICE_LOAD_KEYS]
        columns = ["table_name", *tables.SLICE_LOAD_KEYS, "row_count", LOADED_AT, "written_at", "dagster_run_id"]
        con.execute(
            f"INSERT INTO {tables.SLICE_LOAD_HISTORY} ({', '.join(map(ident, columns))}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [conn.table, *keys, inserted, loaded_at, written_at, run_id],
        )
        return int(deleted), int(inserted), added

    # --- reading ---------------------------------------------------------------------------------

    def query(
        self,
        sql: str,
        params: Sequence[object] | Mapping[str, object] | None = None,
        *,
        as_of: dt.datetime | None = None,
    ) -> pl.DataFrame:
        """Run a query on the lake and return its rows (statements without rows give an empty frame).

        `params` are positional (`?`) or named (`$name`). With `as_of` (timezone-aware), the query
        sees the lake as it was at that instant: every table and view, e.g. the trial balance as it
        was reported at a period close (snapshots are kept for `retention_months`).
        """
        if as_of is not None:
            return self._query_as_of(sql, params, as_of)
        with self._cursor() as con:
            relation = con.sql(sql, params=params)
            return pl.DataFrame() if relation is None else relation.pl()

    def _query_as_of(self, sql: str, params, as_of: dt.datetime) -> pl.DataFrame:
        if as_of.tzinfo is None:
            raise ValueError("as_of must be timezone-aware")
        con = lake.attach(self.settings, snapshot_time=as_of.isoformat())
        try:
            relation = con.sql(sql, params=params)
            return pl.DataFrame() if relation is None else relation.pl()
        finally:
            con.close()

    def tables(self) -> list[str]:
        """Names of the lake's tables (not views), sorted."""
        frame = self.query(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' ORDER BY 1"
        )
        return frame["table_name"].to_list() if frame.height else []

    def slice_counts(self, connector: Connector | str) -> pl.DataFrame:
        """Rows per slice of a connector's table: the slice columns and `rows`, sorted by slice."""
        conn = catalog.resolve(connector)
        columns = ", ".join(ident(c) for c in slice_columns(conn))
        return self.query(f"SELECT {columns}, count(*) AS rows FROM {ident(conn.table)} GROUP BY ALL ORDER BY ALL")

    def snapshots(self) -> pl.DataFrame:
        """The lake's snapshots: id, time, changes, author, commit message, extra info (JSON), oldest first."""
        return self.query(f"SELECT * FROM {lake.ALIAS}.snapshots() ORDER BY snapshot_id")


@contextlib.contextmanager
def _scannable(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame | StagedRows) -> Iterator[str]:
    """What to select `rows` FROM on `con` while the block runs: a frame registered as it is, staged
    rows their Parquet files (scanned as the insert goes, never loaded whole; a table function, not a
    view, since a transaction writing the lake may write no other database, not even `temp`)."""
    if isinstance(rows, StagedRows):
        yield f"read_parquet([{', '.join(literal(f) for f in rows.files)}])"
        return
    con.register(_FRAME, rows)
    try:
        yield _FRAME
    finally:
        con.unregister(_FRAME)


def _json(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _describe(checked: Sequence[tuple[Connector, dict[str, object], pl.DataFrame]]) -> str:
    """`replace transactions, period_values of o12345 administration 1 2025-03`, for commit messages."""
    names = ", ".join(dict.fromkeys(conn.table for conn, _, _ in checked))
    slices = list(dict.fromkeys(_slice_words(s) for _, s, _ in checked))
    return f"replace {names} of {'; '.join(slices)}"


def _slice_words(slice_: Mapping[str, object]) -> str:
    words = [str(slice_["environment"])]
    if "administration_id" in slice_:
        words.append(f"administration {slice_['administration_id']}")
    if "fiscal_year" in slice_:
        words.append(f"{slice_['fiscal_year']}-{int(slice_['period']):02d}")
    if "snapshot_date" in slice_:
        words.append(f"snapshot {_json(slice_['snapshot_date'])}")
    return " ".join(words)
