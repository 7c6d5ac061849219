"""Dagster's own server processes for end-to-end tests: started as a user starts them, spoken to
through the GraphQL API the UI uses, and stopped with everything they started."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from pipelines.demo import free_port

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def graphql(url: str, query: str, variables: dict | None = None) -> dict:
    response = httpx.post(url, json={"query": query, "variables": variables or {}}, timeout=60)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def stop(process: subprocess.Popen) -> None:
    """Ends a process started in its own session, and all it started (Dagster's code servers, run workers)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(wait)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            continue


@contextlib.contextmanager
def started(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """`args` (a Dagster command in this virtual environment) in its own session, logging to `log`."""
    with open(log, "wb") as out:
        process = subprocess.Popen([str(BIN / args[0]), *args[1:]], cwd=ROOT, env={**os.environ, **env},
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            yield process
        finally:
            stop(process)


def wait_for_graphql(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            graphql(url, "{ version }")
            return
        except (httpx.HTTPError, AssertionError, KeyError):
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"the Dagster webserver did not come up: {log.read_text()[-3000:]}"
            time.sleep(1)


@contextlib.contextmanager
def dagster_dev(env: dict[str, str], folder: Path) -> Iterator[str]:
    """`dagster dev -w workspace.yaml` (webserver and daemon in one); yields its GraphQL URL."""
    port = free_port(0)
    log = folder / "dagster-dev.log"
    with started(["dagster", "dev", "-w", "workspace.yaml", "-p", str(port)], env, log) as process:
        url = f"http://127.0.0.1:{port}/graphql"
        wait_for_graphql(url, process, log)
        yield url


@contextlib.contextmanager
def webserver_and_daemon(env: dict[str, str], folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`dagster-webserver` and `dagster-daemon run` as separate processes, as a deployment runs them;
    yields the GraphQL URL and the daemon (whose code server starts the runs)."""
    port = free_port(0)
    with started(["dagster-daemon", "run", "-w", "workspace.yaml"], env, folder / "daemon.log") as daemon, \
            started(["dagster-webserver", "-w", "workspace.yaml", "-p", str(port)], env, folder / "webserver.log") as web:
        url = f"http://127.0.0.1:{port}/graphql"
        wait_for_graphql(url, web, folder / "webserver.log")
        yield url, daemon
