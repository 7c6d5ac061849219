"""Runs launched the way the UI launches them, without a webserver: `make demo` uses it.

A run executed in process (`execute_in_process`) belongs to no code location: the UI lists it under
Runs, but a job's page says "No runs found" and the Overview timeline stays empty. Launched here,
a run goes through the workspace's code location (`workspace.yaml`, location `afas_books`) and the
instance's run launcher, exactly as `dagster job launch` or the Launchpad would: it runs in its own
process, and the UI shows it on the job's page and the timeline like a scheduled run.

Dagster has no public Python API for "launch a run of this job in this workspace": the CLI's
`dagster job launch` is that API, but it loads the workspace (starts a code server) for every run
and does not wait. This module opens the workspace once and launches through the CLI's own run
builder (`dagster._cli.job._create_run`, pinned with Dagster 1.13.27; the browser test
tests/end_to_end/test_ui_browser.py launches through it and fails if it changes).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"
LOCATION = "afas_books"
_POLL_S = 0.5


@dataclass(frozen=True)
class Finished:
    """What a run did: its id, whether it succeeded, and rows materialized per asset."""

    run_id: str
    success: bool
    rows: Mapping[str, int]
    error: str | None = None


def run_rows(instance: dg.DagsterInstance, run_id: str) -> dict[str, int]:
    """Rows materialized per asset in a run (the `rows` metadata of its materializations)."""
    totals: dict[str, int] = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        mat = entry.asset_materialization
        rows = mat.metadata.get("rows") if mat else None
        if rows is not None:
            name = mat.asset_key.to_user_string()
            totals[name] = totals.get(name, 0) + int(rows.value)
    return totals


def run_failure(instance: dg.DagsterInstance, run_id: str) -> str:
    """Why a run failed: its first step failure's description (or error), from the run's events."""
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE):
        data = entry.dagster_event.step_failure_data
        return (data.user_failure_data.description if data.user_failure_data else None) or data.error.message
    return "the run failed; see its page in the UI"


class Launcher:
    """Launches runs of the code location's jobs and waits for them (see the module docstring)."""

    def __init__(self, instance: dg.DagsterInstance, workspace):
        self.instance = instance
        self._workspace = workspace

    def submit(self, job_name: str, tags: Mapping[str, str], *, queued: bool = False) -> str:
        """Create the run and start it: through the instance's run queue (`queued`: the daemon starts it,
        within the queue's limits), or straight with the run launcher."""
        from dagster._cli.job import _create_run

        location = self._workspace.get_code_location(LOCATION)
        repository = location.get_repository("__repository__")
        job = repository.get_full_job(job_name)
        run = _create_run(instance=self.instance, code_location=location, remote_repo=repository, remote_job=job,
                          run_config={}, tags=dict(tags), op_selection=None, run_id=None)
        if queued:
            self.instance.submit_run(run.run_id, self._workspace)
        else:
            # Straight to the run launcher: the instance's run queue (Dagster's default coordinator) is
            # worked off by the daemon, which a demo does not run; the caller bounds its runs itself.
            self.instance.launch_run(run.run_id, self._workspace)
        return run.run_id

    def wait(self, run_id: str) -> Finished:
        while True:
            run = self.instance.get_run_by_id(run_id)
            if run is not None and run.is_finished:
                success = run.status == dg.DagsterRunStatus.SUCCESS
                return Finished(run_id, success, run_rows(self.instance, run_id),
                                None if success else run_failure(self.instance, run_id))
            time.sleep(_POLL_S)

    def run(self, job_name: str, tags: Mapping[str, str]) -> Finished:
        return self.wait(self.submit(job_name, tags))


@contextlib.contextmanager
def launcher(instance: dg.DagsterInstance) -> Iterator[Launcher]:
    """The workspace loaded once (one code server) for all the runs launched in the block."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget

    with WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(WORKSPACE)])) as process:
        workspace = process.create_request_context()
        errors = workspace.get_code_location_error(LOCATION)
        if errors is not None:
            raise RuntimeError(f"the code location {LOCATION} did not load: {errors.message}")
        yield Launcher(instance, workspace)
