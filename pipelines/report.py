"""What landed: tables, row counts, where the analysts' file is, and a trial balance to start from."""

from __future__ import annotations

from pathlib import Path

import duckdb

TRIAL_BALANCE_SQL = """SELECT account_no, account_description, debit, credit, balance
FROM trial_balance
WHERE environment = 'o12345' AND administration_id = 1 AND fiscal_year = 2025 AND period = 12
ORDER BY account_no"""


def print_landing_report(data_dir: Path) -> None:
    analyst = (data_dir / "analyst.duckdb").resolve()
    con = duckdb.connect(str(analyst), read_only=True)
    try:
        tables = con.sql(
            "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' ORDER BY 1"
        ).fetchall()
        print(f"\nAnalysts' database: {analyst}")
        print("  (open it read-only from DuckDB, a notebook or DBeaver; it never blocks a load)\n")
        for name, _comment in tables:
            count = con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
            print(f"  {name:32} {count:>10,} rows")
        print(f"\nTrial balance, administration 1 of o12345, December 2025:\n\n{TRIAL_BALANCE_SQL}\n")
        print(con.sql(TRIAL_BALANCE_SQL + " LIMIT 12"))
    finally:
        con.close()
    print(f"The pipeline's own database is {(data_dir / 'warehouse.duckdb').resolve()} (not for analysts).")
    print("See the assets, partitions and these runs in Dagster: make ui")
