"""The administrations sensor, the daily schedules, and the code location as `dagster` loads it."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets.partitions import ADMINISTRATION_PARTITIONS_NAME, add_partitions
from pipelines.schedules import daily_administration_assets, daily_open_periods, weekly_reconciliation
from pipelines.sensors import administration_partitions_sensor
from tests.pipelines.pipeline_support import start_pipeline

# Dagster runs in process, and `dagster definitions validate` in its own: tens of seconds.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("live_defs_state_storage")]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pipeline(sim, tmp_path, monkeypatch):
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))
    with dg.instance_for_test() as instance:
        yield start_pipeline(sim, tmp_path, instance)


def test_sensor_adds_new_administrations_once_and_loads_their_history(pipeline):
    import catalog

    pipeline.materialize([catalog.ADMINISTRATIONS])
    context = dg.build_sensor_context(instance=pipeline.instance, resources=pipeline.resources)
    result = administration_partitions_sensor(context)
    periods, request = result.dynamic_partitions_requests  # the periods so far, then the administrations
    assert periods.partitions_def_name == "afas_period" and periods.partition_keys[0] == "2025-00"
    assert request.partitions_def_name == ADMINISTRATION_PARTITIONS_NAME
    assert request.partition_keys == ["o12345-1", "o12345-2", "o12345-3"]
    runs = {(r.job_name, r.partition_key or r.tags["dagster/asset_partition_range_start"]) for r in result.run_requests}
    assert ("administration_assets_job", "o12345-2") in runs
    assert ("period_assets_job", "o12345-2|2025-00") in runs and len(runs) == 6
    # the run queue limits runs per AFAS environment by this tag (deploy/dagster.yaml)
    assert all(r.tags["afas/environment"] == "o12345" for r in result.run_requests)
    add_partitions(pipeline.instance, request.partition_keys)
    again = administration_partitions_sensor(dg.build_sensor_context(instance=pipeline.instance, resources=pipeline.resources))
    assert isinstance(again, dg.SkipReason)
    # A tick that only adds the period that began says so in words (not Dagster's "empty result").
    last = pipeline.instance.get_dynamic_partitions("afas_period")[-1]
    pipeline.instance.delete_dynamic_partition("afas_period", last)
    period_only = administration_partitions_sensor(
        dg.build_sensor_context(instance=pipeline.instance, resources=pipeline.resources))
    assert not period_only.run_requests
    assert period_only.skip_reason.skip_message == f"no new administrations; period added: {last}"


def test_daily_schedules_request_exact_partitions(pipeline):
    add_partitions(pipeline.instance, ["o12345-1", "o12345-2"])
    when = dt.datetime(2026, 1, 5, 5, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    context = dg.build_schedule_context(instance=pipeline.instance, scheduled_execution_time=when)
    periods = list(daily_open_periods(context))
    assert sorted(str(r.partition_key) for r in periods) == [
        "o12345-1|2025-12", "o12345-1|2026-01", "o12345-2|2025-12", "o12345-2|2026-01",
    ]
    assert len({r.run_key for r in periods}) == 4
    admins = list(daily_administration_assets(context))
    assert [r.partition_key for r in admins] == ["o12345-1", "o12345-2"]
    weekly = list(weekly_reconciliation(context))
    assert [r.tags["dagster/asset_partition_range_start"] for r in weekly] == ["o12345-1|2025-00", "o12345-2|2025-00"]
    assert all(r.asset_selection == [dg.AssetKey("period_values")] for r in weekly)
    assert all(r.tags["afas/environment"] == "o12345" for r in [*periods, *admins, *weekly])


def test_definitions_validate_from_workspace():
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_manual_history_only_adds_partitions(pipeline, monkeypatch):
    import catalog

    monkeypatch.setenv("AFAS_NEW_ADMINISTRATION_HISTORY", "manual")
    pipeline.materialize([catalog.ADMINISTRATIONS])
    result = administration_partitions_sensor(dg.build_sensor_context(instance=pipeline.instance, resources=pipeline.resources))
    assert result.dynamic_partitions_requests and not result.run_requests


def test_lake_maintenance_job_runs_weekly_and_reports_what_it_did(pipeline):
    from pipelines.definitions import defs
    from pipelines.maintenance import weekly_lake_maintenance

    import catalog

    pipeline.materialize([catalog.ADMINISTRATIONS])
    assert weekly_lake_maintenance.cron_schedule == "0 3 * * 0"
    assert weekly_lake_maintenance.execution_timezone == "Europe/Amsterdam"
    job = defs().resolve_job_def("lake_maintenance_job")
    result = job.execute_in_process(instance=pipeline.instance, resources={"warehouse": pipeline.resources["warehouse"]})
    assert result.success
    (materialized,) = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    meta = materialized.event_specific_data.metadata
    assert meta["retention_months"].value == 13 and meta["snapshots_expired"].value == 0
    # The lake still answers after it, with what was loaded.
    assert pipeline.warehouse().query("SELECT count(*) AS n FROM administrations")["n"][0] == 3
