"""The committed benchmark results hold every figure the benchmarks promise, and the readable file is
exactly what the raw figures render to (no hand-edited numbers). Timing itself is never tested.

The benchmarks are a program of their own, not a library of the pipeline: these tests run its check
as a user (or CI) does, `python -m benchmarks --check`, and read the committed results as data;
nothing of `benchmarks/` is imported here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "benchmarks"


def _results() -> dict:
    return json.loads((HERE / "results.json").read_text())


def _check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmarks", "--check", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_every_benchmark_has_figures_none_failed_and_the_readable_results_are_rendered_from_the_raw_ones():
    done = _check()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "figures of all" in done.stdout and "RESULTS.md rendered from results.json" in done.stdout


def test_the_check_finds_a_hand_edited_figure_and_a_missing_benchmark(tmp_path):
    for name in ("results.json", "RESULTS.md"):
        shutil.copy(HERE / name, tmp_path / name)
    doc = _results()
    del doc["benchmarks"]["scale"]
    (tmp_path / "results.json").write_text(json.dumps(doc))
    done = _check("--results", str(tmp_path))
    assert done.returncode == 1
    assert "no figures of scale" in done.stderr and "RESULTS.md is not what results.json renders to" in done.stderr


def test_the_results_hold_the_figures_the_benchmarks_promise():
    doc = _results()
    assert {"cpu", "cores", "memory_gib"} <= set(doc["machine"])
    assert {"dagster", "duckdb", "polars", "pandera", "httpx", "python"} <= set(doc["versions"])
    b = doc["benchmarks"]
    for figure in (
        b["ceiling"]["pipeline"]["rows_per_s"], b["ceiling"]["raw_httpx"]["rows_per_s"],
        b["ceiling"]["duckdb_read_json"]["rows_per_s"], b["peer"]["dlt_default"]["rows_per_s"],
        b["peer"]["dlt_parquet"]["rows_per_s"], b["latency"]["theoretical_minimum_s"],
        b["memory"]["peak_mib_at_1m"], b["incremental"]["no_change_tick"]["afas_calls"],
        b["dagster_overhead"]["postgres_s"], b["dagster_overhead"]["sqlite_s"], b["dagster_overhead"]["direct_s"],
        b["scale_out"]["one_worker_s"], b["scale_out"]["two_workers_s"],
    ):
        assert figure > 0
    assert [s["rows"] for s in b["memory"]["sizes"]] == [100_000, 300_000, 1_000_000]
    assert b["ceiling"]["rows"] == 1_000_000
    assert b["scale_out"]["cap_respected"] and b["scale_out"]["same_rows"]  # measured, not just timed
    assert b["scale_out"]["max_in_flight_seen"] <= b["scale_out"]["cap"]
    scale = b["scale"]
    assert scale["environments"] == 300 and scale["partitions"]["partitions"] > 0
    assert len(scale["change_sensor"]["failing_reported"]) == scale["broken_tokens"] == 2
