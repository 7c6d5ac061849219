"""Fault injection over HTTP: scripted faults, seeded random faults, the in-flight cap."""

from __future__ import annotations

import threading

import httpx
import pytest

from catalog import ACCOUNTS, TRANSACTIONS
from afas_simulator.messages import BLOCKED_TEXT, TIMEOUT_TEXT, TOO_MANY_IN_FLIGHT_TEXT, TRANSIENT_TEXT
from tests.afas_simulator.http_support import MEMBER, afas_client, assert_afas_error, make_simulator, small_config

URL = f"connectors/{TRANSACTIONS.id}"


def test_scripted_503_fires_the_given_number_of_times(client, srv):
    srv.faults.script("503", times=2, retry_after=3)
    for _ in range(2):
        r = client.get("profitversion")
        assert r.status_code == 503 and r.json()["retry_after"] == 3
    assert client.get("profitversion").status_code == 200
    assert srv.faults.pending() == []


def test_scripted_500_is_transient(client, srv):
    srv.faults.script("500")
    assert_afas_error(client.get(URL), 500, TRANSIENT_TEXT)
    assert client.get(URL).status_code == 200
    srv.faults.script("500", message="Transaction was deadlocked")
    assert_afas_error(client.get(URL), 500, "Transaction was deadlocked")


def test_scripted_reset_is_a_transport_error(client, srv):
    srv.faults.script("reset")
    with pytest.raises(httpx.TransportError):
        client.get(URL)
    # The client reconnects; the next call is answered.
    assert client.get(URL).status_code == 200


def test_scripted_timeout_answers_afas_time_out_text_after_a_delay(client, srv, waits):
    srv.faults.script("timeout", delay=0.2)
    assert_afas_error(client.get(URL), 500, TIMEOUT_TEXT)
    assert waits.waits == [0.2]


def test_scripted_slow_call_succeeds_late(client, srv, waits):
    srv.faults.script("slow", delay=0.3)
    assert client.get(URL).status_code == 200
    assert waits.waits == [0.3]  # Realism.fast(): no modelled latency, only the scripted delay
    assert client.get(URL).status_code == 200
    assert waits.waits == [0.3], "the next call is not slowed"


def test_scripted_blocked_hits_only_its_connector(client, srv):
    srv.faults.script("blocked", times=None, connector=TRANSACTIONS.id)
    assert client.get("profitversion").status_code == 200
    assert client.get(f"connectors/{ACCOUNTS.id}").status_code == 200
    for _ in range(3):
        assert_afas_error(client.get(URL), 500, BLOCKED_TEXT)
    srv.faults.clear()
    assert client.get(URL).status_code == 200


def test_scripted_fault_for_one_environment(srv):
    srv.faults.script("500", member="67890")
    with afas_client(srv) as c:
        assert c.get("profitversion").status_code == 200
    with afas_client(srv, "67890") as c:
        assert c.get("profitversion").status_code == 500


def test_unknown_fault_kind_is_refused(srv):
    with pytest.raises(ValueError):
        srv.faults.script("meteor")


def test_more_than_max_in_flight_calls_fail_and_stats_see_them(srv):
    srv.config.realism.latency_per_request_s = 1.0
    barrier = threading.Barrier(9)
    statuses: list[int] = []
    bodies: list[dict] = []
    lock = threading.Lock()

    def call() -> None:
        with afas_client(srv) as c:
            barrier.wait()
            r = c.get(URL, params={"take": 1})
        with lock:
            statuses.append(r.status_code)
            if r.status_code != 200:
                bodies.append(r.json())

    threads = [threading.Thread(target=call) for _ in range(9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] * 8 + [500]
    assert bodies[0]["externalMessage"] == TOO_MANY_IN_FLIGHT_TEXT
    stats = srv.stats[MEMBER]
    assert stats.max_in_flight == 9
    assert stats.in_flight == 0
    assert stats.count(f"connectors/{TRANSACTIONS.id}") == 9


def _statuses(seed: int, calls: int, hits: dict | None = None) -> list[int]:
    config = small_config(seed, transient_error_rate=0.3, reset_rate=0.2)
    out = []
    with make_simulator(config) as sim, afas_client(sim) as c:
        for _ in range(calls):
            try:
                out.append(c.get("profitversion").status_code)
            except httpx.TransportError:
                out.append(0)
        if hits is not None:
            hits.update(sim.faults.random_hits())
    return out


def test_random_faults_are_seeded():
    first, again, other = _statuses(11, 40), _statuses(11, 40), _statuses(12, 40)
    assert first == again
    assert first != other
    assert {0, 200, 500} <= set(first)


def test_random_faults_are_counted_as_they_hit():
    hits: dict = {}
    statuses = _statuses(11, 40, hits)
    assert hits == {"500": statuses.count(500), "reset": statuses.count(0)}
