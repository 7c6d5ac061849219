"""Load every asset for every administration and period, through Dagster, in this process.

Used by `make demo` (and handy after connecting a new environment): one run for the administrations,
whose rows become partitions, one run with every administration's master data and open items, and
per administration one run over all its periods — the same shape a UI backfill takes.
"""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from pipelines.partitions import (
    ADMINISTRATION_PARTITIONS_NAME,
    AdministrationRef,
    add_partitions,
    history_range_tags,
    period_keys,
    range_tags,
)

_QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _rows(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    totals: dict[str, int] = {}
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        rows = mat.metadata.get("rows")
        if rows is not None:
            name = mat.asset_key.to_user_string()
            totals[name] = totals.get(name, 0) + int(rows.value)
    return totals


def _describe(totals: dict[str, int]) -> str:
    return ", ".join(f"{name} {rows:,}" for name, rows in sorted(totals.items())) or "nothing"


def load_everything(
    instance: dg.DagsterInstance | None = None, *, progress: Callable[[str], None] = print
) -> None:
    """Materialize every AFAS asset for all configured environments, administrations and periods."""
    from pipelines.definitions import defs
    from pipelines.resources import WarehouseResource
    from pipelines.sensors import new_administration_keys

    instance = instance or dg.DagsterInstance.get()
    result = defs.resolve_job_def("administrations_job").execute_in_process(instance=instance, run_config=_QUIET)
    progress(f"administrations: {_describe(_rows(result))}")

    add_partitions(instance, new_administration_keys(instance, WarehouseResource()))
    keys = instance.get_dynamic_partitions(ADMINISTRATION_PARTITIONS_NAME)
    progress(f"administration partitions: {', '.join(keys)}")

    result = defs.resolve_job_def("administration_assets_job").execute_in_process(
        instance=instance, run_config=_QUIET, tags=range_tags(keys[0], keys[-1])
    )
    progress(f"master data and open items of {len(keys)} administrations: {_describe(_rows(result))}")

    periods = period_keys()
    period_job = defs.resolve_job_def("period_assets_job")
    for key in keys:
        tags = history_range_tags(AdministrationRef.parse(key))
        result = period_job.execute_in_process(instance=instance, run_config=_QUIET, tags=tags)
        progress(f"{key}: {len(periods)} periods ({periods[0]} .. {periods[-1]}): {_describe(_rows(result))}")
