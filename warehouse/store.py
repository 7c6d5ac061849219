"""`Warehouse`: the pipeline's DuckDB file, written one slice per transaction, and its published copy.

Every use of the file is short: take the lock file (`<path>.lock`, so writers in other processes and
threads take turns), open DuckDB, run one transaction per slice, publish what it changed, close,
release. Slices that threads of this process want written at the same moment share one opening
(`group_commit`), each still in its own transaction. In between, the file is closed, so another
process can have its turn. Nothing slow (fetching from AFAS, validating) ever happens with the file
open.

Example:
    >>> wh = Warehouse(Path("data/warehouse.duckdb"), publish_dir=Path("data/published"))
    >>> wh.replace_slice(TRANSACTIONS, {"environment": "o12345", "administration_id": 1,
    ...                                 "fiscal_year": 2025, "period": 3}, frame)
    WriteResult(table='transactions', rows_deleted=0, rows_inserted=1234, added_columns=(), seconds=0.08)
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from afas import catalog
from afas.catalog import Connector
from warehouse import analyst, group_commit, locks, publish, tables, views
from warehouse.connection import ArrowStream, fetch_frame, open_duckdb
from warehouse.slices import LOADED_AT, check_frame_in_slice, load_columns, slice_columns, validate_slice, where_clause
from warehouse.sql import check_column_name, ident

_FRAME = "__warehouse_frame"  # the registered frame's name; cannot clash with a snake_case table


@dataclass(frozen=True)
class WriteResult:
    """What one `replace_slice` did.

    Attributes:
        table: the warehouse table written.
        rows_deleted: rows of the slice before the write.
        rows_inserted: rows of the slice after it.
        added_columns: columns added because the frame had fields the table lacked.
        seconds: wall time of the call, waiting for the lock included (seconds).
    """

    table: str
    rows_deleted: int
    rows_inserted: int
    added_columns: tuple[str, ...]
    seconds: float


def _resolve(connector: Connector | str) -> Connector:
    return connector if isinstance(connector, Connector) else catalog.connector(connector)


class Warehouse:
    """The pipeline's DuckDB file and, when `publish_dir` is set, the analysts' copy of it.

    Args:
        path: the pipeline's DuckDB file. Only the pipeline may open it (see `WarehouseBusyError`).
        publish_dir: where slices are published as Parquet; None publishes nothing.
        analyst_path: the analysts' DuckDB file; default `analyst.duckdb` beside `publish_dir`.
        busy_timeout_s: how long to retry while another program holds `path` (seconds).
    """

    def __init__(
        self,
        path: Path,
        publish_dir: Path | None = None,
        *,
        analyst_path: Path | None = None,
        busy_timeout_s: float = 120.0,
    ):
        self.path = Path(path)
        self.publish_dir = Path(publish_dir) if publish_dir is not None else None
        if analyst_path is None and self.publish_dir is not None:
            analyst_path = self.publish_dir.parent / "analyst.duckdb"
        self.analyst_path = Path(analyst_path) if analyst_path is not None else None
        self.busy_timeout_s = busy_timeout_s

    @contextlib.contextmanager
    def _open(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """The file, opened under the lock; closed and unlocked when the block ends."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with locks.exclusive(self.path), open_duckdb(
            self.path, read_only=read_only, busy_timeout_s=self.busy_timeout_s, analyst_path=self.analyst_path
        ) as con:
            yield con

    # --- writing ---------------------------------------------------------------------------------

    def ensure_all_tables(self) -> list[str]:
        """Create every catalog table (and slice_loads) that is missing, and the analyst views.

        Also publishes the schema files and builds the analysts' database, so their views work
        before the first load. Safe to call any number of times.

        Returns:
            The tables created by this call (sorted).
        """
        with self._open() as con:
            con.begin()
            try:
                created = tables.create_missing_tables(con)
                views.create_views(con)  # replaced every time, so changed view SQL reaches old files
                con.commit()
            except BaseException:
                con.rollback()
                raise
            self._publish_schemas(con, changed=created)
        self.refresh_analyst_db()
        return created

    def replace_slice(
        self,
        connector: Connector | str,
        slice: Mapping[str, object],
        frame: pl.DataFrame,
        *,
        loaded_at: dt.datetime | None = None,
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

        Returns:
            What was written.

        Raises:
            ValueError: a wrong slice, rows outside the slice, a `loaded_at` column in the frame, or
                a column name that is not snake_case; nothing is written.
            WarehouseBusyError: another program kept the file open for `busy_timeout_s`.
            duckdb.Error: the write failed (e.g. a value that does not fit its column); the
                transaction was rolled back, so the slice's earlier rows are intact.
        """
        started = time.perf_counter()
        conn = _resolve(connector)
        slice_ = validate_slice(conn, slice)
        if LOADED_AT in frame.columns:
            raise ValueError(f"frame for {conn.table} has a {LOADED_AT!r} column; the warehouse sets it")
        for column in frame.columns:
            check_column_name(column)
        check_frame_in_slice(conn, slice_, frame)
        loaded_at = loaded_at or dt.datetime.now(dt.timezone.utc)
        if loaded_at.tzinfo is None:
            raise ValueError("loaded_at must be timezone-aware")
        # Slice and load columns come from the arguments, never from the frame: then a frame that
        # lacks administration_id cannot insert rows the slice's DELETE would not find again.
        from_frame = [c for c in frame.columns if c not in slice_ and c not in load_columns(conn)]
        table = ident(conn.table)

        def write(con: duckdb.DuckDBPyConnection) -> tuple[int, int, list[str]]:
            con.register(_FRAME, ArrowStream(frame))
            try:
                described = con.execute(f"DESCRIBE SELECT * FROM {_FRAME}").fetchall()
                frame_types = {row[0]: row[1] for row in described if row[0] in from_frame}
                con.begin()
                try:
                    created = tables.create_missing_tables(con)
                    if created:
                        views.create_views(con)
                    added = tables.add_new_columns(con, conn.table, frame_types, loaded_at.date())
                    where, params = where_clause(slice_)
                    (deleted,) = con.execute(f"DELETE FROM {table} WHERE {where}", params).fetchone()
                    types = tables.table_column_types(con, conn.table)
                    select = [ident(c) for c in from_frame]
                    select += [f"CAST(? AS {types[c]}) AS {ident(c)}" for c in slice_]
                    select.append(f"CAST(? AS TIMESTAMPTZ) AS {ident(LOADED_AT)}")
                    (inserted,) = con.execute(
                        f"INSERT INTO {table} BY NAME SELECT {', '.join(select)} FROM {_FRAME}",
                        [*slice_.values(), loaded_at],
                    ).fetchone()
                    self._record_load(con, conn.table, slice_, inserted, loaded_at)
                    con.commit()
                except BaseException:
                    con.rollback()
                    raise
            finally:
                con.unregister(_FRAME)
            if self.publish_dir is not None:
                publish.publish_slice(con, self.publish_dir, conn.table, slice_, inserted)
                publish.publish_whole_table(con, self.publish_dir, tables.SLICE_LOADS)
                self._publish_schemas(con, changed=[*created, *([conn.table] if added else [])])
            return deleted, inserted, added

        deleted, inserted, added = group_commit.write(self.path, self._open, write)
        self.refresh_analyst_db()
        return WriteResult(conn.table, deleted, inserted, tuple(added), time.perf_counter() - started)

    @staticmethod
    def _record_load(
        con: duckdb.DuckDBPyConnection, table: str, slice_: Mapping[str, object], rows: int, loaded_at: dt.datetime
    ) -> None:
        keys = [slice_.get(k) for k in tables.SLICE_LOAD_KEYS]
        match = " AND ".join(f"{ident(k)} IS NOT DISTINCT FROM ?" for k in tables.SLICE_LOAD_KEYS)
        con.execute(f"DELETE FROM {tables.SLICE_LOADS} WHERE table_name = ? AND {match}", [table, *keys])
        columns = ["table_name", *tables.SLICE_LOAD_KEYS, "row_count", LOADED_AT]
        con.execute(
            f"INSERT INTO {tables.SLICE_LOADS} ({', '.join(map(ident, columns))}) "
            f"VALUES ({', '.join('?' for _ in columns)})",
            [table, *keys, rows, loaded_at],
        )

    # --- publishing ------------------------------------------------------------------------------

    def _publish_schemas(self, con: duckdb.DuckDBPyConnection, changed: Sequence[str]) -> None:
        """Publish schema files of tables whose columns changed, and of any table still lacking them."""
        if self.publish_dir is None:
            return
        for table in sorted(tables.existing_tables(con)):
            if table in changed or not publish.schema_published(self.publish_dir, table):
                publish.publish_schema(con, self.publish_dir, table)

    def refresh_analyst_db(self, *, force: bool = False) -> bool:
        """Rebuild the analysts' database if its definition changed; returns whether it was rebuilt."""
        if self.publish_dir is None or self.analyst_path is None:
            return False
        return analyst.refresh(self.publish_dir, self.analyst_path, force=force)

    def publish_all(self) -> int:
        """Republish every table from the pipeline's file and rebuild the analysts' database.

        For the first run with publishing, and for recovery (a deleted or damaged publish folder).
        Holds the lock for the whole republish, so loads wait meanwhile.

        Returns:
            The number of slice files written.
        """
        if self.publish_dir is None:
            raise ValueError("this Warehouse has no publish_dir")
        written = 0
        with self._open() as con:
            con.begin()
            tables.create_missing_tables(con)
            views.create_views(con)
            con.commit()
            for conn in catalog.CONNECTORS:
                written += publish.republish_table(con, self.publish_dir, conn.table, slice_columns(conn))
            publish.publish_schema(con, self.publish_dir, tables.SLICE_LOADS)
            publish.publish_whole_table(con, self.publish_dir, tables.SLICE_LOADS)
        self.refresh_analyst_db(force=True)
        return written

    # --- reading ---------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[object] | Mapping[str, object] | None = None) -> pl.DataFrame:
        """Run a query on the pipeline's file (read-only, under the lock) and return its rows.

        `params` are positional (`?`) or named (`$name`).

        For the pipeline itself and tests; analysts use the analysts' database instead.
        """
        if not self.path.exists():
            self.ensure_all_tables()
        with self._open(read_only=True) as con:
            return fetch_frame(con, sql, params)

    def tables(self) -> list[str]:
        """Names of the tables in the pipeline's file (not views), sorted."""
        frame = self.query(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT temporary ORDER BY 1"
        )
        return frame["table_name"].to_list() if frame.height else []

    def slice_counts(self, connector: Connector | str) -> pl.DataFrame:
        """Rows per slice of a connector's table: the slice columns and `rows`, sorted by slice."""
        conn = _resolve(connector)
        columns = ", ".join(ident(c) for c in slice_columns(conn))
        return self.query(f"SELECT {columns}, count(*) AS rows FROM {ident(conn.table)} GROUP BY ALL ORDER BY ALL")
