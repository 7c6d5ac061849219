"""A connection for a test environment code reaches the test environment, not production (simulator over loopback)."""

from __future__ import annotations

import httpx
import pytest

import catalog
from afas.client import AfasClient
from afas.connection import Connection
from afas.errors import AuthenticationError
from afas_simulator import Realism, Simulator, default_config
from tests.conftest import MEMBER

TEST = "T" + MEMBER
TX = catalog.TRANSACTIONS.id
SLICE = dict(administration=1, year=2025, period=3)


@pytest.fixture(scope="module")
def both():
    """Member 12345 in production (`O12345AA`) and in test (`T12345AA`)."""
    sim = Simulator(default_config(4242, lines_per_period=10, realism=Realism.fast(), test_environments=[MEMBER]))
    with sim:
        yield sim


class _ToSimulator(httpx.BaseTransport):
    """Sends the client's calls for `*.afas.online` to the simulator's socket with the Host header
    AFAS would see, so the client runs on its official base URL, not an override."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["Host"].endswith(".afas.online")
        request.url = request.url.copy_with(scheme="http", host=self._sim.host, port=self._sim.port)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def _client(sim: Simulator, code: str, token_of: str) -> AfasClient:
    connection = Connection.from_token(code, sim.token_xml(token_of))
    return AfasClient(connection, http_transport=_ToSimulator(sim))


def test_a_test_code_reaches_the_test_environment_and_gets_its_rows(both):
    with _client(both, "T12345AA", TEST) as test, _client(both, "O12345AA", MEMBER) as production:
        assert test.connection.base_url == "https://12345.resttest.afas.online/ProfitRestServices"
        got = test.fetch(TX, **SLICE).frame
        prod = production.fetch(TX, **SLICE).frame
    truth = both.environment(TEST).data.frame(TX, unit_id=1, year=2025, period=3)
    assert got.height == truth.height > 0
    assert got["EntryNo"].to_list() == truth["EntryNo"].to_list()
    assert got["AmtDebit"].sum() == truth["AmtDebit"].sum() != prod["AmtDebit"].sum()  # not production's rows
    assert both.stats[TEST].requests() and both.stats[MEMBER].requests()


def test_a_production_token_is_refused_on_the_test_environment(both):
    with _client(both, "T12345AA", MEMBER) as client, pytest.raises(AuthenticationError) as refused:
        client.profit_version()
    assert refused.value.status_code == 401
    assert both.token(MEMBER).data.lower() not in str(refused.value).lower()


def test_the_override_path_form_reaches_the_test_environment_too(both):
    connection = Connection.from_token("T12345AA", both.token_xml(TEST), base_url=both.base_url(TEST))
    with AfasClient(connection) as client:
        admins = client.fetch(catalog.ADMINISTRATIONS.id).frame
    truth = both.environment(TEST).data.frame(catalog.ADMINISTRATIONS.id)
    assert sorted(admins["AdminNm"].to_list()) == sorted(truth["AdminNm"].to_list())
    production = both.environment(MEMBER).data.frame(catalog.ADMINISTRATIONS.id)
    assert sorted(truth["AdminNm"].to_list()) != sorted(production["AdminNm"].to_list())


def test_test_and_production_of_one_member_get_different_names():
    test = Connection.from_token("T12345AA", "AB" * 32)
    production = Connection.from_token("O12345AA", "CD" * 32)
    assert (test.name, production.name) == ("t12345", "o12345")
