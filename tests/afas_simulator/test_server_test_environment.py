"""A test environment beside production: its own books and tokens, at `.resttest.` and `/T{member}/`."""

from __future__ import annotations

import httpx
import pytest

from catalog import TRANSACTIONS
from afas_simulator import Realism, Simulator, default_config
from tests.afas_simulator.http_support import MEMBER, SEED, make_simulator, slice_filter

TEST = "T" + MEMBER
SLICE = (1, 2025, 3)


def _config(**options):
    return default_config(SEED, lines_per_period=10, realism=Realism.fast(), **options)


@pytest.fixture(scope="module")
def both():
    """Member 12345 in production and in test, beside production 67890."""
    with make_simulator(_config(test_environments=[MEMBER])) as sim:
        yield sim


def _rows(sim, url: str, authorization: str, host: str | None = None) -> httpx.Response:
    headers = {"Authorization": authorization, **({"Host": host} if host else {})}
    params = {**slice_filter(*SLICE), "orderbyfieldids": ",".join(TRANSACTIONS.key), "take": 1000}
    return httpx.get(f"{url}/connectors/{TRANSACTIONS.id}", params=params, headers=headers)


def test_a_test_environment_is_opt_in():
    assert Simulator(_config()).members() == [MEMBER, "67890"]
    sim = Simulator(_config(test_environments=[MEMBER]))
    assert sim.members() == [MEMBER, "67890", TEST]
    assert sim.environment(TEST).spec.code == "T12345AA"
    assert sim.environment("o12345") is sim.environment(MEMBER)  # the letter O is production
    with pytest.raises(ValueError, match="no production environment"):
        _config(test_environments=["99999"])


def test_production_data_and_tokens_do_not_change_when_a_test_environment_is_added(both):
    alone = Simulator(_config())
    assert both.token(MEMBER).data == alone.token(MEMBER).data
    assert both.environment(MEMBER).data.frame(TRANSACTIONS.id, *SLICE).equals(
        alone.environment(MEMBER).data.frame(TRANSACTIONS.id, *SLICE)
    )


def test_the_test_environment_serves_its_own_books_by_path_and_by_host(both):
    test_token = both.token_header(TEST)
    assert both.base_url(TEST) == f"{both.url}/{TEST}/ProfitRestServices"
    by_path = _rows(both, both.base_url(TEST), test_token)
    by_host = _rows(both, f"{both.url}/ProfitRestServices", test_token, f"{MEMBER}.resttest.afas.online")
    production = _rows(both, both.base_url(MEMBER), both.token_header(MEMBER))
    assert by_path.status_code == by_host.status_code == production.status_code == 200
    assert by_path.json() == by_host.json()
    truth = both.environment(TEST).data.frame(TRANSACTIONS.id, *SLICE)
    assert [r["EntryNo"] for r in by_path.json()["rows"]] == truth["EntryNo"].to_list()
    assert by_path.json()["rows"] != production.json()["rows"]  # not production's rows
    metainfo = httpx.get(f"{both.base_url(TEST)}/metainfo", headers={"Authorization": test_token}).json()
    assert metainfo["info"]["envid"] == "T12345AA"


def test_each_environment_accepts_only_its_own_tokens(both):
    production, test = both.token_header(MEMBER), both.token_header(TEST)
    assert production != test
    for url, host in ((both.base_url(TEST), None), (f"{both.url}/ProfitRestServices", f"{MEMBER}.resttest.afas.online")):
        refused = _rows(both, url, production, host)
        assert refused.status_code == 401 and refused.content == b""
    assert _rows(both, both.base_url(MEMBER), test).status_code == 401
    # Nor does production's OAuth access token open the test environment.
    client = both.oauth_client(MEMBER)
    form = {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": client.client_secret}
    bearer = "Bearer " + httpx.post(f"{both.base_url(MEMBER)}/oauth/token", data=form).json()["access_token"]
    assert httpx.get(f"{both.base_url(MEMBER)}/profitversion", headers={"Authorization": bearer}).status_code == 200
    assert httpx.get(f"{both.base_url(TEST)}/profitversion", headers={"Authorization": bearer}).status_code == 401


def test_statistics_and_faults_are_kept_per_environment(both):
    both.stats.reset()
    both.faults.script("503", times=1, member=MEMBER, retry_after=1)
    try:
        assert _rows(both, both.base_url(TEST), both.token_header(TEST)).status_code == 200
        assert _rows(both, both.base_url(MEMBER), both.token_header(MEMBER)).status_code == 503
    finally:
        both.faults.clear()
    assert [r.status for r in both.stats[TEST].requests()] == [200]
    assert [r.status for r in both.stats[MEMBER].requests()] == [503]
