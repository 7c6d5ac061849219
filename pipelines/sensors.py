"""The dynamic partitions: administrations from the administrations table, periods as they begin."""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at load time.


import dagster as dg

from pipelines.jobs import administration_assets_job, period_assets_job
from assets.partitions import (
    ADMINISTRATION_PARTITIONS_NAME,
    PERIOD_PARTITIONS_NAME,
    AdministrationRef,
    administration_partitions,
    environment_tags,
    history_range_tags,
    period_partition_changes,
    period_partitions,
)
from assets.resources import WarehouseResource
from settings import Settings
from warehouse.lookups import known_administrations


def administration_keys(warehouse: WarehouseResource) -> list[str]:
    """Partition keys of every administration the warehouse knows, in a stable order."""
    return [AdministrationRef(env, admin).key for env, admin in known_administrations(warehouse.warehouse())]


def new_administration_keys(instance: dg.DagsterInstance, warehouse: WarehouseResource) -> list[str]:
    known = set(instance.get_dynamic_partitions(ADMINISTRATION_PARTITIONS_NAME))
    return [k for k in administration_keys(warehouse) if k not in known]


def load_history_automatically() -> bool:
    """`AFAS_NEW_ADMINISTRATION_HISTORY`: "auto" (default) loads a new administration's history at
    once; "manual" only adds its partitions, to backfill with one click in the UI."""
    return Settings.from_environment().new_administration_history == "auto"


def _periods_words(added: list[str]) -> str:
    return f"periods added: {added[0]} .. {added[-1]}" if len(added) > 1 else f"period added: {added[0]}"


@dg.sensor(
    jobs=[administration_assets_job, period_assets_job],
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every minute: a partition for each administration that appeared in the administrations table "
    "(and, unless AFAS_NEW_ADMINISTRATION_HISTORY=manual, a load of its master data and all its periods), and "
    "each period when it begins.",
)
def administration_partitions_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    """Adds a partition for every administration that appeared in the `administrations` table and,
    unless history loading is manual, loads its master data and every period; adds each period when
    it begins (periods are never created ahead: the future is not "missing")."""
    delete, add = period_partition_changes(context.instance.get_dynamic_partitions(PERIOD_PARTITIONS_NAME))
    periods = ([period_partitions.build_delete_request(delete)] if delete else []) + (
        [period_partitions.build_add_request(add)] if add else [])
    if add:
        context.log.info(_periods_words(add))
    new = new_administration_keys(context.instance, warehouse)
    if not new:
        if periods:
            return dg.SensorResult(dynamic_partitions_requests=periods,
                                   skip_reason=f"no new administrations; {_periods_words(add)}")
        return dg.SkipReason("no new administrations or periods")
    context.log.info(f"new administrations: {', '.join(new)}")
    requests = []
    if load_history_automatically():
        for key in new:
            admin = AdministrationRef.parse(key)
            tags = environment_tags(admin.environment)
            requests.append(dg.RunRequest(job_name=administration_assets_job.name, partition_key=key,
                                          run_key=f"history:{key}", tags=tags))
            requests.append(dg.RunRequest(job_name=period_assets_job.name, run_key=f"history-periods:{key}",
                                          tags={**history_range_tags(admin), **tags}))
    return dg.SensorResult(
        dynamic_partitions_requests=[*periods, administration_partitions.build_add_request(new)], run_requests=requests
    )
