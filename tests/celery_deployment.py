"""A Celery deployment on this machine, as several machines would run it: a RabbitMQ virtual host,
one folder per "machine" (Dagster's home with `deploy/dagster.yaml`, scratch, logs, AFAS credentials),
`dagster-celery` workers, and jobs launched with `dagster job execute`.

Shared by the end-to-end test of the Celery workers and the scale-out benchmark; no pytest here, so
the benchmarks can use it too.
"""

from __future__ import annotations

import collections
import contextlib
import json
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.dagster_processes import BIN, ROOT, started

#: AFAS's cap of calls in flight per environment, as the deployment sets it (AFAS_MAX_IN_FLIGHT).
CAP = 5


@contextlib.contextmanager
def rabbitmq_vhost() -> Iterator[str]:
    """A virtual host of its own on the machine's RabbitMQ, deleted afterwards with all its queues;
    yields its broker URL. Raises RuntimeError when there is no RabbitMQ server here."""
    if shutil.which("rabbitmqctl") is None:
        raise RuntimeError("rabbitmqctl is not on this machine: a Celery deployment needs the RabbitMQ server "
                           "(port 5672)")
    name = f"afas_test_{secrets.token_hex(4)}"
    subprocess.run(["rabbitmqctl", "add_vhost", name], check=True, capture_output=True)
    try:
        subprocess.run(["rabbitmqctl", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"], check=True,
                       capture_output=True)
        yield f"amqp://guest:guest@127.0.0.1:5672/{name}"
    finally:
        subprocess.run(["rabbitmqctl", "delete_vhost", name], check=False, capture_output=True)


def shared_env(*, broker: str, dagster_url: str, lake_url: str, lake_data: Path, cap: int = CAP) -> dict[str, str]:
    """What every machine of the deployment is given alike: Dagster's PostgreSQL (`dagster_url`, a libpq
    URL), the Celery executor and broker, the lake's catalog (`lake_url`) and its one shared data path."""
    return {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "DAGSTER_POSTGRES_URL": dagster_url.replace("postgresql://", "postgresql+psycopg2://", 1),
        "AFAS_EXECUTOR": "celery",
        "AFAS_CELERY_BROKER": broker,
        "AFAS_CELERY_BACKEND": "rpc://",
        "AFAS_WAREHOUSE": lake_url,
        "AFAS_WAREHOUSE_DATA": str(lake_data),
        "AFAS_MAX_IN_FLIGHT": str(cap),
    }


def machine(root: Path, shared: dict[str, str], afas_home: Path) -> dict[str, str]:
    """A machine's own folders under `root` (made here): Dagster's home, scratch and logs, the AFAS
    credentials (a copy of `afas_home`, as `afas-pipeline connect` run on that machine), the data dir."""
    (root / "dagster").mkdir(parents=True)
    shutil.copy(ROOT / "deploy" / "dagster.yaml", root / "dagster" / "dagster.yaml")
    shutil.copytree(afas_home, root / "afas-home")
    return {**shared, "DAGSTER_HOME": str(root / "dagster"), "DAGSTER_LOCAL_ARTIFACT_DIR": str(root / "artifacts"),
            "DAGSTER_COMPUTE_LOG_DIR": str(root / "logs"), "AFAS_PIPELINE_HOME": str(root / "afas-home"),
            "AFAS_DATA_DIR": str(root / "data")}


#: The variables a process that opens the launcher's Dagster instance itself must have set as well.
INSTANCE_VARIABLES = ("DAGSTER_POSTGRES_URL", "DAGSTER_LOCAL_ARTIFACT_DIR", "DAGSTER_COMPUTE_LOG_DIR")


def migrate(env: dict[str, str]) -> None:
    """Dagster's tables first, once: pieces started together on an empty database race creating them
    ("relation instance_info already exists"), as the README's deployment steps say."""
    done = subprocess.run([str(BIN / "dagster"), "instance", "migrate"], cwd=ROOT, env={**env},
                          capture_output=True, text=True, timeout=300)
    if done.returncode:
        raise RuntimeError(f"dagster instance migrate failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


@contextlib.contextmanager
def celery_workers(envs: list[dict[str, str]], folder: Path, concurrency: int = 2) -> Iterator[list[Path]]:
    """One `dagster-celery` worker per environment in `envs`, named afas-1, afas-2, …, each taking
    `concurrency` steps at once; yields their log files. All are stopped however the block ends."""
    logs = [folder / f"worker-{i}.log" for i in range(1, len(envs) + 1)]
    with contextlib.ExitStack() as workers:
        for i, (env, log) in enumerate(zip(envs, logs), start=1):
            workers.enter_context(started(
                ["dagster-celery", "worker", "start", "-A", "dagster_celery.app", "-y",
                 str(ROOT / "deploy" / "celery.yaml"), "-n", f"afas-{i}", "--", f"--concurrency={concurrency}"],
                env, log))
        yield logs


def wait_until_ready(logs: list[Path], timeout_s: float = 120) -> None:
    """Waits until every worker has logged Celery's "ready." (connected, its pool started)."""
    deadline = time.monotonic() + timeout_s
    while not all(log.exists() and " ready." in log.read_text(errors="replace") for log in logs):
        if time.monotonic() > deadline:
            raise RuntimeError("the Celery workers did not come up: " + tail(logs))
        time.sleep(0.2)


def tail(logs: list[Path], chars: int = 2000) -> str:
    return "".join(log.read_text(errors="replace")[-chars:] for log in logs if log.exists())


def job_execute(env: dict[str, str], job: str, tags: dict[str, str] | None = None,
                timeout_s: float = 900) -> subprocess.CompletedProcess:
    """`dagster job execute -m pipelines.definitions -a defs -j JOB [--tags …]` in the launcher's environment."""
    args = [str(BIN / "dagster"), "job", "execute", "-m", "pipelines.definitions", "-a", "defs", "-j", job]
    if tags:
        args += ["--tags", json.dumps(tags)]
    return subprocess.run(args, cwd=ROOT, env={**env}, capture_output=True, text=True, timeout=timeout_s)


def steps_per_worker(instance, run_id: str) -> collections.Counter:
    """How many of the run's steps each Celery worker (its hostname, `afas-1@…`) executed."""
    import dagster as dg

    return collections.Counter(
        e.dagster_event.engine_event_data.metadata["Celery worker"].value
        for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)
        if e.dagster_event.engine_event_data and "Celery worker" in e.dagster_event.engine_event_data.metadata
    )
