"""The `/_simulator/` admin endpoint: statistics, faults, scenarios, clock, realism."""

from __future__ import annotations

import httpx
import pytest

from catalog import ACCOUNTS, TRANSACTIONS
from tests.afas_simulator.http_support import MEMBER, afas_client, make_simulator, slice_filter, small_config


@pytest.fixture
def own():
    """A simulator of its own: these tests change data and the clock."""
    with make_simulator(small_config()) as sim:
        yield sim


def _admin(sim, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, f"{sim.url}/_simulator/{path}", **kwargs)


def test_environments_lists_base_urls_and_demo_tokens(srv):
    envs = {e["member"]: e for e in _admin(srv, "GET", "environments").json()}
    assert envs[MEMBER]["code"] == "O12345AA"
    assert envs[MEMBER]["base_url"] == srv.base_url(MEMBER)
    assert envs[MEMBER]["token_xml"] == srv.token_xml(MEMBER)
    assert envs[MEMBER]["administrations"] == [1, 2, 3]
    assert envs["67890"]["code"] == "O67890AB" and envs["67890"]["administrations"] == [1, 2]


def test_admin_needs_no_afas_token_and_is_not_counted(srv, client):
    client.get("profitversion")
    client.get(f"connectors/{TRANSACTIONS.id}", params={"take": 1})
    client.get(f"connectors/{TRANSACTIONS.id}", params={"take": 2})
    stats = _admin(srv, "GET", "stats", params={"member": MEMBER}).json()
    assert stats["counts"] == {"profitversion": 1, f"connectors/{TRANSACTIONS.id}": 2}
    assert [(r["method"], r["status"], r["rows"]) for r in stats["requests"]] == [
        ("GET", 200, 0),
        ("GET", 200, 1),
        ("GET", 200, 2),
    ]
    assert stats["requests"][1]["query"] == "take=1"
    assert "requests" not in _admin(srv, "GET", "stats", params={"member": MEMBER, "log": "0"}).json()
    assert _admin(srv, "POST", "stats/reset", json={"member": MEMBER}).status_code == 200
    assert _admin(srv, "GET", "stats", params={"member": MEMBER}).json()["counts"] == {}


def test_faults_through_the_admin_endpoint(srv, client):
    r = _admin(srv, "POST", "faults", json={"kind": "503", "times": 1, "retry_after": 5})
    assert r.status_code == 200 and r.json()["kind"] == "503"
    assert len(_admin(srv, "GET", "faults").json()) == 1
    assert client.get("profitversion").json()["retry_after"] == 5
    _admin(srv, "POST", "faults", json={"kind": "500", "times": None})
    assert client.get("profitversion").status_code == 500
    assert _admin(srv, "POST", "faults/clear").status_code == 200
    assert client.get("profitversion").status_code == 200
    assert _admin(srv, "POST", "faults", json={"kind": "meteor"}).status_code == 400
    assert _admin(srv, "POST", "faults", json={"kind": "500", "color": "red"}).status_code == 400


def test_realism_through_the_admin_endpoint(srv, client):
    r = _admin(srv, "POST", "realism", json={"cell_budget": 10})
    assert r.status_code == 200 and r.json()["cell_budget"] == 10
    assert client.get(f"connectors/{TRANSACTIONS.id}").status_code == 500
    assert _admin(srv, "POST", "realism", json={"nonsense": 1}).status_code == 400


def test_scenario_changes_the_served_data(own):
    with afas_client(own) as c:
        year = own.clock.now().year
        find = {"member": MEMBER, "op": "find_entries", "args": {"unit_id": 1, "year": year, "period": 1}}
        entries = _admin(own, "POST", "scenario", json=find).json()["result"]
        assert entries
        params = {**slice_filter(1, year, 1), "orderbyfieldids": "EntryNo,SeqNo", "skip": -1, "take": -1}
        before = {r["EntryNo"] for r in c.get(f"connectors/{TRANSACTIONS.id}", params=params).json()["rows"]}
        assert set(entries) == before
        delete = {"member": MEMBER, "op": "delete_entry", "args": {"unit_id": 1, "entry_no": entries[0]}}
        r = _admin(own, "POST", "scenario", json=delete)
        assert r.status_code == 200, r.text
        # The same ordered query was cached; the change must show at once.
        after = {r["EntryNo"] for r in c.get(f"connectors/{TRANSACTIONS.id}", params=params).json()["rows"]}
        assert after == before - {entries[0]}


def test_scenario_rename_account_shows_in_the_chart_of_accounts(own):
    with afas_client(own) as c:
        params = {
            "filterfieldids": "UnitId",
            "filtervalues": "1",
            "operatortypes": "1",
            "orderbyfieldids": "AccountNo",
            "take": 1,
        }
        account = c.get(f"connectors/{ACCOUNTS.id}", params=params).json()["rows"][0]
        own.scenario(MEMBER, "rename_account", unit_id=1, account_no=account["AccountNo"], description="Nieuwe naam")
        renamed = c.get(f"connectors/{ACCOUNTS.id}", params=params).json()["rows"][0]
    assert renamed["AccountNo"] == account["AccountNo"]
    assert renamed["Description"] == "Nieuwe naam"


def test_scenario_errors(own):
    assert _admin(own, "POST", "scenario", json={"member": MEMBER, "op": "drop_database"}).status_code == 400
    unknown = {"member": "99999", "op": "book_entry", "args": {"unit_id": 1}}
    assert _admin(own, "POST", "scenario", json=unknown).status_code == 404
    assert _admin(own, "POST", "scenario", content=b"not json").status_code == 400
    assert _admin(own, "GET", "nothing-here").status_code == 404


def test_clock(own):
    now = _admin(own, "GET", "clock").json()["now"]
    moved = _admin(own, "POST", "clock", json={"seconds": 3600}).json()["now"]
    assert moved > now
    assert own.clock.now().isoformat() == moved
    assert _admin(own, "POST", "clock", json={"seconds": -1}).status_code == 400
