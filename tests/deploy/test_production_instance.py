"""The deployment's Dagster instance (deploy/dagster.yaml) on the real PostgreSQL server: webserver and
daemon as separate processes, runs queued and started within the per-environment limit, and a run
whose worker is killed marked failed instead of staying STARTED."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from afas_simulator import Realism, Simulator, default_config
from pipelines.demo import register
from assets.partitions import ENVIRONMENT_TAG, add_partitions
from tests.dagster_processes import ROOT, graphql, webserver_and_daemon
from tests.postgres_server import fresh_database

pytestmark = [pytest.mark.end_to_end, pytest.mark.services, pytest.mark.usefixtures("live_defs_state_storage")]

LOCATION = "{ workspaceOrError { ... on Workspace { locationEntries { name } } } }"
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
#: The limit deploy/dagster.yaml sets per AFAS environment.
RUNS_PER_ENVIRONMENT = 2


@pytest.fixture
def deployment(tmp_path, monkeypatch, postgres_server):
    """DAGSTER_HOME with the deployment's dagster.yaml on a fresh database; two simulated environments."""
    home = tmp_path / "dagster"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    with fresh_database("afas_dagster", server_url=postgres_server) as db, \
            Simulator(default_config(seed=7, environments=2, lines_per_period=5, realism=Realism.fast())).start() as sim:
        env = {
            "DAGSTER_HOME": str(home),
            "DAGSTER_POSTGRES_URL": db.url.replace("postgresql://", "postgresql+psycopg2://", 1),
            "DAGSTER_LOCAL_ARTIFACT_DIR": str(tmp_path / "artifacts"),
            "DAGSTER_COMPUTE_LOG_DIR": str(tmp_path / "compute-logs"),
            "AFAS_PIPELINE_HOME": str(tmp_path / "afas-home"),
            "AFAS_DATA_DIR": str(tmp_path / "data"),
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        members = sim.members()
        environments = [(sim.environment(m).spec.code, sim.base_url(m), sim.token_xml(m)) for m in members]
        assert register(environments, Path(env["AFAS_PIPELINE_HOME"])) == 0
        with dg.DagsterInstance.get() as instance:
            yield env, sim, instance, db


def _launch(url: str, location: str, job: str, tags: dict[str, str]) -> str:
    params = {
        "selector": {"repositoryLocationName": location, "repositoryName": "__repository__", "jobName": job},
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
    }
    launched = graphql(url, LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    assert launched["run"]["status"] == "QUEUED"  # the queued run coordinator holds it for the daemon
    return launched["run"]["runId"]


def _wait_finished(instance: dg.DagsterInstance, run_ids: list[str], timeout_s: float, logs: Path) -> list:
    deadline = time.monotonic() + timeout_s
    while True:
        records = instance.get_run_records(dg.RunsFilter(run_ids=run_ids))
        if len(records) == len(run_ids) and all(r.dagster_run.is_finished for r in records):
            return records
        assert time.monotonic() < deadline, (
            f"runs not finished: {[(r.dagster_run.run_id[:8], r.dagster_run.status) for r in records]}\n"
            + (logs / "daemon.log").read_text()[-4000:]
        )
        time.sleep(1)


def _most_at_once(records) -> int:
    edges = sorted([(r.start_time, 1) for r in records] + [(r.end_time, -1) for r in records])
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _run_workers(daemon_pid: int) -> list[int]:
    """The processes the daemon's code server started to execute runs (one per run in progress)."""
    servers = [p for p in _children(daemon_pid) if "grpc" in _cmdline(p)]
    return [c for s in servers for c in _children(s) if "spawn_main" in _cmdline(c)]


@pytest.mark.slow
def test_runs_queue_per_environment_on_postgres_and_a_killed_run_fails(deployment, tmp_path):
    env, sim, instance, db = deployment
    from pipelines.definitions import defs
    from assets.resources import WarehouseResource
    from pipelines.sensors import new_administration_keys

    # Dagster's storage is the PostgreSQL database, not SQLite files under DAGSTER_HOME.
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    # deploy/dagster.yaml's storage holds a connection per process (dagster-postgres alone: NullPool)
    assert type(instance._event_storage._engine.pool).__name__ == "QueuePool"
    assert type(instance._run_storage._engine.pool).__name__ == "QueuePool"
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator" and instance.run_monitoring_enabled
    assert defs().resolve_job_def("administrations_job").execute_in_process(instance=instance).success
    keys = new_administration_keys(instance, WarehouseResource.from_environment())
    add_partitions(instance, keys)
    with psycopg.connect(db.conninfo) as con:
        (stored,) = con.execute("SELECT count(*) FROM event_logs").fetchone()
    assert stored > 10
    assert not list(Path(env["DAGSTER_HOME"]).rglob("*.db"))

    sim.config.realism.latency_per_request_s = 0.4  # runs long enough to overlap
    with webserver_and_daemon(env, tmp_path) as (url, daemon):
        (location,) = [e["name"] for e in graphql(url, LOCATION)["workspaceOrError"]["locationEntries"]]
        by_environment: dict[str, list[str]] = {}
        for key in keys:  # every administration of both environments, all launched at once
            environment = key.rsplit("-", 1)[0]
            run_id = _launch(url, location, "administration_assets_job",
                             {"dagster/partition": key, ENVIRONMENT_TAG: environment})
            by_environment.setdefault(environment, []).append(run_id)
        assert len(by_environment) == 2 and len(by_environment["o12345"]) > RUNS_PER_ENVIRONMENT
        everything = [r for runs in by_environment.values() for r in runs]
        records = _wait_finished(instance, everything, 600, tmp_path)
        assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records), [
            (r.dagster_run.run_id, r.dagster_run.status) for r in records]
        at_once = {environment: _most_at_once([r for r in records if r.dagster_run.run_id in runs])
                   for environment, runs in by_environment.items()}
        assert at_once["o12345"] == RUNS_PER_ENVIRONMENT and at_once["o67890"] <= RUNS_PER_ENVIRONMENT, at_once
        assert _most_at_once(records) > RUNS_PER_ENVIRONMENT  # one environment's queue does not hold up the other

        # A run whose process is killed (out of memory, a machine going down) must not stay STARTED.
        sim.config.realism.latency_per_request_s = 5.0
        victim = _launch(url, location, "administration_assets_job", {"dagster/partition": keys[0],
                                                                       ENVIRONMENT_TAG: keys[0].rsplit("-", 1)[0]})
        deadline = time.monotonic() + 180
        while not (instance.get_run_by_id(victim).status == dg.DagsterRunStatus.STARTED and _run_workers(daemon.pid)):
            assert time.monotonic() < deadline, (tmp_path / "daemon.log").read_text()[-4000:]
            time.sleep(0.5)
        (worker,) = _run_workers(daemon.pid)
        os.kill(worker, signal.SIGKILL)
        (record,) = _wait_finished(instance, [victim], 120, tmp_path)
        assert record.dagster_run.status == dg.DagsterRunStatus.FAILURE
        messages = [e.message for e in instance.all_logs(victim) if e.message]
        assert any("Run execution process for" in m and "terminated by signal 9 (SIGKILL)" in m for m in messages), messages
