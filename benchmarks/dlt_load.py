"""Runs inside dlt's own virtual environment (benchmarks/.venv-dlt): imports only dlt and the stdlib.

    .venv-dlt/bin/python benchmarks/dlt_load.py '{"base_url": …, "authorization": …, "format": "parquet", …}'

Loads one slice of transactions the way a dlt user would: the `rest_api` source, offset paging on
AFAS's skip/take, ordered on the key, into DuckDB. Prints one JSON line with the timings.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time


def main() -> int:
    args = json.loads(sys.argv[1])
    import dlt
    from dlt.sources.rest_api import rest_api_source

    source = rest_api_source({
        "client": {"base_url": args["base_url"] + "/", "headers": {"Authorization": args["authorization"]}},
        "resources": [{
            "name": "transactions",
            "endpoint": {
                "path": f"connectors/{args['connector']}",
                "params": args["params"],
                "data_selector": "rows",
                "paginator": {
                    "type": "offset",
                    "limit": args["take"],
                    "offset_param": "skip",
                    "limit_param": "take",
                    "total_path": None,
                    "stop_after_empty_page": True,
                },
            },
        }],
    })
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = dlt.pipeline(
            pipeline_name="afas_peer",
            pipelines_dir=tmp,
            destination=dlt.destinations.duckdb(f"{tmp}/dlt.duckdb"),
            dataset_name="afas",
            progress="log" if args.get("verbose") else None,
        )
        started = time.perf_counter()
        if args["format"] == "default":
            info = pipeline.run(source)
        else:
            info = pipeline.run(source, loader_file_format=args["format"])
        seconds = time.perf_counter() - started
        info.raise_on_failed_jobs()
        with pipeline.sql_client() as sql:
            rows = sql.execute_sql("SELECT count(*) FROM transactions")[0][0]
            types = dict(sql.execute_sql(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'transactions' AND column_name IN ('amt_debit', 'entry_date', 'modified')"
            ))
    print(json.dumps({"seconds": seconds, "rows": rows, "types": types, "dlt": dlt.__version__}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
