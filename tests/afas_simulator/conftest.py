"""Fixtures for the simulator's HTTP tests: a served simulator and plain httpx clients.

These tests talk to the simulator with httpx over loopback, never through the project's client
(`afas/`): they pin down the wire contract the client is written against.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from afas_simulator import Simulator
from tests.conftest import restored
from tests.waits import RecordedWaits
from tests.afas_simulator.http_support import afas_client, make_simulator, server_config


@pytest.fixture(scope="session")
def served() -> Iterator[Simulator]:
    """One simulator for the read-only HTTP tests of this folder."""
    with make_simulator(server_config()) as sim:
        yield sim


@pytest.fixture
def srv(served: Simulator) -> Iterator[Simulator]:
    """The shared simulator with faults, statistics and realism knobs restored around each test."""
    with restored(served) as sim:
        yield sim


@pytest.fixture
def client(srv: Simulator) -> Iterator[httpx.Client]:
    """A client of environment 12345 of the shared simulator."""
    with afas_client(srv) as c:
        yield c


@pytest.fixture
def waits(srv: Simulator, monkeypatch) -> RecordedWaits:
    """The shared simulator's simulated work and scripted delays, recorded instead of slept."""
    recorded = RecordedWaits()
    monkeypatch.setattr(srv.faults, "sleep", recorded.sleep)
    return recorded
