"""The change sensor: runs for exactly the slices that changed in AFAS, per environment.

Each tick reads the change feed of every configured environment (`incremental.detect_changes`) and
requests one run per changed (administration, period) partition, one per administration whose master
data or open items changed, and an administrations run when AFAS has a new administration. Its
cursor (one per environment) lives in Dagster and survives restarts. Run keys carry the change's
time, so a change is loaded once however often it is seen.
"""

import json

import dagster as dg

from afas import catalog
from assets.factory import asset_key
from incremental import Cursor, detect_changes
from pipelines.jobs import administration_assets_job, administrations_job, period_assets_job
from pipelines.partitions import (
    ADMINISTRATION_PARTITIONS_NAME,
    AdministrationRef,
    PeriodRef,
    SliceRef,
    history_range_tags,
    period_partitions,
    period_range_tags,
)

LAST_PERIOD = 13
from pipelines.resources import AfasResource, WarehouseResource

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at load time.


@dg.sensor(
    jobs=[period_assets_job, administration_assets_job, administrations_job],
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def afas_change_sensor(context: dg.SensorEvaluationContext, afas: AfasResource, warehouse: WarehouseResource):
    """Loads what changed in AFAS since the last tick (the first tick only sets the starting point)."""
    cursors = json.loads(context.cursor or "{}")
    known_admins = set(context.instance.get_dynamic_partitions(ADMINISTRATION_PARTITIONS_NAME))
    known_periods = set(period_partitions.get_partition_keys())
    store = warehouse.warehouse()
    requests: list[dg.RunRequest] = []
    for env in afas.environment_names():
        changes = detect_changes(afas.client(env), store, env, Cursor.from_json(cursors.get(env)))
        cursors[env] = changes.cursor.to_json()
        context.log.info(
            f"{env}: {changes.source}, {len(changes.period_slices)} period slice(s), "
            f"{len(changes.administrations)} administration(s), {len(changes.new_administrations)} new, "
            f"{changes.requests} AFAS request(s)"
        )
        for (unit, year, period), modified in sorted(changes.period_slices.items()):
            admin, ref = AdministrationRef(env, unit), PeriodRef(year, period)
            if admin.key not in known_admins or ref.key not in known_periods:
                context.log.warning(f"skipping change in {admin.key} {ref.key}: no such partition yet")
                continue
            key = SliceRef(admin, ref).key
            requests.append(dg.RunRequest(job_name=period_assets_job.name, partition_key=key,
                                          run_key=f"{key}@{modified.isoformat()}"))
        requests += _later_balances(env, changes.period_slices, changes.renamed_accounts, known_admins, known_periods)
        for unit, modified in sorted(changes.administrations.items()):
            admin = AdministrationRef(env, unit)
            if admin.key in known_admins:
                requests.append(dg.RunRequest(job_name=administration_assets_job.name, partition_key=admin.key,
                                              run_key=f"{admin.key}@{modified.isoformat()}"))
        for unit, modified in sorted(changes.renamed_accounts.items()):
            admin = AdministrationRef(env, unit)
            if admin.key in known_admins:
                # Period values carry the account description: refresh them in every period.
                requests.append(dg.RunRequest(
                    job_name=period_assets_job.name, asset_selection=[asset_key(catalog.PERIOD_VALUES)],
                    tags=history_range_tags(admin), run_key=f"{admin.key}:descriptions@{modified.isoformat()}",
                ))
        if changes.new_administrations:
            ids = ",".join(str(i) for i in changes.new_administrations)
            requests.append(dg.RunRequest(job_name=administrations_job.name, run_key=f"{env}:new:{ids}"))
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(cursors))


def _later_balances(env, period_slices, renamed, known_admins, known_periods) -> list[dg.RunRequest]:
    """Period values carry the running balance through the fiscal year: a change in a period moves
    the balance of every later period of that year, so those period values are loaded again."""
    earliest: dict[tuple[int, int], tuple[int, object]] = {}
    for (unit, year, period), modified in period_slices.items():
        if unit in renamed:
            continue  # all its period values are reloaded for the new description anyway
        current = earliest.get((unit, year))
        latest = max(modified, current[1]) if current else modified
        earliest[(unit, year)] = (min(period, current[0]) if current else period, latest)
    requests = []
    for (unit, year), (period, modified) in sorted(earliest.items()):
        admin, first, last = AdministrationRef(env, unit), PeriodRef(year, period + 1), PeriodRef(year, LAST_PERIOD)
        if period >= LAST_PERIOD or admin.key not in known_admins or first.key not in known_periods:
            continue
        requests.append(dg.RunRequest(
            job_name=period_assets_job.name, asset_selection=[asset_key(catalog.PERIOD_VALUES)],
            tags=period_range_tags(admin, first, last), run_key=f"{admin.key}:{year}-balances@{modified.isoformat()}",
        ))
    return requests
