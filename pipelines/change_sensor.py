"""The change sensor: runs for exactly the slices that changed in AFAS, every environment on its own.

Each tick looks at the configured environments side by side (`incremental.sweep`: AFAS's cap is per
environment) within a time budget, starting with those the previous tick did not reach. For each it
reads the change feed (`incremental.detect_changes`), lets `incremental.plan_reloads` decide what
that reloads, and turns the plan into run requests. An environment whose look fails (a revoked
token, a connector not ticked, maintenance, a time-out) is skipped, named in the tick's log and in
the `afas_environment_health` asset with AFAS's message (which says what to do in AFAS Online), and
tried again on the next tick; the others go on. Its cursor (per environment) lives in Dagster and
survives restarts. Run keys carry the change's time, so a change is loaded once however often it is seen.
"""

import datetime as dt
import json

import dagster as dg

import catalog
from assets.factory import asset_key
from assets.specs import AREA_TAG
from incremental import Cursor, ReloadPlan, detect_changes, in_turn, plan_reloads, sweep
from pipelines.jobs import administration_assets_job, administrations_job, period_assets_job
from assets.partitions import (
    ADMINISTRATION_PARTITIONS_NAME,
    PERIOD_PARTITIONS_NAME,
    AdministrationRef,
    PeriodRef,
    SliceRef,
    environment_tags,
    history_range_tags,
    period_range_tags,
)
from assets.resources import AfasResource, WarehouseResource

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at load time.

#: No environment's look starts later than this into a tick (Dagster ends a sensor evaluation at 60 s).
TICK_BUDGET_S = 30.0
#: Environments looked at side by side (each keeps AFAS's own cap of calls in flight). A look is a
#: few calls one after another, about 3 s at 300 ms per call: 32 at once cover 300 environments in
#: one 30-s tick (benchmarks/scale.py); the threads mostly wait on the network.
ENVIRONMENTS_AT_ONCE = 32

HEALTH_ASSET = dg.AssetKey("afas_environment_health")
environment_health = dg.AssetSpec(
    HEALTH_ASSET,
    group_name="afas",
    description="Whether each configured AFAS environment answered the change sensor's last look: the failing "
    "ones with AFAS's message (what to do in AFAS Online) and since when. Observed by afas_change_sensor.",
    kinds={"afas"},
    tags={AREA_TAG: "health"},
)


class SensorState:
    """The sensor's cursor: a change cursor per environment, the failing environments, where to resume."""

    def __init__(self, cursors: dict[str, str], failing: dict[str, dict], resume_at: str | None):
        self.cursors, self.failing, self.resume_at = cursors, failing, resume_at

    @classmethod
    def from_json(cls, text: str | None) -> "SensorState":
        raw = json.loads(text or "{}")
        if "environments" not in raw:  # the cursor of earlier versions: environment → change cursor
            return cls(dict(raw), {}, None)
        # Change cursors are kept as JSON objects (readable in the UI's cursor box), once as JSON text.
        cursors = {env: c if isinstance(c, str) else json.dumps(c) for env, c in raw["environments"].items()}
        return cls(cursors, raw.get("failing", {}), raw.get("resume_at"))

    def to_json(self) -> str:
        return json.dumps({"environments": {env: json.loads(c) for env, c in self.cursors.items()},
                           "failing": self.failing, "resume_at": self.resume_at})


