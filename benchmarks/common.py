"""What every benchmark needs: a warehouse in a temporary folder, a client on the simulator, timings,
and a description of the machine and versions the figures were measured on."""

from __future__ import annotations

import base64
import io
import os
import platform
import resource
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from importlib import metadata
from pathlib import Path

from benchmarks.simulator_process import ServedEnvironment

#: Rows per transaction page the client asks for: 150,000 cells // 18 fields.
TRANSACTIONS_CONNECTOR = "Visionplanner_transactions"


def versions() -> dict[str, str]:
    names = ["dagster", "duckdb", "polars", "pandera", "httpx", "orjson"]
    return {name: metadata.version(name) for name in names} | {"python": platform.python_version()}


def machine() -> dict[str, object]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib, 1),
        "os": f"{platform.system()} {platform.release()}",
    }


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def median_time(fn: Callable[[], object], repeats: int) -> tuple[float, list[float], object]:
    """Median wall time of `repeats` runs, all the times, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        seconds, result = timed(fn)
        times.append(seconds)
    return statistics.median(times), times, result


def peak_rss_mib() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time this process has used so far, all threads (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def current_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def auth_header(env: ServedEnvironment) -> str:
    return "AfasToken " + base64.b64encode(env.token_xml.encode()).decode()


def connection(env: ServedEnvironment):
    from afas.connection import Connection

    return Connection.from_token(env.code, env.token_xml, base_url=env.base_url)


def temp_warehouse(folder: Path):
    """A new embedded lake with its tables made: creating a lake (about a second of catalog work,
    once per lake) is set-up, not part of any load, so callers make it before the clock starts."""
    from warehouse import LakeSettings, Warehouse

    warehouse = Warehouse(LakeSettings.embedded(folder / "lake"))
    warehouse.ensure_all_tables()
    return warehouse


@contextmanager
def environment_variables(values: dict[str, str]) -> Iterator[None]:
    """`values` set in this process's environment for the block, the old ones back afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def pipeline_environment(folder: Path, env: ServedEnvironment, first_year: int = 2025) -> Iterator[Path]:
    """Point the pipeline's resources at `folder` and register the simulator's environment there,
    as a user would with `afas-pipeline connect`."""
    from pipelines.demo import register

    home, data = folder / "home", folder / "data"
    with environment_variables({"AFAS_PIPELINE_HOME": str(home), "AFAS_DATA_DIR": str(data),
                                "AFAS_FIRST_YEAR": str(first_year)}):
        with redirect_stdout(io.StringIO()):
            status = register([(env.code, env.base_url, env.token_xml)], home)
        if status:
            raise RuntimeError("could not register the simulator's environment")
        yield data


def connector_requests(log: list[dict], connector_id: str) -> list[dict]:
    """One GetConnector's calls in a simulator request log."""
    return [r for r in log if r["endpoint"] == f"connectors/{connector_id}"]
