"""1. Ceiling: 1,000,000 transaction rows with no simulated latency.

Three sides, same simulator, same pages:
- the pipeline: `load_slice` — ordered paging, 5 calls in flight, Polars frames with exact Decimal,
  Pandera validation, one DuckDB transaction and the Parquet file analysts read;
- raw httpx: the very page URLs the pipeline requested (taken from the simulator's request log),
  5 in flight, keeping the bytes and nothing else — the fastest any client can read these pages;
- DuckDB `read_json` of those bytes from local files into a table (no network, no validation,
  amounts as DuckDB infers them). It loads a few rows more than a million: each new window of pages
  starts at the last entry number of the window before (`EntryNo >= n`), and the pipeline drops that
  entry's rows from the earlier window, where a plain reader keeps them twice.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from benchmarks.common import (
    TRANSACTIONS_CONNECTOR,
    auth_header,
    connection,
    connector_requests,
    median_time,
    temp_warehouse,
)
from benchmarks.simulator_process import SimulatorProcess

ROWS = 1_000_000
SLICE = (1, 2025, 6)
IN_FLIGHT = 5


def simulator(rows: int = ROWS) -> SimulatorProcess:
    unit, year, period = SLICE
    return SimulatorProcess("--administrations", "1", "--lines-per-period", "10", "--big-slice", f"{unit}:{year}:{period}:{rows}")


def load_with_pipeline(env, warehouse):
    import catalog
    from afas.client import AfasClient
    from assets.loading import load_slice
    from catalog.slices import Slice

    unit, year, period = SLICE
    conn = connection(env)
    with AfasClient(conn) as client:
        return load_slice(client, warehouse, catalog.TRANSACTIONS, Slice(conn.name, unit, year, period))


def download_raw(root: str, header: str, pages: list[dict]) -> list[bytes]:
    with httpx.Client(headers={"Authorization": header}, timeout=600) as http:
        def get(page: dict) -> bytes:
            reply = http.get(f"{root}{page['path']}?{page['query']}")
            reply.raise_for_status()
            return reply.content

        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            return list(pool.map(get, pages))


def duckdb_reader(bodies: list[bytes], folder: Path) -> Callable[[], int]:
    """Writes the pages to local files; the returned function loads them with DuckDB (rows loaded)."""
    import duckdb

    files = []
    for i, body in enumerate(bodies):
        path = folder / f"page-{i:04d}.json"
        path.write_bytes(body)
        files.append(str(path))

    def load() -> int:
        with duckdb.connect(str(folder / "read_json.duckdb")) as con:
            con.execute("SET enable_progress_bar = false")
            con.execute("DROP TABLE IF EXISTS transactions")
            con.execute(
                "CREATE TABLE transactions AS SELECT unnest(rows, recursive := true) FROM read_json(?, format='auto')",
                [files],
            )
            return con.execute("SELECT count(*) FROM transactions").fetchall()[0][0]

    return load


def run(repeats: int = 3) -> dict:
    with simulator() as sim, tempfile.TemporaryDirectory() as tmp:
        env = sim.environment()
        folder = Path(tmp)
        # Warm-up: the simulator builds its million-row slice and caches the ordered rows once.
        load_with_pipeline(env, temp_warehouse(folder / "warm"))
        sim.reset_stats()
        lakes = iter([temp_warehouse(folder / f"p{i}") for i in range(repeats)])  # each run a fresh, empty lake
        pipeline_s, pipeline_times, load = median_time(lambda: load_with_pipeline(env, next(lakes)), repeats)
        pages = connector_requests(sim.requests(env.member), TRANSACTIONS_CONNECTOR)[-load.afas_requests:]
        root = env.base_url.split(f"/{env.member}/", 1)[0]
        raw_s, raw_times, bodies = median_time(lambda: download_raw(root, auth_header(env), pages), repeats)
        duck_folder = folder / "duck"
        duck_folder.mkdir()
        duck_load = duckdb_reader(bodies, duck_folder)
        duck_s, duck_times, duck_rows = median_time(duck_load, repeats)
        megabytes = sum(len(b) for b in bodies) / 1e6
    rows = load.rows
    return {
        "rows": rows,
        "pages": len(pages),
        "megabytes": round(megabytes, 1),
        "pipeline": {
            "seconds": round(pipeline_s, 2), "runs": [round(t, 2) for t in pipeline_times],
            "rows_per_s": round(rows / pipeline_s), "fetch_s": round(load.fetch_seconds, 2),
            "validate_s": round(load.validate_seconds, 2), "write_s": round(load.write_seconds, 2),
        },
        "raw_httpx": {"seconds": round(raw_s, 2), "runs": [round(t, 2) for t in raw_times], "rows_per_s": round(rows / raw_s)},
        "duckdb_read_json": {
            "seconds": round(duck_s, 2), "runs": [round(t, 2) for t in duck_times],
            "rows_per_s": round(duck_rows / duck_s), "rows": duck_rows,
        },
        "pipeline_vs_raw": round(raw_s / pipeline_s, 3),
        "target_pipeline_vs_raw": 0.60,
    }
