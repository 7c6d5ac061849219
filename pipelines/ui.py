"""`make ui`: Dagster's UI against the simulator, with the demo's folders and runs.

Starts the simulator as its own process (the code location and every run process must reach the
same one), registers its environments, and runs `dagster dev -w workspace.yaml` until Ctrl-C; then
stops both. Point it at a real AFAS environment instead by running `dagster dev -w workspace.yaml`
yourself after `afas-pipeline connect`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from pipelines.demo import (
    DEMO_PORT,
    demo_environment,
    free_port,
    prepare_dagster_home,
    register,
    simulator_environments,
)


def _wait_until_up(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"the simulator did not come up at {url}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _exit_on_signal(signum: int, frame: object) -> None:
    # Turn TERM/HUP into an exception so the `finally` below stops Dagster and the simulator too.
    raise KeyboardInterrupt


def run() -> int:
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    port = free_port(int(os.environ.get("AFAS_SIMULATOR_PORT") or DEMO_PORT))
    env = {**os.environ, **demo_environment(port)}
    os.environ.update(env)
    prepare_dagster_home(Path(env["DAGSTER_HOME"]))
    simulator = subprocess.Popen(
        # The demo's AFAS-like behaviour (`Realism.rehearsal()`, see pipelines.demo).
        [sys.executable, "-m", "afas_simulator", "--port", str(port), "--profile", "rehearsal"],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL,
    )
    dagster = None
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/_simulator/environments")
        code = register(simulator_environments(port), Path(env["AFAS_PIPELINE_HOME"]))
        if code:
            return code
        print(f"Simulator on port {port}; starting Dagster (Ctrl-C stops both) ...", flush=True)
        dagster = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml"],
            env=env, start_new_session=True,
        )
        return dagster.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        if dagster is not None:
            _stop(dagster)
        _stop(simulator)


if __name__ == "__main__":
    raise SystemExit(run())
