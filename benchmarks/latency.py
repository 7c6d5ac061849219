"""3. Latency-bound: one administration-year against an AFAS-like simulator.

AFAS answers a page in about 300 ms plus 40 µs per row and allows at most 5 calls in flight per
environment (the simulator refuses a sixth with a 500). The pipeline loads one administration's
books (transactions, allocated transactions, period values) for every period of one fiscal year in
one Dagster run, as a UI backfill of that year does.

The theoretical minimum is the AFAS work the run needed divided over the 5 allowed calls: the sum,
over every call AFAS answered, of 300 ms + 40 µs × rows, divided by 5. No client can finish sooner
without more parallel calls than AFAS allows.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import pipeline_environment, timed
from benchmarks.simulator_process import SimulatorProcess

PER_REQUEST_S = 0.3
PER_ROW_S = 40e-6
IN_FLIGHT = 5
LINES_PER_PERIOD = 40_000
YEAR = 2025


def run() -> dict:
    import dagster as dg

    from pipelines.definitions import defs
    from assets.partitions import AdministrationRef, add_partitions, PeriodRef, period_range_tags
    from assets.resources import AfasResource

    args = ["--administrations", "1", "--lines-per-period", str(LINES_PER_PERIOD), "--max-in-flight", str(IN_FLIGHT)]
    with SimulatorProcess(*args) as sim, tempfile.TemporaryDirectory() as tmp:
        env = sim.environment()
        with pipeline_environment(Path(tmp), env), dg.instance_for_test() as instance:
            admin = AdministrationRef(AfasResource.from_environment().environment_names()[0], 1)
            add_partitions(instance, [admin.key])
            job = defs().resolve_job_def("period_assets_job")
            tags = period_range_tags(admin, PeriodRef(YEAR, 0), PeriodRef(YEAR, 13))
            quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
            # Warm-up without latency: the simulator generates and caches the year's rows.
            job.execute_in_process(instance=instance, tags=tags, run_config=quiet)
            sim.set_realism(latency_per_request_s=PER_REQUEST_S, latency_per_row_s=PER_ROW_S, max_in_flight=IN_FLIGHT)
            sim.reset_stats()
            run_started = time.time()
            seconds, result = timed(lambda: job.execute_in_process(instance=instance, tags=tags, run_config=quiet))
            run_ended = time.time()
            assert result.success
            log = sim.requests(env.member)
            counts = sim.counts(env.member)
    work = sum(PER_REQUEST_S + PER_ROW_S * r["rows"] for r in log)
    minimum = work / IN_FLIGHT
    # What the simulator itself spent per call: the nominal latency plus its own work of building
    # the JSON (one Python process answering five calls at once).
    served_minimum = sum(r["seconds"] for r in log) / IN_FLIGHT
    first_call = min(r["at"] for r in log)
    last_answer = max(r["at"] + r["seconds"] for r in log)
    return {
        "administration_year": f"{admin.key} {YEAR}",
        "rows": sum(r["rows"] for r in log),
        "afas_calls": len(log),
        "errors": sum(1 for r in log if r["status"] >= 400),
        "max_in_flight_seen": counts["max_in_flight"],
        "seconds": round(seconds, 2),
        "afas_busy_span_s": round(last_answer - first_call, 2),
        "before_first_call_s": round(first_call - run_started, 2),
        "after_last_answer_s": round(run_ended - last_answer, 2),
        "theoretical_minimum_s": round(minimum, 2),
        "vs_minimum": round(seconds / minimum, 3),
        "served_time_minimum_s": round(served_minimum, 2),
        "afas_span_vs_served_minimum": round((last_answer - first_call) / served_minimum, 3),
        "target_vs_minimum": 1.10,
        "latency": f"{PER_REQUEST_S * 1000:.0f} ms + {PER_ROW_S * 1e6:.0f} µs/row, {IN_FLIGHT} in flight",
    }
