"""A stand-in for an analyst's session: opens a DuckDB file and keeps it open, answering queries.

Run as `python reader.py <file> [--read-write]`. Prints `ready` once the file is open, then for each
SQL line on stdin prints one JSON line: `{"rows": [...]}` (values as text) or `{"error": "..."}`.
Exits at end of input, closing the file.
"""

from __future__ import annotations

import json
import sys

import duckdb


def main() -> None:
    con = duckdb.connect(sys.argv[1], read_only="--read-write" not in sys.argv)
    print("ready", flush=True)
    for line in sys.stdin:
        try:
            rows = con.execute(line).fetchall()
            print(json.dumps({"rows": [[str(v) for v in row] for row in rows]}), flush=True)
        except duckdb.Error as error:
            print(json.dumps({"error": str(error)}), flush=True)
    con.close()


if __name__ == "__main__":
    main()
