"""What landed: tables and views with row counts, how analysts attach the lake, and a trial balance."""

from __future__ import annotations

import sys

from warehouse import LakeSettings, Warehouse
from warehouse.access import attach_statement

TRIAL_BALANCE_SQL = """SELECT account_no, account_description, debit, credit, balance
FROM trial_balance
WHERE environment = 'o12345' AND administration_id = 1 AND fiscal_year = 2025 AND period = 12
ORDER BY account_no"""


def attach_instructions(settings: LakeSettings, cli: str = ".venv/bin/afas-pipeline") -> str:
    """How to open the lake from the project's command, DuckDB's CLI, Python and DBeaver."""
    attach = attach_statement(settings)
    kind = {"sqlite": "sqlite", "postgres": "postgres"}[settings.kind]
    return f"""How analysts open it (read-only; it never blocks a load, and sees whole loads only):

  {cli} sql "SELECT count(*) FROM transactions"       # a query, printed as a table
  {cli} sql --out tb.xlsx "SELECT * FROM trial_balance"  # also .csv / .parquet
  {cli} sql                                            # DuckDB's own shell on the lake

  Any DuckDB 1.5 client (CLI, Python, DBeaver/JDBC, Node), with internet for the first INSTALL:
    INSTALL ducklake; INSTALL {kind};
    {attach};
    USE afas;
  Python:  import duckdb; con = duckdb.connect(); con.execute({attach!r}); con.sql("FROM afas.trial_balance LIMIT 5").show()
  DBeaver: a DuckDB connection to :memory:, then run the INSTALL and ATTACH statements above.
  The books as they were at a moment (time travel):
    {cli} sql --as-of "2026-01-31 18:00" "SELECT * FROM trial_balance WHERE period = 12"
"""


def print_landing_report(settings: LakeSettings, cli: str = ".venv/bin/afas-pipeline") -> None:
    wh = Warehouse(settings, read_only=True)
    names = wh.query(
        "SELECT table_name AS name, 'table' AS kind FROM duckdb_tables() WHERE database_name = current_database() "
        "UNION ALL SELECT view_name, 'view' FROM duckdb_views() WHERE database_name = current_database() "
        "AND NOT internal ORDER BY 2, 1"
    )
    print(f"\nThe warehouse: {settings.describe()}\n")
    for name, kind in names.iter_rows():
        (count,) = wh.query(f'SELECT count(*) AS n FROM "{name}"').row(0)
        print(f"  {name:32} {kind:6} {count:>10,} rows")
    print()
    print(attach_instructions(settings, cli))
    print(f"Trial balance, administration 1 of o12345, December 2025:\n\n{TRIAL_BALANCE_SQL}\n")
    from pipelines.sql_command import print_frame

    print_frame(wh.query(TRIAL_BALANCE_SQL + " LIMIT 12"), sys.stdout)
    print("See the assets, partitions and these runs in Dagster: make ui")
