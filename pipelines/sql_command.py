"""`afas-pipeline sql`: analysts' read-only SQL on the configured lake.

    afas-pipeline sql "SELECT count(*) FROM transactions"        # printed as a table
    afas-pipeline sql --out tb.xlsx "SELECT * FROM trial_balance"  # .csv, .parquet, .xlsx
    afas-pipeline sql --as-of "2026-01-31 18:00" "SELECT …"        # the lake as it was then (Amsterdam time)
    afas-pipeline sql                                            # DuckDB's own shell on the lake

The lake is attached READ_ONLY, so nothing here can change it and no load waits for it. The shell is
DuckDB's CLI of the same release (the `duckdb-cli` wheel), started with the statements of
`warehouse.access`, so it loads the extensions from this environment and never downloads anything.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import TextIO

import duckdb
import polars as pl

from settings import Settings
from warehouse.access import offline_statements, read_only_connection
from warehouse.errors import WarehouseError
from warehouse.export import export_query
from warehouse.settings import redact, without_password
from catalog.clock import AMSTERDAM
from catalog.redaction import masked, shown

ROWS_SHOWN = 200


def add_parser(sub: argparse._SubParsersAction) -> None:
    sql = sub.add_parser("sql", help="read-only SQL on the warehouse (no query: DuckDB's shell)")
    sql.add_argument("query", nargs="?", help="one SQL statement; omit it for an interactive shell")
    sql.add_argument("--out", type=Path, help="write the result to FILE.csv, FILE.parquet or FILE.xlsx")
    sql.add_argument("--as-of", dest="as_of", help="the lake as it was at this time (ISO; Amsterdam if no offset)")


_INSTANT = r"[0-9T:+.\- ]{1,40}"  # what an ISO instant may hold; anything else is not repeated


def parse_as_of(text: str | None) -> dt.datetime | None:
    """An instant from ISO text; a time without an offset is Amsterdam local time, like AFAS's."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise SystemExit(f"error: --as-of {shown(text, _INSTANT)} is not a date or time such as 2026-01-31 or "
                         "2026-01-31T18:00") from None
    return value if value.tzinfo else value.replace(tzinfo=AMSTERDAM)


def run(args: argparse.Namespace, out: TextIO) -> int:
    settings = Settings.from_environment().lake()  # as WarehouseResource does, without Dagster
    as_of = parse_as_of(args.as_of)
    if args.query is None:
        if args.out:
            raise SystemExit("error: --out needs a query")
        return _shell(settings, as_of)
    try:
        con = read_only_connection(settings, as_of=as_of)
    except WarehouseError as exc:
        print(f"error: {exc}", file=out)
        return 2
    try:
        if args.out:
            rows = export_query(con, args.query, args.out)
            print(f"wrote {rows:,} rows to {args.out}", file=out)
            return 0
        relation = con.sql(args.query)
        if relation is None:
            print("ok", file=out)
            return 0
        print_frame(relation.limit(ROWS_SHOWN + 1).pl(), out)
        return 0
    except (duckdb.Error, ValueError) as exc:
        print(f"error: {masked(redact(str(exc)))}", file=out)  # DuckDB quotes the query, which may hold anything
        return 1
    finally:
        con.close()


def print_frame(frame: pl.DataFrame, out: TextIO, limit: int = ROWS_SHOWN) -> None:
    """The frame as a table, every column, at most `limit` rows (and a note when there are more)."""
    shown = frame.head(limit)
    with pl.Config(tbl_rows=limit, tbl_cols=-1, fmt_str_lengths=60, tbl_width_chars=250,
                   tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=False):
        print(shown, file=out)
    if frame.height > limit:
        print(f"(first {limit} rows shown; write them all with --out FILE.csv|.parquet|.xlsx)", file=out)


def shell_command(settings, as_of: dt.datetime | None = None) -> list[str]:
    """DuckDB's CLI from this environment, started on the lake (read-only)."""
    cli = Path(sys.executable).with_name("duckdb")
    if not cli.exists():
        raise SystemExit(f"error: DuckDB's CLI is not installed at {cli}; run `make setup`")
    return [str(cli), "-cmd", "; ".join(offline_statements(settings, as_of=as_of))]


def _shell(settings, as_of: dt.datetime | None) -> int:
    settings, password = without_password(settings)  # never on a command line that `ps` shows
    if password:
        os.environ["PGPASSWORD"] = password  # libpq reads it, here and in the shell
    try:
        command = shell_command(settings, as_of)
        read_only_connection(settings, as_of=as_of).close()  # a clear error now rather than in the shell
    except WarehouseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if sys.stdin.isatty():
        print(f"DuckDB shell on the lake, read-only ({settings.describe()}); .tables lists it, .quit ends.",
              file=sys.stderr)
    return subprocess.call(command, env=os.environ)
