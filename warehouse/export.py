"""Query results to files: CSV, Parquet, or an Excel workbook (controllers live in Excel).

DuckDB writes all three itself (`COPY … TO`), Excel through its `excel` extension, loaded from the
wheel like every other extension (`warehouse.extensions`).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from warehouse import extensions
from warehouse.sql import literal

#: File suffix → COPY options.
FORMATS: dict[str, str] = {
    ".csv": "FORMAT csv, HEADER true",
    ".parquet": "FORMAT parquet, COMPRESSION zstd",
    ".xlsx": "FORMAT xlsx, HEADER true",
}


def export_query(con: duckdb.DuckDBPyConnection, sql: str, target: Path) -> int:
    """Write the rows of `sql` to `target`, in the format its suffix names; returns the row count.

    Raises:
        ValueError: the suffix is none of .csv, .parquet, .xlsx.
    """
    options = FORMATS.get(target.suffix.lower())
    if options is None:
        # Only the suffix is named: the file name is whatever was typed after --out.
        kind = f"'{target.suffix}' files" if re.fullmatch(r"\.[A-Za-z0-9]{1,10}", target.suffix) else "that file"
        raise ValueError(f"cannot write {kind}: use a file ending in {', '.join(FORMATS)}")
    if target.suffix.lower() == ".xlsx":
        for statement in extensions.load_statements(("excel",)):
            con.execute(statement)
    target.parent.mkdir(parents=True, exist_ok=True)
    query = sql.strip().rstrip(";")
    (count,) = con.execute(f"SELECT count(*) FROM ({query})").fetchone()
    con.execute(f"COPY ({query}) TO {literal(str(target))} ({options})")
    return int(count)
