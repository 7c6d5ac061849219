"""7. Lake writes: the time of one slice replace on DuckLake, per catalog, against a plain DuckDB file.

One `Warehouse.replace_slice` of the `transactions` connector (DELETE of the slice and INSERT of its
new rows in one DuckLake transaction, with its row in `slice_load_history` and a commit message, as
the pipeline does) for an 80-row slice (kept in the catalog: data inlining, the default
`inline_row_limit` is 100), a 1,500-row slice (a Parquet file of its own) and a 250,000-row one, on
the embedded SQLite catalog and on a PostgreSQL catalog (a fresh database on the test server). For
comparison the same DELETE + INSERT (and history row) in one transaction on a plain DuckDB file held
open, the old design. Each slice is written once untimed (its first load), then replaced N times;
the frames are built once, typed like the AFAS client's (Decimal(38,2) money, Date, Amsterdam
Datetime), so only the write is timed.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

from benchmarks.books import booking_line_columns, typed_frame

YEAR = 2025
ADMIN = 1
#: (name, rows, period, timed replaces)
CASES = (
    ("inlined_80", 80, 1, 10),
    ("small_1500", 1_500, 2, 10),
    ("large_250k", 250_000, 3, 3),
)
#: The stack notes' figures per replace (ms), for comparison only: no target.
STACK_NOTES_MS = {"sqlite": {"small_1500": 40, "large_250k": 216}, "postgres": {"small_1500": 55, "large_250k": 211}}


def transactions_frame(rows: int, period: int, admin: int = ADMIN) -> pl.DataFrame:
    """`rows` booking lines of one period, typed and ordered like `tests.warehouse.frames.frame(TRANSACTIONS, …)`."""
    from catalog import TRANSACTIONS

    return typed_frame(TRANSACTIONS, booking_line_columns(rows, admin=admin, year=YEAR, period=period,
                                                          first_entry=1 + period * 1_000_000))


def _same_as_test_frames(rows: int = 40) -> bool:
    """The polars-built frame equals the one the tests' helpers build from `transaction(...)` rows."""
    from catalog import TRANSACTIONS
    from tests.warehouse.frames import amsterdam, frame, money, transaction

    lines = []
    for j in range(rows):
        e, line = j // 2 + 1 + 1_000_000, j % 2 + 1
        cents = 100 + (e * 7919) % 1_000_000
        amount, zero = f"{cents // 100}.{cents % 100:02d}", "0.00"
        day = e % 28 + 1
        lines.append(transaction(
            ADMIN, YEAR, 1, e, line, str(8000 + e % 40) if line == 1 else "1300",
            amount if line == 1 else zero, amount if line == 2 else zero,
            entry_date=dt.date(YEAR, 1, day), voucher_date=dt.date(YEAR, 1, day), voucher_no=f"V{e}",
            vat_code="1" if e % 2 == 0 else "0", vat_amount=money(zero), description=f"entry {e}",
            created_at=amsterdam(YEAR, 1, day, 9, e % 60),
        ))
    return transactions_frame(rows, 1).equals(frame(TRANSACTIONS, lines))