@dg.sensor(
    jobs=[period_assets_job, administration_assets_job, administrations_job],
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 5 minutes: asks each AFAS environment what changed since the last look (change feed and "
    "Modified dates) and loads exactly those periods and administrations. An environment that fails (revoked "
    "token, connector not ticked, maintenance) is skipped and shown in afas_environment_health; the others go on.",
)
def afas_change_sensor(context: dg.SensorEvaluationContext, afas: AfasResource, warehouse: WarehouseResource):
    """Loads what changed in AFAS since the last tick (the first tick only sets the starting point)."""
    state = SensorState.from_json(context.cursor)
    known_admins = set(context.instance.get_dynamic_partitions(ADMINISTRATION_PARTITIONS_NAME))
    known_periods = set(context.instance.get_dynamic_partitions(PERIOD_PARTITIONS_NAME))
    store = warehouse.warehouse()
    names = afas.environment_names()

    def look(env: str):
        return detect_changes(afas.client(env), store, env, Cursor.from_json(state.cursors.get(env)))

    done = sweep(in_turn(names, state.resume_at), look, budget_s=TICK_BUDGET_S, parallel=ENVIRONMENTS_AT_ONCE)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    requests: list[dg.RunRequest] = []
    for env in names:
        if env in done.failures:
            error = done.failures[env]
            since = state.failing.get(env, {}).get("since", now)
            state.failing[env] = {"problem": f"{type(error).__name__}: {error}", "since": since}
            context.log.warning(f"{env} skipped, tried again next tick: {error}")
        elif env in done.results:
            changes = done.results[env]
            state.cursors[env] = changes.cursor.to_json()
            state.failing.pop(env, None)
            requests += run_requests(env, plan_reloads(changes), known_admins, known_periods, context.log)
    state.failing = {env: f for env, f in state.failing.items() if env in names}
    state.resume_at = done.not_reached[0] if done.not_reached else None
    summary = (
        f"looked at {len(done.results) + len(done.failures)} of {len(names)} environment(s) in {done.seconds:.1f} s"
        + (f"; {len(done.not_reached)} left for the next tick" if done.not_reached else "")
        + (f"; failing: {', '.join(sorted(state.failing))}" if state.failing else "")
        + f"; {len(requests)} run(s) requested"
    )
    context.log.info(summary)
    return dg.SensorResult(
        run_requests=requests,
        cursor=state.to_json(),
        skip_reason=None if requests else summary,
        asset_events=[_health(names, state, done)],
    )


def _health(names, state: SensorState, done) -> dg.AssetObservation:
    rows = ["| environment | problem | since |", "|---|---|---|"]
    rows += [f"| {env} | {f['problem'].replace('|', '/')} | {f['since']} |" for env, f in sorted(state.failing.items())]
    return dg.AssetObservation(asset_key=HEALTH_ASSET, metadata={
        "environments": len(names),
        "failing": len(state.failing),
        "looked_at_this_tick": len(done.results) + len(done.failures),
        "left_for_next_tick": len(done.not_reached),
        "failing_environments": dg.MetadataValue.md("\n".join(rows) if state.failing else "none"),
    })


def run_requests(env: str, plan: ReloadPlan, known_admins: set[str], known_periods: set[str], log) -> list[dg.RunRequest]:
    """The runs of one environment's reload plan, for the partitions Dagster has."""
    requests = []
    tags = environment_tags(env)
    for changed, modified in plan.periods.items():
        admin, ref = changed.administration, changed.period_ref
        if admin.key not in known_admins or ref.key not in known_periods:
            log.warning(f"skipping change in {admin.key} {ref.key}: no such partition yet")
            continue
        key = SliceRef(admin, ref).key
        requests.append(dg.RunRequest(job_name=period_assets_job.name, partition_key=key, tags=tags,
                                      run_key=f"{key}@{modified.isoformat()}"))
    for balances in plan.later_balances:
        admin = AdministrationRef(env, balances.administration_id)
        first, last = PeriodRef(balances.fiscal_year, balances.first_period), PeriodRef(balances.fiscal_year, balances.last_period)
        if admin.key not in known_admins or first.key not in known_periods:
            continue
        # Up to the year's last period that has begun: the future has no partitions.
        last = max(r for r in (PeriodRef.parse(k) for k in known_periods) if first <= r <= last)
        requests.append(dg.RunRequest(
            job_name=period_assets_job.name, asset_selection=[asset_key(catalog.PERIOD_VALUES)],
            tags={**period_range_tags(admin, first, last), **tags},
            run_key=f"{admin.key}:{balances.fiscal_year}-balances@{balances.modified.isoformat()}",
        ))
    for unit, modified in plan.administrations.items():
        admin = AdministrationRef(env, unit)
        if admin.key in known_admins:
            requests.append(dg.RunRequest(job_name=administration_assets_job.name, partition_key=admin.key,
                                          tags=tags, run_key=f"{admin.key}@{modified.isoformat()}"))
    for unit, modified in plan.descriptions.items():
        admin = AdministrationRef(env, unit)
        if admin.key in known_admins:
            requests.append(dg.RunRequest(
                job_name=period_assets_job.name, asset_selection=[asset_key(catalog.PERIOD_VALUES)],
                tags={**history_range_tags(admin), **tags},
                run_key=f"{admin.key}:descriptions@{modified.isoformat()}",
            ))
    if plan.new_administrations:
        ids = ",".join(str(i) for i in plan.new_administrations)
        requests.append(dg.RunRequest(job_name=administrations_job.name, tags=tags, run_key=f"{env}:new:{ids}"))
    return requests
