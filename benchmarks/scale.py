"""9. Scale: an accountancy firm's 300 AFAS environments (3 administrations each, two with a broken
token) at 300 ms per AFAS call — the change sensor's ticks, how long until every environment was
looked at, Dagster's partition count, and how fast the asset page's partition data loads.

The simulator builds each environment's books on first use; that is warmed first, untimed, as in
every benchmark. The sensor runs in this process as Dagster's daemon evaluates it (`afas_change_sensor` with the
cursor of the tick before). Dagster starts a tick at most every `minimum_interval_seconds`, so an
environment left for the next tick is seen that much later: "until all seen" counts that wait. The
asset page is timed through the GraphQL queries the UI sends for it (a real `dagster-webserver` on
a Dagster instance holding the 900 administrations and every period since 2020); a browser would
add its own rendering on top.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.common import timed
from benchmarks.simulator_process import SimulatorProcess

ENVIRONMENTS = 300
ADMINISTRATIONS = 3
BROKEN = 2
PER_REQUEST_S = 0.3
FIRST_YEAR = 2020
TARGET_TICK_S = 45.0
TARGET_ALL_SEEN_S = 600.0
MAX_TICKS = 6
ROOT = Path(__file__).resolve().parents[1]

#: What the asset page asks for a partitioned asset: its partition keys per dimension and the
#: status of every partition (the partition bar and grid).
ASSET_PAGE = """
query AssetPartitions($key: AssetKeyInput!) {
  assetNodeOrError(assetKey: $key) {
    ... on AssetNode {
      partitionKeysByDimension { name partitionKeys }
      partitionStats { numMaterialized numPartitions numFailed numMaterializing }
      assetPartitionStatuses {
        __typename
        ... on MultiPartitionStatuses {
          primaryDimensionName
          ranges { primaryDimStartKey primaryDimEndKey
                   secondaryDim { ... on DefaultPartitionStatuses { materializedPartitions failedPartitions } } }
        }
      }
    }
  }
}"""


def _register(home: Path, environments, broken: set[str]) -> None:
    """What `afas-pipeline connect` stores, without its check call per environment (set-up, not measured)."""
    from afas_simulator.auth import token_xml
    from afas.environments import EnvironmentEntry, EnvironmentStore

    store = EnvironmentStore(home)
    for env in environments:
        # A revoked token looks to AFAS like an unknown one: 401 on every call.
        token = token_xml(secrets.token_hex(32).upper()) if env.member in broken else env.token_xml
        store.save(EnvironmentEntry(name=f"o{env.member}", environment_code=env.code, base_url=env.base_url), token)


def _warm(environments) -> None:
    """Untimed: the simulator builds an environment's books on its first call (about 0.2 s of its CPU
    each, 60 s for 300 on one core), which AFAS does not make us pay for (see README: every
    benchmark loads its data once first)."""
    from concurrent.futures import ThreadPoolExecutor

    import catalog

    def one(env) -> None:
        header = {"Authorization": "AfasToken " + base64.b64encode(env.token_xml.encode()).decode()}
        for connector in (catalog.CHANGED_ENTRY_DATES, catalog.ACCOUNTS, catalog.ADMINISTRATIONS):
            httpx.get(f"{env.base_url}/connectors/{connector.id}", params={"skip": 0, "take": 1},
                      headers=header, timeout=120).raise_for_status()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, environments))


def _ticks(sim: SimulatorProcess, members: list[str]) -> dict:
    import dagster as dg

    from pipelines.change_sensor import TICK_BUDGET_S, afas_change_sensor
    from assets.resources import AfasResource, WarehouseResource

    interval = afas_change_sensor.minimum_interval_seconds
    seen: dict[str, int] = {}  # member → the tick (1-based) in which it was first looked at
    ticks, cursor = [], None
    with dg.instance_for_test() as instance:
        for number in range(1, MAX_TICKS + 1):
            before = sim.all_counts()
            context = dg.build_sensor_context(
                instance=instance, cursor=cursor, resources={"afas": AfasResource.from_environment(), "warehouse": WarehouseResource.from_environment()})
            seconds, result = timed(lambda: afas_change_sensor(context))
            after = sim.all_counts()
            looked = [m for m in members if after.get(m, 0) > before.get(m, 0)]
            for member in looked:
                seen.setdefault(member, number)
            cursor = result.cursor
            ticks.append({"seconds": round(seconds, 1), "environments_looked_at": len(looked)})
            if len(seen) == len(members) and number >= 2:  # every one seen, and one tick from a cursor
                break
        state = json.loads(cursor)
    last_first_seen = max(seen.values()) if len(seen) == len(members) else None
    until_all = None
    if last_first_seen is not None:
        until_all = (last_first_seen - 1) * interval + ticks[last_first_seen - 1]["seconds"]
    return {
        "tick_budget_s": TICK_BUDGET_S,
        "sensor_interval_s": interval,
        "ticks": ticks,
        "longest_tick_s": max(t["seconds"] for t in ticks),
        "ticks_until_all_seen": last_first_seen,
        "seconds_until_all_seen": round(until_all, 1) if until_all is not None else None,
        "failing_reported": sorted(state["failing"]),
    }


def _partitions(dagster_home: Path, admin_keys: list[str]) -> dict:
    import dagster as dg

    from catalog.periods import PERIODS
    from assets.partitions import add_partitions, administration_period_partitions, period_keys

    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        add_partitions(instance, admin_keys)
        seconds, keys = timed(lambda: administration_period_partitions.get_partition_keys(
            dynamic_partitions_store=instance))
        # Some history, so the page has statuses to show: three administrations' periods loaded.
        for admin in admin_keys[:3]:
            for period in period_keys():
                instance.report_runless_asset_event(dg.AssetMaterialization(
                    asset_key="transactions", partition=dg.MultiPartitionKey({"administration": admin, "period": period})))
    next_year = time.gmtime().tm_year + 1
    return {
        "administrations": len(admin_keys),
        "periods": len(period_keys()),
        "partitions": len(keys),
        "listing_s": round(seconds, 2),
        "before_this_change": len(admin_keys) * len(PERIODS) * (next_year - FIRST_YEAR + 1),
        "dagster_documented_ceiling": 100_000,
    }


def _asset_page(dagster_home: Path, env: dict[str, str]) -> dict:
    from pipelines.demo import free_port

    port = free_port(0)
    url = f"http://127.0.0.1:{port}/graphql"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-webserver"), "-w", "workspace.yaml", "-p", str(port)],
        cwd=ROOT, env={**os.environ, **env, "DAGSTER_HOME": str(dagster_home)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.post(url, json={"query": "{ version }"}, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("dagster-webserver did not come up")
            time.sleep(1)

        def load() -> dict:
            reply = httpx.post(url, json={"query": ASSET_PAGE, "variables": {"key": {"path": ["transactions"]}}},
                               timeout=300)
            reply.raise_for_status()
            body = reply.json()
            if "errors" in body:
                raise RuntimeError(body["errors"])
            return body["data"]["assetNodeOrError"]

        first_s, node = timed(load)
        warm = [timed(load)[0] for _ in range(3)]
    finally:
        os.killpg(process.pid, 15)
        process.wait(30)
    return {
        "first_load_s": round(first_s, 2),
        "warm_load_s": round(statistics.median(warm), 2),
        "partitions_shown": node["partitionStats"]["numPartitions"],
        "materialized_shown": node["partitionStats"]["numMaterialized"],
    }


def run() -> dict:
    args = ["--environments", str(ENVIRONMENTS), "--administrations", str(ADMINISTRATIONS), "--lines-per-period", "2"]
    with SimulatorProcess(*args) as sim, tempfile.TemporaryDirectory() as tmp:
        environments = sim.environments()
        members = [e.member for e in environments]
        broken = set(members[:: ENVIRONMENTS // BROKEN][:BROKEN])
        env = {"AFAS_PIPELINE_HOME": f"{tmp}/home", "AFAS_DATA_DIR": f"{tmp}/data", "AFAS_FIRST_YEAR": str(FIRST_YEAR)}
        os.environ.update(env)
        _register(Path(env["AFAS_PIPELINE_HOME"]), environments, broken)
        _warm(environments)
        sim.reset_stats()
        sim.set_realism(latency_per_request_s=PER_REQUEST_S)
        sensor = _ticks(sim, members)
        assert sensor["failing_reported"] == sorted(f"o{m}" for m in broken), sensor["failing_reported"]
        dagster_home = Path(tmp) / "dagster"
        dagster_home.mkdir()
        (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        admin_keys = [f"o{e.member}-{unit}" for e in environments for unit in e.administrations]
        partitions = _partitions(dagster_home, admin_keys)
        page = _asset_page(dagster_home, env)
    return {
        "environments": ENVIRONMENTS,
        "administrations_per_environment": ADMINISTRATIONS,
        "broken_tokens": BROKEN,
        "latency": f"{PER_REQUEST_S * 1000:.0f} ms per call",
        "change_sensor": sensor,
        "partitions": partitions,
        "asset_page": page,
        "target_longest_tick_s": TARGET_TICK_S,
        "target_all_seen_s": TARGET_ALL_SEEN_S,
    }