class _Retries(logging.Handler):
    """Counts the warehouse's 'lake busy … retrying' warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _stats(times: list[float], rows: int) -> dict:
    median = statistics.median(times)
    return {
        "rows": rows,
        "replaces": len(times),
        "median_ms": round(median * 1000, 1),
        "min_ms": round(min(times) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "rows_per_s": round(rows / median),
    }


def _lake(settings, frames: dict[str, pl.DataFrame]) -> dict:
    from catalog import TRANSACTIONS
    from tests.warehouse.frames import period_slice
    from warehouse import Warehouse
    from warehouse.store import close_all

    logger = logging.getLogger(f"benchmarks.lake_writes.{settings.kind}")
    retries = _Retries()
    logger.addHandler(retries)
    logger.propagate = False
    wh = Warehouse(settings, logger=logger)
    wh.ensure_all_tables()  # attach and create the tables: untimed
    out: dict[str, object] = {}
    try:
        for name, rows, period, repeats in CASES:
            where = period_slice(admin=ADMIN, year=YEAR, period=period)
            df = frames[name]
            files_before = wh.query("SELECT count(*) AS n FROM ducklake_list_files('lake', 'transactions')")["n"][0]
            first = wh.replace_slice(TRANSACTIONS, where, df)  # warm-up: the slice's first load
            assert (first.rows_deleted, first.rows_inserted) == (0, rows), first
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                result = wh.replace_slice(TRANSACTIONS, where, df)
                times.append(time.perf_counter() - started)
                assert (result.rows_deleted, result.rows_inserted) == (rows, rows), result
            files_after = wh.query("SELECT count(*) AS n FROM ducklake_list_files('lake', 'transactions')")["n"][0]
            out[name] = _stats(times, rows) | {"inlined": int(files_after) == int(files_before)}
        (count,) = wh.query("SELECT count(*) AS n FROM transactions")["n"]
        assert count == sum(rows for _, rows, _, _ in CASES)
    finally:
        close_all()
    out["retries"] = retries.count
    return out


def _plain_duckdb(path: Path, frames: dict[str, pl.DataFrame]) -> dict:
    """The old design: one DuckDB file held open, DELETE + INSERT BY NAME of the registered frame in one transaction."""
    import duckdb

    from catalog import TRANSACTIONS
    from tests.warehouse.frames import period_slice
    from warehouse import tables
    from warehouse.slices import LOADED_AT, where_clause
    from warehouse.sql import ident

    con = duckdb.connect(str(path))
    for table, (comment, columns) in tables.definitions().items():
        if table in (TRANSACTIONS.table, tables.SLICE_LOAD_HISTORY):
            for statement in tables.create_statements(table, comment, columns):
                con.execute(statement)
    types = tables.table_column_types(con, TRANSACTIONS.table)
    history = ["table_name", *tables.SLICE_LOAD_KEYS, "row_count", LOADED_AT, "written_at", "dagster_run_id"]

    def replace(slice_: dict, df: pl.DataFrame) -> tuple[int, int]:
        loaded_at = dt.datetime.now(dt.timezone.utc)
        select = [ident(c) for c in df.columns if c not in slice_]
        select += [f"CAST(? AS {types[c]}) AS {ident(c)}" for c in slice_]
        select.append(f"CAST(? AS TIMESTAMPTZ) AS {ident(LOADED_AT)}")
        where, params = where_clause(slice_)
        con.register("__frame", df)
        try:
            con.execute("BEGIN")
            (deleted,) = con.execute(f"DELETE FROM {ident(TRANSACTIONS.table)} WHERE {where}", params).fetchone()
            (inserted,) = con.execute(
                f"INSERT INTO {ident(TRANSACTIONS.table)} BY NAME SELECT {', '.join(select)} FROM __frame",
                [*slice_.values(), loaded_at],
            ).fetchone()
            con.execute(
                f"INSERT INTO {tables.SLICE_LOAD_HISTORY} ({', '.join(map(ident, history))}) "
                f"VALUES ({', '.join('?' for _ in history)})",
                [TRANSACTIONS.table, *[slice_.get(k) for k in tables.SLICE_LOAD_KEYS], inserted, loaded_at,
                 dt.datetime.now(dt.timezone.utc), None],
            )
            con.execute("COMMIT")
        finally:
            con.unregister("__frame")
        return int(deleted), int(inserted)

    out: dict[str, object] = {}
    try:
        for name, rows, period, repeats in CASES:
            where = period_slice(admin=ADMIN, year=YEAR, period=period)
            df = frames[name]
            assert replace(where, df) == (0, rows)  # warm-up
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                done = replace(where, df)
                times.append(time.perf_counter() - started)
                assert done == (rows, rows)
            out[name] = _stats(times, rows)
    finally:
        con.close()
    return out


def run() -> dict:
    import psycopg

    from tests.postgres_server import fresh_database
    from warehouse import LakeSettings

    assert _same_as_test_frames(), "the benchmark's frames must equal the tests' frames"
    frames = {name: transactions_frame(rows, period) for name, rows, period, _ in CASES}
    result: dict[str, object] = {"cases": [{"name": n, "rows": r, "replaces": k} for n, r, _, k in CASES]}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        result["sqlite"] = _lake(LakeSettings.embedded(folder / "sqlite-lake"), frames)
        with fresh_database("afas_bench") as db:
            with psycopg.connect(db.conninfo) as pg:
                (server_version,) = pg.execute("SHOW server_version").fetchone()
            result["postgres"] = _lake(LakeSettings.postgres(db.conninfo, str(folder / "pg-lake-data")), frames)
        result["plain_duckdb"] = _plain_duckdb(folder / "plain.duckdb", frames)
    result["postgres_server_version"] = server_version.split()[0]
    result["stack_notes_ms"] = STACK_NOTES_MS
    for catalog in ("sqlite", "postgres"):
        for name, _, _, _ in CASES:
            result[catalog][name]["vs_plain_duckdb"] = round(
                result[catalog][name]["median_ms"] / result["plain_duckdb"][name]["median_ms"], 1)
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
