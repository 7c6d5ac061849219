"""The change sensor handles every environment on its own: one that fails is skipped and reported."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from afas_simulator import Realism, Simulator, default_config
from pipelines.change_sensor import HEALTH_ASSET, afas_change_sensor
from pipelines.demo import register
from pipelines.load_all import load_everything
from assets.resources import AfasResource, WarehouseResource

# Dagster runs in process: minutes in all.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("live_defs_state_storage")]


@pytest.fixture
def two_environments(tmp_path, monkeypatch):
    with Simulator(default_config(seed=7, environments=2, administrations=1, lines_per_period=10, realism=Realism.fast())).start() as sim:
        home = tmp_path / "home"
        monkeypatch.setenv("AFAS_PIPELINE_HOME", str(home))
        monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path / "data"))
        specs = [sim.environment(m).spec for m in sim.members()]
        envs = [(spec.code, sim.base_url(spec.member), sim.token_xml(spec.member)) for spec in specs]
        assert register(envs, home) == 0
        with dg.instance_for_test() as instance:
            load_everything(instance, progress=lambda _: None)
            yield sim, instance


def tick(instance, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor,
                                      resources={"afas": AfasResource.from_environment(), "warehouse": WarehouseResource.from_environment()})
    return afas_change_sensor(context)


def test_a_failing_environment_is_skipped_reported_and_retried_while_the_others_go_on(two_environments):
    sim, instance = two_environments
    first = tick(instance)  # the starting point of both
    healthy, broken = (sim.environment(m).spec for m in sim.members())
    broken.app_connector_blocked = True  # the client revoked our access
    sim.scenario(healthy.member, "book_entry", unit_id=1)

    second = tick(instance, first.cursor)
    assert second.run_requests and all(r.partition_key is None or r.partition_key.startswith(f"o{healthy.member}")
                                       for r in second.run_requests)
    assert all(r.tags["afas/environment"] == f"o{healthy.member}" for r in second.run_requests)
    state = json.loads(second.cursor)
    (failing,) = state["failing"]
    assert failing == f"o{broken.member}" and "App Connector" in state["failing"][failing]["problem"]
    (health,) = second.asset_events
    assert health.asset_key == HEALTH_ASSET and health.metadata["failing"].value == 1
    assert f"o{broken.member}" in health.metadata["failing_environments"].value

    broken.app_connector_blocked = False  # access restored in AFAS: the next tick looks again
    third = tick(instance, second.cursor)
    assert json.loads(third.cursor)["failing"] == {}
    assert not third.run_requests and "looked at 2 of 2 environment(s)" in third.skip_reason.skip_message
    assert third.asset_events[0].metadata["failing"].value == 0


def test_the_cursor_is_plain_json_and_an_older_cursor_still_reads():
    from pipelines.change_sensor import SensorState

    change = json.dumps({"modified": "2026-11-16T09:00:00", "seen": ["a"]})
    text = SensorState({"o12345": change}, {}, None).to_json()
    assert "\\" not in text  # per-environment cursors are objects, not JSON escaped inside JSON
    assert json.loads(text)["environments"]["o12345"] == {"modified": "2026-11-16T09:00:00", "seen": ["a"]}
    assert json.loads(SensorState.from_json(text).cursors["o12345"]) == json.loads(change)
    older = json.dumps({"environments": {"o12345": change}, "failing": {}, "resume_at": None})
    assert json.loads(SensorState.from_json(older).cursors["o12345"]) == json.loads(change)
