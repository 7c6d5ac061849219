"""The administrations table feeds the dynamic `afas_administration` partitions."""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at load time.


import dagster as dg

from pipelines.partitions import ADMINISTRATION_PARTITIONS_NAME, AdministrationRef, administration_partitions
from pipelines.resources import WarehouseResource
from warehouse.lookups import known_administrations


def administration_keys(warehouse: WarehouseResource) -> list[str]:
    """Partition keys of every administration the warehouse knows, in a stable order."""
    return [AdministrationRef(env, admin).key for env, admin in known_administrations(warehouse.warehouse())]


def new_administration_keys(instance: dg.DagsterInstance, warehouse: WarehouseResource) -> list[str]:
    known = set(instance.get_dynamic_partitions(ADMINISTRATION_PARTITIONS_NAME))
    return [k for k in administration_keys(warehouse) if k not in known]


@dg.sensor(minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def administration_partitions_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    """Adds a partition for every administration that appeared in the `administrations` table."""
    new = new_administration_keys(context.instance, warehouse)
    if not new:
        return dg.SkipReason("no new administrations")
    context.log.info(f"new administrations: {', '.join(new)}")
    return dg.SensorResult(dynamic_partitions_requests=[administration_partitions.build_add_request(new)])
