"""Shared fixtures: a simulator on a real loopback socket, and clients pointed at it."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator

import os
import time

import pytest

# Period partitions are fixed when the definitions load: start them where the simulator's books do.
os.environ.setdefault("AFAS_FIRST_YEAR", "2025")

from afas.client import AfasClient
from afas.connection import Connection
from afas.settings import ClientSettings
from afas_simulator import Realism, Simulator, default_config

MEMBER = "12345"


@pytest.fixture(scope="session")
def simulator():
    """The default two environments with small ledgers, served over loopback for the whole session."""
    sim = Simulator(default_config(seed=4242, lines_per_period=40, realism=Realism.fast())).start()
    yield sim
    sim.stop()


@contextlib.contextmanager
def restored(simulator: Simulator) -> Iterator[Simulator]:
    """A shared simulator with faults, realism knobs and request counters reset around a test."""
    realism = dataclasses.replace(simulator.config.realism)
    simulator.faults.clear()
    simulator.stats.reset()
    try:
        yield simulator
    finally:
        simulator.faults.clear()
        for f in dataclasses.fields(realism):
            setattr(simulator.config.realism, f.name, getattr(realism, f.name))
        simulator.stats.reset()


@pytest.fixture
def sim(simulator):
    """The session simulator, restored around each test."""
    with restored(simulator) as s:
        yield s


def connection_for(sim: Simulator, member: str = MEMBER, state: str = "valid", user: str | None = None) -> Connection:
    env = sim.environment(member).spec
    return Connection.from_token(env.code, sim.token_xml(member, state, user=user), base_url=sim.base_url(member))


@pytest.fixture
def make_client(sim):
    """Clients that wait for real but briefly: back-off of 10-20 ms, pauses of 50 ms.

    `sleep=` (e.g. `tests.waits.RecordedWaits().sleep`) replaces the client's waits, for tests of
    the waits themselves: they are then recorded, not slept.
    """
    made = []

    def make(member: str = MEMBER, state: str = "valid", user: str | None = None, *, sleep=time.sleep,
             **settings) -> AfasClient:
        defaults = dict(backoff_base_s=0.01, backoff_max_s=0.02, timeout_pause_s=0.05)
        client = AfasClient(connection_for(sim, member, state, user), ClientSettings(**{**defaults, **settings}),
                            sleep=sleep)
        made.append(client)
        return client

    yield make
    for c in made:
        c.close()


@pytest.fixture(scope="module")
def live_defs_state_storage():
    """For the modules that make short-lived Dagster instances in this process (their `pytestmark`).

    Why: Dagster keeps the current instance's state storage in a context variable
    (`dagster._core.storage.defs_state.base._current_storage`) that holds a weak reference to the
    instance. An instance entered with `with` sets it and does not always reset it on exit, so once
    that instance is gone a dead storage can be left there, and the next definitions load in the
    process (`DefinitionsLoadContext`, via the private `DefsStateStorage.get`) fails on the dead
    reference. Production processes hold one instance for good, so only tests meet this. Here, while
    such a module runs, a storage whose instance is gone counts as no storage; when it ends the
    variable is cleared, so nothing dead is left for the modules after it. Private Dagster API (pinned
    release in pyproject.toml): check it again when Dagster is upgraded.
    """
    from dagster._core.storage.defs_state.base import DefsStateStorage, _current_storage

    def live(cls):
        storage = _current_storage.get()
        if storage is None:
            return None
        try:
            storage._instance  # noqa: B018 - resolves the weak reference, raises when it is dead
        except Exception:
            _current_storage.set(None)
            return None
        return storage

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DefsStateStorage, "get", classmethod(live))
        yield
    _current_storage.set(None)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """A PostgreSQL server the tests may create databases on (`AFAS_TEST_POSTGRES_URL`, or a throwaway one)."""
    from tests.postgres_server import resolve_server

    return resolve_server()


@contextlib.contextmanager
def lake_on(catalog: str, folder, server_url: str | None, **options):
    """A fresh, empty lake with a SQLite or a PostgreSQL (fresh database) catalog; closed afterwards."""
    from tests.postgres_server import fresh_database
    from warehouse import LakeSettings
    from warehouse.store import close_all

    try:
        if catalog == "sqlite":
            yield LakeSettings.embedded(folder / "lake", **options)
        else:
            with fresh_database("afas_lake", server_url=server_url) as db:
                try:
                    yield LakeSettings.postgres(db.conninfo, str(folder / "lake-data"), **options)
                finally:
                    close_all()  # before the database is dropped
    finally:
        close_all()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.services)])
def any_lake(request, tmp_path):
    """An empty lake on each catalog in turn: the same code path, only the setting differs."""
    server = request.getfixturevalue("postgres_server") if request.param == "postgres" else None
    with lake_on(request.param, tmp_path, server, busy_timeout_s=30) as settings:
        yield settings
