"""The lake's weekly maintenance as a Dagster job and schedule (the work is `warehouse.maintenance`)."""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at load time.

import dagster as dg

from assets.resources import WarehouseResource
from warehouse.maintenance import maintain
from catalog.clock import TIME_ZONE



@dg.op(description="Merge small files, expire snapshots older than the retention "
                   "(AFAS_WAREHOUSE_RETENTION_MONTHS, default 13) and delete files nothing refers to.")
def maintain_lake(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> dg.Output:
    settings = warehouse.settings()
    result = maintain(settings, logger=context.log)
    context.log.info(
        f"lake maintenance: {result.snapshots_expired} snapshots expired, {result.files_merged} files merged, "
        f"{result.old_files_deleted + result.orphans_deleted} files deleted in {result.seconds:.1f} s"
    )
    return dg.Output(None, metadata={
        "snapshots_expired": result.snapshots_expired,
        "files_merged": result.files_merged,
        "old_files_deleted": result.old_files_deleted,
        "orphans_deleted": result.orphans_deleted,
        "time_travel_reaches_back_to": str(result.oldest_snapshot),
        "retention_months": settings.retention_months,
    })


@dg.job(description="Maintenance of the DuckLake; safe while loads run.")
def lake_maintenance_job():
    maintain_lake()


weekly_lake_maintenance = dg.ScheduleDefinition(
    job=lake_maintenance_job, cron_schedule="0 3 * * 0", execution_timezone=TIME_ZONE,
    description="Sunday 03:00 (Amsterdam), before the weekly reconciliation at 04:00.",
)
