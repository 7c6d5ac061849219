"""AFAS's error answers: 404 for long query strings, 500 bodies, out of memory, time-out, 503."""

from __future__ import annotations

import time

import httpx
import pytest

from catalog import TRANSACTIONS
from afas_simulator import Realism
from afas_simulator.messages import (
    ENGLISH_TEXTS,
    MAINTENANCE_TEXT,
    NOT_AUTHORISED_TEXT,
    OUT_OF_MEMORY_TEXT,
    OUT_OF_STRING_SPACE_TEXT,
    TIMEOUT_TEXT,
)
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


def test_an_answer_over_the_size_cap_is_out_of_string_space(client, srv):
    # AFAS answers at most 75 MB [S]; the cap is lowered to a size between one and two pages here.
    ordered = {"orderbyfieldids": "UnitId,EntryNo,SeqNo"}
    one_page = len(client.get(URL, params={**ordered, "take": 50}).content)
    srv.config.realism.max_answer_bytes = one_page
    assert client.get(URL, params={**ordered, "take": 50}).status_code == 200
    body = assert_afas_error(client.get(URL, params={**ordered, "take": 100}), 500, OUT_OF_STRING_SPACE_TEXT)
    assert body["errorNumber"] != -1


def test_the_default_limits_are_afas_online_s():
    afas = Realism()
    assert (afas.cell_budget, afas.max_in_flight, afas.max_answer_bytes) == (200_000, 8, 75_000_000)
    assert afas.latency_per_request_s > 0 and afas.latency_per_row_s > 0 and afas.deep_skip_penalty_s > 0
    assert 0 < afas.transient_error_rate < 0.01 and 0 < afas.reset_rate < 0.01
    fast = Realism.fast()
    assert (fast.latency_per_request_s, fast.latency_per_row_s, fast.deep_skip_penalty_s) == (0, 0, 0)
    assert (fast.transient_error_rate, fast.reset_rate) == (0, 0)
    assert (fast.cell_budget, fast.max_answer_bytes, fast.server_timeout_s) == (
        afas.cell_budget, afas.max_answer_bytes, afas.server_timeout_s)
    rehearsal = Realism.rehearsal(time_scale=0.1, fault_rate=0.02)
    assert rehearsal.latency_per_request_s == pytest.approx(afas.latency_per_request_s / 10)
    assert rehearsal.deep_skip_penalty_s == pytest.approx(afas.deep_skip_penalty_s / 10)
    assert (rehearsal.transient_error_rate, rehearsal.reset_rate) == (0.02, 0.01)
    assert rehearsal.cell_budget == afas.cell_budget


def test_server_time_out_when_the_work_takes_too_long(client, srv, waits):
    srv.config.realism.server_timeout_s = 0.2
    srv.config.realism.latency_per_row_s = 0.01
    r = client.get(URL, params={"take": 100})  # 1 s of simulated work
    assert_afas_error(r, 500, TIMEOUT_TEXT)
    assert waits.waits == [0.2]  # AFAS gives up at its limit, not after the whole second
    assert client.get(URL, params={"take": 10}).status_code == 200  # 0.1 s: in time
    # the model is the whole answer time: what the simulator itself spent is taken off it
    assert len(waits.waits) == 2 and 0 < waits.waits[1] <= 0.1


def test_deep_skip_is_slower(client, srv, waits):
    srv.config.realism.deep_skip_penalty_s = 1.0
    srv.config.realism.server_timeout_s = 0.3
    assert client.get(URL, params={"skip": 100_000, "take": 1}).status_code == 200
    assert waits.waits == []  # up to 100,000 rows deep: no penalty
    assert_afas_error(client.get(URL, params={"skip": 150_000, "take": 1}), 500, TIMEOUT_TEXT)
    assert waits.waits == [0.3]  # half a penalty (0.5 s) is past the 0.3 s limit


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


def test_an_english_environment_answers_afas_s_texts_in_english(client, srv):
    spec = srv.environment("12345").spec
    spec.language = "en"
    try:
        srv.faults.script("timeout", delay=0.01)
        assert_afas_error(client.get(URL), 500, ENGLISH_TEXTS[TIMEOUT_TEXT])  # the header too
        spec.ticked = spec.ticked - {TRANSACTIONS.id}
        assert_afas_error(client.get(URL), 401, ENGLISH_TEXTS[NOT_AUTHORISED_TEXT])
        srv.faults.script("503")
        assert client.get("profitversion").json()["error"]["message"] == ENGLISH_TEXTS[MAINTENANCE_TEXT]
        # Texts that are not AFAS's own (the connector's field) stay as they are.
        spec.ticked = spec.ticked | {TRANSACTIONS.id}
        assert client.get(URL, params={"orderbyfieldids": "Nope"}).json()["externalMessage"] == (
            "Connector field 'Nope' not found")
    finally:
        spec.language = "nl"
        spec.ticked = spec.ticked | {TRANSACTIONS.id}
