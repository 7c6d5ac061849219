"""5. Incremental: what a change-sensor tick costs when nothing changed and when one closed period
changed, against a full reload — in AFAS calls and wall time, with AFAS-like latency.

One environment with 3 administrations and two years of books. The full reload is `load_everything`
(what `make demo` runs). A tick is the change sensor (`afas_change_sensor`) evaluated in this
process; the changed tick also executes the runs it requests.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.common import pipeline_environment, timed
from benchmarks.simulator_process import SimulatorProcess

ADMINISTRATIONS = 3
LINES_PER_PERIOD = 2_000
PER_REQUEST_S = 0.3
PER_ROW_S = 40e-6
IN_FLIGHT = 5


def run() -> dict:
    import dagster as dg

    from pipelines.change_sensor import afas_change_sensor
    from pipelines.definitions import defs
    from pipelines.load_all import load_everything
    from assets.resources import AfasResource, WarehouseResource

    def tick(instance, cursor):
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor, resources={"afas": AfasResource.from_environment(), "warehouse": WarehouseResource.from_environment()})
        return afas_change_sensor(context)

    def execute(instance, requests) -> None:
        for request in requests:
            result = defs().resolve_job_def(request.job_name).execute_in_process(
                instance=instance, partition_key=request.partition_key, tags=dict(request.tags or {}),
                asset_selection=request.asset_selection,
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            )
            assert result.success

    args = ["--administrations", str(ADMINISTRATIONS), "--lines-per-period", str(LINES_PER_PERIOD),
            "--max-in-flight", str(IN_FLIGHT)]
    with SimulatorProcess(*args) as sim, tempfile.TemporaryDirectory() as tmp:
        env = sim.environment()
        with pipeline_environment(Path(tmp), env), dg.instance_for_test() as instance:
            load_everything(instance, progress=lambda _: None)  # warm-up: the simulator caches its rows
            sim.set_realism(latency_per_request_s=PER_REQUEST_S, latency_per_row_s=PER_ROW_S)
            sim.reset_stats()
            full_s, _ = timed(lambda: load_everything(instance, progress=lambda _: None))
            full_calls = len(sim.requests(env.member))
            cursor = tick(instance, None).cursor  # the first tick only sets the starting point

            sim.reset_stats()
            quiet_s, quiet = timed(lambda: tick(instance, cursor))
            quiet_calls = len(sim.requests(env.member))
            assert not quiet.run_requests

            entry = sim.scenario(env.member, "find_entries", unit_id=1, year=2026, period=3)[0]
            sim.scenario(env.member, "change_entry", unit_id=1, entry_no=entry)
            sim.reset_stats()
            changed_s, changed = timed(lambda: tick(instance, quiet.cursor))
            runs_s, _ = timed(lambda: execute(instance, changed.run_requests))
            changed_calls = len(sim.requests(env.member))
    return {
        "administrations": ADMINISTRATIONS,
        "latency": f"{PER_REQUEST_S * 1000:.0f} ms + {PER_ROW_S * 1e6:.0f} µs/row, {IN_FLIGHT} in flight",
        "full_reload": {"afas_calls": full_calls, "seconds": round(full_s, 2)},
        "no_change_tick": {"afas_calls": quiet_calls, "seconds": round(quiet_s, 2)},
        "one_changed_period": {
            "afas_calls": changed_calls, "seconds": round(changed_s + runs_s, 2),
            "tick_s": round(changed_s, 2), "runs": len(changed.run_requests), "runs_s": round(runs_s, 2),
        },
        "no_change_share_of_full_calls": round(quiet_calls / full_calls, 4),
        "target_no_change_share": 0.02,
    }
