"""AFAS's error answers: 404 for long query strings, 500 bodies, out of memory, time-out, 503."""

from __future__ import annotations

import time

import httpx
import pytest

from afas.catalog import TRANSACTIONS
from afas_simulator.messages import OUT_OF_MEMORY_TEXT, TIMEOUT_TEXT
from tests.afas_simulator.http_support import BIG_SLICE, assert_afas_error, slice_filter

URL = f"connectors/{TRANSACTIONS.id}"


def test_query_string_longer_than_2049_characters_is_404(client):
    # The contract's cap: 2,049 characters of query string (after the `?`) still answer.
    prefix = "take=1&padding="
    at_limit = prefix + "x" * (2049 - len(prefix))
    assert len(at_limit) == 2049
    assert client.get(f"{URL}?{at_limit}").status_code == 200
    r = client.get(f"{URL}?{at_limit}x")
    assert r.status_code == 404
    assert r.content == b""


def test_long_query_is_404_even_before_the_token_check(srv):
    assert httpx.get(f"{srv.base_url('12345')}/{URL}?x={'y' * 2100}").status_code == 404


def test_unknown_field_is_a_500_with_afas_text(client):
    assert_afas_error(client.get(URL, params={"orderbyfieldids": "Nope"}), 500, "Connector field 'Nope' not found")
    r = client.get(URL, params={"filterfieldids": "Nope", "filtervalues": "1", "operatortypes": "1"})
    assert_afas_error(r, 500, "Connector field 'Nope' not found")


def test_each_500_has_its_own_log_reference(client):
    answers = [assert_afas_error(client.get(URL, params={"orderbyfieldids": "X"}), 500) for _ in range(3)]
    assert len({a["profitLogReference"] for a in answers}) == 3


@pytest.mark.parametrize(
    "params",
    [
        {"skip": 0, "take": -1},
        {"skip": 5, "take": -1},
        {"take": "ten"},
        {"filterfieldids": "UnitId", "filtervalues": "1"},
    ],
)
def test_invalid_queries_are_500(client, params):
    assert_afas_error(client.get(URL, params=params), 500)


def test_everything_with_skip_and_take_minus_one(client):
    params = {**slice_filter(*BIG_SLICE), "skip": -1, "take": -1}
    body = client.get(URL, params=params).json()
    assert (body["skip"], body["take"]) == (-1, -1)
    assert len(body["rows"]) == 450


def test_out_of_memory_when_a_page_has_too_many_cells(client, srv):
    columns = len(TRANSACTIONS.fields)
    srv.config.realism.cell_budget = 100 * columns
    assert client.get(URL, params={"take": 100}).status_code == 200
    r = client.get(URL, params={"take": 101})
    body = assert_afas_error(r, 500, OUT_OF_MEMORY_TEXT)
    assert body["errorNumber"] != -1
    # skip=-1&take=-1 on a connector larger than the budget.
    assert_afas_error(client.get(URL, params={"skip": -1, "take": -1}), 500, OUT_OF_MEMORY_TEXT)
    # A short last page is measured by what it holds.
    params = {**slice_filter(*BIG_SLICE), "orderbyfieldids": "EntryNo,SeqNo", "skip": 400, "take": 1000}
    assert len(client.get(URL, params=params).json()["rows"]) == 50


def test_server_time_out_when_the_work_takes_too_long(client, srv):
    srv.config.realism.server_timeout_s = 0.2
    srv.config.realism.latency_per_row_s = 0.01
    started = time.perf_counter()
    r = client.get(URL, params={"take": 100})  # 1 s of simulated work
    elapsed = time.perf_counter() - started
    assert_afas_error(r, 500, TIMEOUT_TEXT)
    assert 0.2 <= elapsed < 0.9
    assert client.get(URL, params={"take": 10}).status_code == 200  # 0.1 s: in time


def test_deep_skip_is_slower(client, srv):
    srv.config.realism.deep_skip_penalty_s = 1.0
    srv.config.realism.server_timeout_s = 0.3
    assert client.get(URL, params={"skip": 100_000, "take": 1}).status_code == 200
    assert_afas_error(client.get(URL, params={"skip": 150_000, "take": 1}), 500, TIMEOUT_TEXT)


def test_maintenance_window_is_a_503_with_retry_after_in_the_body(client, srv):
    srv.config.realism.maintenance_until = time.time() + 60
    srv.config.realism.maintenance_retry_after_s = 7200
    for path in ("profitversion", URL):
        r = client.get(path)
        assert r.status_code == 503
        body = r.json()
        assert body["retry_after"] == 7200
        assert body["error"]["code"] == "503" and body["error"]["message"]
        assert "retry-after" not in r.headers  # in the body, not a header
    srv.config.realism.maintenance_until = time.time() - 1
    assert client.get("profitversion").status_code == 200


def test_maintenance_comes_before_the_token_check(srv):
    srv.config.realism.maintenance_until = time.time() + 60
    assert httpx.get(f"{srv.base_url('12345')}/profitversion").status_code == 503
