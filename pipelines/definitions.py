"""The Dagster code location `afas_books`: `dagster dev -w workspace.yaml` loads `defs` from here.

`defs` is lazy (`@dg.definitions`): the settings are read when Dagster loads the code location, not
when this module is imported, and the resources receive them as their configuration.
"""

from __future__ import annotations

import dagster as dg

from assets.documents import document_files
from assets.factory import connector_assets
from assets.resources import AfasResource, WarehouseResource
from assets.views import view_specs
from pipelines.change_sensor import afas_change_sensor, environment_health
from pipelines.executor import step_executor
from pipelines.jobs import administration_assets_job, administrations_job, period_assets_job
from pipelines.maintenance import lake_maintenance_job, weekly_lake_maintenance
from pipelines.schedules import (
    daily_administration_assets,
    daily_administrations,
    daily_open_periods,
    weekly_reconciliation,
)
from pipelines.sensors import administration_partitions_sensor
from settings import Settings


def definitions_for(settings: Settings) -> dg.Definitions:
    """The code location configured by `settings`."""
    return dg.Definitions(
        assets=[*connector_assets(), document_files, environment_health, *view_specs()],
        jobs=[administrations_job, administration_assets_job, period_assets_job, lake_maintenance_job],
        schedules=[daily_administrations, daily_administration_assets, daily_open_periods, weekly_reconciliation,
                   weekly_lake_maintenance],
        sensors=[administration_partitions_sensor, afas_change_sensor],
        resources={"afas": AfasResource.configured_by(settings), "warehouse": WarehouseResource.configured_by(settings)},
        executor=step_executor(settings),
    )


@dg.definitions
def defs() -> dg.Definitions:
    return definitions_for(Settings.from_environment())
