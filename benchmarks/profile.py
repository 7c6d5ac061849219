"""Where the pipeline's time goes on the hot path: one million transaction rows, no latency.

- the phases of `load_slice` (fetch = download + parse in the page threads, with each window
  validated and staged on its own thread meanwhile; validate = what was left after the last page;
  write = the lake's transaction);
- the CPU seconds of the client process and of the simulator's, during the load and during the raw
  download of the same pages: on a machine of 2 cores the two sides share them;
- the client's CPU per page: Polars reading the JSON and typing it (exact Decimal, Amsterdam times),
  measured alone over the very pages of the load;
- a cProfile of validation and the warehouse write (they run on the calling thread).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import re
import tempfile
import time
from pathlib import Path

from benchmarks import ceiling
from benchmarks.common import (
    TRANSACTIONS_CONNECTOR,
    auth_header,
    connection,
    connector_requests,
    cpu_seconds,
    temp_warehouse,
    timed,
)

TOP = 12


def run() -> dict:
    import catalog
    from afas.client import AfasClient
    from catalog.slices import Slice
    from schemas import soft_checks, validate

    unit, year, period = ceiling.SLICE
    with ceiling.simulator() as sim, tempfile.TemporaryDirectory() as tmp:
        env = sim.environment()
        ceiling.load_with_pipeline(env, temp_warehouse(Path(tmp) / "warm"))
        sim.reset_stats()
        lake = temp_warehouse(Path(tmp) / "phases")
        client_cpu, sim_cpu = cpu_seconds(), sim.cpu_seconds()
        load_s, load = timed(lambda: ceiling.load_with_pipeline(env, lake))
        load_cpu = {"wall_s": round(load_s, 2), "client_cpu_s": round(cpu_seconds() - client_cpu, 2),
                    "simulator_cpu_s": round(sim.cpu_seconds() - sim_cpu, 2)}
        pages = connector_requests(sim.requests(env.member), TRANSACTIONS_CONNECTOR)
        root = env.base_url.split(f"/{env.member}/", 1)[0]
        client_cpu, sim_cpu = cpu_seconds(), sim.cpu_seconds()
        raw_s, bodies = timed(lambda: ceiling.download_raw(root, auth_header(env), pages))
        raw_cpu = {"wall_s": round(raw_s, 2), "client_cpu_s": round(cpu_seconds() - client_cpu, 2),
                   "simulator_cpu_s": round(sim.cpu_seconds() - sim_cpu, 2)}
        conn = connection(env)
        with AfasClient(conn) as client:
            schema = client.schema(TRANSACTIONS_CONNECTOR)
            fetched = client.fetch(TRANSACTIONS_CONNECTOR, administration=unit, year=year, period=period)
        started = time.perf_counter()
        for body in bodies:
            schema.parse_page(body)
        parse_s = time.perf_counter() - started

        profiler = cProfile.Profile()
        lake = temp_warehouse(Path(tmp) / "profiled")  # made outside the profile
        profiler.enable()
        validation = validate(catalog.TRANSACTIONS, fetched.frame)
        soft_checks(catalog.TRANSACTIONS, validation.frame)
        spec = Slice(conn.name, unit, year, period)
        lake.replace_slice(
            catalog.TRANSACTIONS, spec.columns(catalog.TRANSACTIONS, None), validation.frame)
        profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(TOP)
    root = str(Path(__file__).resolve().parents[1]) + "/"
    # Paths relative to the repository or to site-packages, not to where this machine put them.
    lines = [re.sub(r"/\S*?site-packages/", "", line).replace(root, "")
             for line in text.getvalue().splitlines() if line.strip()]
    table_start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    return {
        "rows": load.rows,
        "pages": len(bodies),
        "phases_s": {"fetch": round(load.fetch_seconds, 2), "validate": round(load.validate_seconds, 2),
                     "write": round(load.write_seconds, 2)},
        "cores": os.cpu_count(),
        "cpu_during_load": load_cpu,
        "cpu_during_raw_download": raw_cpu,
        "parse_cpu_s_single_thread": round(parse_s, 2),
        "parse_ms_per_page": round(parse_s / len(bodies) * 1000, 1),
        "megabytes_per_s_parsed": round(sum(map(len, bodies)) / 1e6 / parse_s),
        "validate_and_write_top_functions": lines[table_start:],
    }
