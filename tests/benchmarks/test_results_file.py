"""The committed benchmark results hold every figure the benchmarks promise, and the readable file is
exactly what the raw figures render to (no hand-edited numbers). Timing itself is never tested."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.__main__ import NAMES
from benchmarks.report import render

HERE = Path(__file__).resolve().parents[2] / "benchmarks"


def _results() -> dict:
    return json.loads((HERE / "results.json").read_text())


def test_every_benchmark_has_figures_and_none_failed():
    doc = _results()
    assert set(doc["benchmarks"]) == set(NAMES)
    assert not [name for name, result in doc["benchmarks"].items() if "error" in result]
    assert {"cpu", "cores", "memory_gib"} <= set(doc["machine"])
    assert {"dagster", "duckdb", "polars", "pandera", "httpx", "python"} <= set(doc["versions"])
    b = doc["benchmarks"]
    for figure in (
        b["ceiling"]["pipeline"]["rows_per_s"], b["ceiling"]["raw_httpx"]["rows_per_s"],
        b["ceiling"]["duckdb_read_json"]["rows_per_s"], b["peer"]["dlt_default"]["rows_per_s"],
        b["peer"]["dlt_parquet"]["rows_per_s"], b["latency"]["theoretical_minimum_s"],
        b["memory"]["peak_mib_at_1m"], b["incremental"]["no_change_tick"]["afas_calls"],
        b["dagster_overhead"]["dagster_s"], b["dagster_overhead"]["direct_s"],
    ):
        assert figure > 0
    assert [s["rows"] for s in b["memory"]["sizes"]] == [100_000, 300_000, 1_000_000]
    assert b["ceiling"]["rows"] == 1_000_000
    scale = b["scale"]
    assert scale["environments"] == 300 and scale["partitions"]["partitions"] > 0
    assert len(scale["change_sensor"]["failing_reported"]) == scale["broken_tokens"] == 2


def test_readable_results_are_rendered_from_the_raw_ones():
    assert (HERE / "RESULTS.md").read_text() == render(_results())
