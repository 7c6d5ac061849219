"""Daily loads in Europe/Amsterdam: administrations, then per administration its master data and open
items, and the open and previous period of its books. Exact run requests, one per partition and day."""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at load time.


import datetime as dt

import dagster as dg
from dagster_shared.check import CheckError

from pipelines.jobs import administration_assets_job, administrations_job, period_assets_job
import catalog
from assets.factory import asset_key
from assets.partitions import (
    ADMINISTRATION_PARTITIONS_NAME,
    PERIOD_PARTITIONS_NAME,
    AdministrationRef,
    PeriodRef,
    SliceRef,
    environment_tags,
    history_range_tags,
)
from catalog.clock import AMSTERDAM, TIME_ZONE



def open_and_previous_period(day: dt.date) -> list[PeriodRef]:
    """The period a day falls in and the one before (calendar-month periods)."""
    current = PeriodRef(day.year, day.month)
    previous = PeriodRef(day.year - 1, 12) if day.month == 1 else PeriodRef(day.year, day.month - 1)
    return [previous, current]


def _day(context: dg.ScheduleEvaluationContext) -> dt.date:
    try:
        when = context.scheduled_execution_time
    except CheckError:  # a context built without a scheduled time (tests, manual evaluation)
        when = None
    when = when or dt.datetime.now(dt.timezone.utc)
    return when.astimezone(AMSTERDAM).date()


@dg.schedule(job=administrations_job, cron_schedule="0 5 * * *", execution_timezone=TIME_ZONE,
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Every day at 05:00 Amsterdam time: the administrations of every environment (new ones "
             "become partitions and load their history).")
def daily_administrations(context: dg.ScheduleEvaluationContext):
    return dg.RunRequest(run_key=f"{_day(context)}:administrations")


@dg.schedule(job=administration_assets_job, cron_schedule="15 5 * * *", execution_timezone=TIME_ZONE,
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Every day at 05:15 Amsterdam time: per administration its master data and today's "
             "snapshot of open items (one run each).")
def daily_administration_assets(context: dg.ScheduleEvaluationContext):
    day = _day(context)
    for key in context.instance.get_dynamic_partitions(ADMINISTRATION_PARTITIONS_NAME):
        yield dg.RunRequest(run_key=f"{day}:{key}", partition_key=key,
                            tags=environment_tags(AdministrationRef.parse(key).environment))


@dg.schedule(job=period_assets_job, cron_schedule="30 5 * * *", execution_timezone=TIME_ZONE,
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Every day at 05:30 Amsterdam time: per administration the open and the previous "
             "period's books, reloaded and reconciled (a safety net beside the change sensor).")
def daily_open_periods(context: dg.ScheduleEvaluationContext):
    day = _day(context)
    periods = set(context.instance.get_dynamic_partitions(PERIOD_PARTITIONS_NAME))
    for key in context.instance.get_dynamic_partitions(ADMINISTRATION_PARTITIONS_NAME):
        admin = AdministrationRef.parse(key)
        for period in open_and_previous_period(day):
            if period.key not in periods:  # before AFAS_FIRST_YEAR, or the sensor has not added it yet
                continue
            partition = SliceRef(admin, period).key
            yield dg.RunRequest(run_key=f"{day}:{partition}", partition_key=partition,
                                tags=environment_tags(admin.environment))


@dg.schedule(job=period_assets_job, cron_schedule="0 4 * * 0", execution_timezone=TIME_ZONE,
             default_status=dg.DefaultScheduleStatus.RUNNING,
             description="Every Sunday at 04:00 Amsterdam time: AFAS's period values of every period again, "
             "reconciled against the loaded transactions; one reload heals what no change feed reported.")
def weekly_reconciliation(context: dg.ScheduleEvaluationContext):
    """Every Sunday: AFAS's period values of every period again (cheap: aggregates), so the
    reconciliation check sees — and one reload heals — what no change feed reported."""
    day = _day(context)
    for key in context.instance.get_dynamic_partitions(ADMINISTRATION_PARTITIONS_NAME):
        admin = AdministrationRef.parse(key)
        yield dg.RunRequest(
            run_key=f"{day}:reconcile:{key}", asset_selection=[asset_key(catalog.PERIOD_VALUES)],
            tags={**history_range_tags(admin), **environment_tags(admin.environment)},
        )
