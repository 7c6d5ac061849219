"""Helpers for the simulator's HTTP tests: configurations, plain httpx clients, error checks."""

from __future__ import annotations

import base64
import contextlib

import re

import httpx

from catalog import ADMINISTRATIONS, PERIOD_VALUES, TRANSACTIONS
from afas_simulator import Realism, Simulator, SimulatorConfig, default_config
from afas_simulator.definitions import FieldChanges
from afas_simulator.simulator import default_environment

SEED = 777
MEMBER = "12345"
#: A transactions slice with a known, multi-page number of lines.
BIG_SLICE = (1, 2025, 3)
BIG_SLICE_LINES = 450
#: Environments whose App Connector is set up in a particular way.
RESTRICTED = "55555"  # only three GetConnectors ticked (one of them blocked), no documents
IP_LIMITED = "44444"  # calls only allowed from 10.1.2.3
BLOCKED_APP = "33333"  # the App Connector is blocked


def server_config(seed: int = SEED) -> SimulatorConfig:
    """The two default environments (small ledgers) plus three oddly configured ones."""
    config = default_config(seed, lines_per_period=20, realism=Realism.fast())
    config.environments[0].ledger.big_slices = {BIG_SLICE: BIG_SLICE_LINES}
    restricted = default_environment(seed, RESTRICTED, "O55555AC", administrations=1, lines_per_period=5)
    restricted.ticked = frozenset({ADMINISTRATIONS.id, TRANSACTIONS.id, PERIOD_VALUES.id})
    restricted.blocked_connectors = frozenset({PERIOD_VALUES.id})
    ip_limited = default_environment(seed, IP_LIMITED, "O44444AD", administrations=1, lines_per_period=5)
    ip_limited.allowed_ips = frozenset({"10.1.2.3"})
    blocked = default_environment(seed, BLOCKED_APP, "O33333AE", administrations=1, lines_per_period=5)
    blocked.app_connector_blocked = True
    config.environments += [restricted, ip_limited, blocked]
    return config


def make_simulator(config: SimulatorConfig) -> Simulator:
    """A simulator (not yet started) on the generated ledger."""
    return Simulator(config)


def small_config(seed: int = SEED, **realism: object) -> SimulatorConfig:
    """One environment with one small administration, for tests that need their own simulator."""
    config = default_config(seed, environments=1, administrations=1, lines_per_period=10, realism=Realism.fast())
    for name, value in realism.items():
        setattr(config.realism, name, value)
    return config


def afas_client(sim: Simulator, member: str = MEMBER, **kwargs: object) -> httpx.Client:
    """An httpx client on an environment's base URL, authorised with its valid token."""
    headers = {"Authorization": sim.token_header(member)}
    return httpx.Client(base_url=sim.base_url(member) + "/", headers=headers, timeout=30, **kwargs)



HEX32 = re.compile(r"^[0-9A-F]{32}$", re.I)


def assert_afas_error(response: httpx.Response, status: int, message: str | None = None) -> dict:
    """The response is AFAS's error body `{"externalMessage","errorNumber","profitLogReference"}`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"externalMessage", "errorNumber", "profitLogReference"}
    assert isinstance(body["errorNumber"], int)
    assert HEX32.match(body["profitLogReference"])
    if message is not None:
        assert body["externalMessage"] == message
    # The obsolete header AFAS sends beside the body: base64 of the same message.
    assert base64.b64decode(response.headers["x-profit-error"]).decode("utf-8") == body["externalMessage"]
    return body


def slice_filter(unit: int, year: int, period: int) -> dict[str, str]:
    """Query parameters that select one administration × year × period."""
    return {"filterfieldids": "UnitId,Year,Period", "filtervalues": f"{unit},{year},{period}", "operatortypes": "1,1,1"}


@contextlib.contextmanager
def definition(sim: Simulator, connector_id: str, changes: FieldChanges, member: str = MEMBER):
    """The environment's definition of one connector changed for the duration of the block."""
    env = sim.environment(member).spec
    saved = dict(env.field_changes)
    env.field_changes = {**saved, connector_id: changes}
    try:
        yield
    finally:
        env.field_changes = saved
