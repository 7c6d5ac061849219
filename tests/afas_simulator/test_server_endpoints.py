"""The AFAS endpoints over HTTP: profitversion, metainfo, GetConnector pages, documents, routing."""

from __future__ import annotations

import base64

import httpx
import orjson

from catalog import (
    CONNECTORS,
    DOSSIER_ITEMS,
    REQUIRED_CONNECTOR_IDS,
    TRANSACTIONS,
    TRANSACTIONS_ALLOCATED,
    Kind,
)
from afas_simulator.messages import SUBJECT_FILE_MISSING_TEXT, SUBJECT_NOT_AUTHORISED_TEXT
from afas_simulator.metainfo import CODE_TABLES
from tests.afas_simulator.http_support import (
    BIG_SLICE,
    MEMBER,
    RESTRICTED,
    afas_client,
    assert_afas_error,
    slice_filter,
)


def _assert_json_line(response: httpx.Response) -> None:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["x-trace-identifier"]
    assert b"\n" not in response.content  # Profit 7+: every JSON answer is one line


def test_profitversion(client):
    r = client.get("profitversion")
    assert r.status_code == 200
    _assert_json_line(r)
    assert set(r.json()) == {"version"}
    assert r.json()["version"]


def test_metainfo_lists_the_ticked_get_connectors_and_the_environment(client, srv):
    r = client.get("metainfo")
    assert r.status_code == 200
    _assert_json_line(r)
    body = r.json()
    assert set(body) == {"updateConnectors", "getConnectors", "info"}
    ids = [c["id"] for c in body["getConnectors"]]
    # All GetConnectors of the seed plus the change feed, in catalog order; never AppConnectorSubject.
    assert ids == [c.id for c in CONNECTORS]
    assert set(REQUIRED_CONNECTOR_IDS) <= set(ids)
    assert all(c["description"] for c in body["getConnectors"])
    assert body["info"] == {
        "envid": "O12345AA",
        "appName": srv.environment(MEMBER).spec.app_name,
        "group": srv.environment(MEMBER).spec.group,
        "tokenExpiry": "2027-05-01T00:00:00Z",
    }


def test_metainfo_of_a_restricted_app_connector_lists_only_what_is_ticked(srv):
    with afas_client(srv, RESTRICTED) as c:
        body = c.get("metainfo").json()
    assert [g["id"] for g in body["getConnectors"]] == [
        "Visionplanner_administrations",
        "Visionplanner_periodvalues",
        "Visionplanner_transactions",
    ]
    assert body["info"]["envid"] == "O55555AC"


def test_metainfo_get_describes_fields_from_the_catalog(client):
    r = client.get(f"metainfo/get/{TRANSACTIONS.id}")
    assert r.status_code == 200
    _assert_json_line(r)
    body = r.json()
    assert body["name"] == TRANSACTIONS.id
    assert body["description"] == TRANSACTIONS.description
    assert [f["id"] for f in body["fields"]] == list(TRANSACTIONS.field_ids)
    keys = {"id", "fieldId", "dataType", "label", "length", "controlType", "decimals", "decimalsFieldId"}
    for field, meta in zip(TRANSACTIONS.fields, body["fields"], strict=True):
        # Code-table fields also list their codes (test_server_definitions.py).
        assert set(meta) == keys | ({"values"} if field.id in CODE_TABLES else set())
        assert meta["dataType"] == field.kind.afas_data_type
        assert meta["dataType"] in {"string", "int", "decimal", "date", "boolean", "blob"}
        assert meta["decimals"] == (2 if field.kind is Kind.MONEY else 0)
    assert len({f["fieldId"] for f in body["fields"]}) == len(body["fields"])


def test_default_take_is_100_and_every_field_is_in_every_row(client):
    r = client.get(f"connectors/{TRANSACTIONS.id}")
    assert r.status_code == 200
    _assert_json_line(r)
    body = r.json()
    assert body["skip"] == 0 and body["take"] == 100
    assert len(body["rows"]) == 100
    assert all(list(row) == list(TRANSACTIONS.field_ids) for row in body["rows"])


def test_page_values_are_afas_typed(client):
    body = client.get(
        f"connectors/{TRANSACTIONS.id}",
        params={**slice_filter(*BIG_SLICE), "orderbyfieldids": "UnitId,EntryNo,SeqNo", "take": 5},
    ).json()
    row = body["rows"][0]
    assert (row["UnitId"], row["Year"], row["Period"]) == BIG_SLICE
    assert isinstance(row["EntryNo"], int)
    assert isinstance(row["AmtDebit"], (int, float))
    assert row["EntryDate"].endswith("T00:00:00Z") and len(row["EntryDate"]) == 20


def test_path_is_case_insensitive(srv):
    url = f"{srv.url}/{MEMBER}/pRoFiTrEsTsErViCeS"
    headers = {"Authorization": srv.token_header(MEMBER)}
    assert httpx.get(f"{url}/PROFITVERSION", headers=headers).status_code == 200
    assert httpx.get(f"{url}/MetaInfo/GET/{TRANSACTIONS.id.upper()}", headers=headers).json()["name"] == TRANSACTIONS.id
    r = httpx.get(f"{url}/Connectors/{TRANSACTIONS.id.lower()}?TAKE=3&Skip=1", headers=headers)
    assert r.status_code == 200
    assert (r.json()["skip"], r.json()["take"], len(r.json()["rows"])) == (1, 3, 3)


def test_host_header_routes_to_the_environment(srv):
    headers = {"Authorization": srv.token_header(MEMBER)}
    r = httpx.get(f"{srv.url}/ProfitRestServices/profitversion", headers={**headers, "Host": f"{MEMBER}.rest.afas.online"})
    assert r.status_code == 200
    # This simulator serves no test or accept environment of the member: those hosts are not production.
    for host in (f"{MEMBER}.resttest.afas.online", f"{MEMBER}.restaccept.afas.online"):
        r = httpx.get(f"{srv.url}/ProfitRestServices/profitversion", headers={**headers, "Host": host})
        assert r.status_code == 404, host
    r = httpx.get(f"{srv.url}/ProfitRestServices/profitversion", headers=headers)
    assert r.status_code == 404  # no environment in the Host header


def test_trailing_slash_and_keep_alive(client):
    # One connection serves many requests (keep-alive), and a trailing slash does not matter.
    for _ in range(5):
        assert client.get("profitversion/").status_code == 200
    assert client.get("profitversion").headers.get("connection", "").lower() != "close"


def test_subject_connector_returns_the_file_as_base64(client, srv):
    params = {"take": 1, "orderbyfieldids": "SubjectId"}
    rows = client.get(f"connectors/{DOSSIER_ITEMS.id}", params=params).json()["rows"]
    assert rows, "the ledger has dossier items"
    subject_id, file_id = rows[0]["SubjectId"], rows[0]["FileId"]
    r = client.get(f"subjectconnector/{subject_id}/{file_id}")
    assert r.status_code == 200
    _assert_json_line(r)
    body = r.json()
    assert set(body) == {"filename", "mimetype", "filedata"}
    expected = srv.environment(MEMBER).data.subject_file(subject_id, file_id)
    assert base64.b64decode(body["filedata"]) == expected.data
    assert body["filename"] == expected.filename and body["mimetype"] == expected.mimetype


def test_subject_connector_missing_file_is_404(client):
    assert_afas_error(client.get("subjectconnector/999999999/missing"), 404, SUBJECT_FILE_MISSING_TEXT)
    assert client.get("subjectconnector/not-a-number/x").status_code == 404


def test_subject_connector_needs_app_connector_subject(srv):
    with afas_client(srv, RESTRICTED) as c:
        assert_afas_error(c.get("subjectconnector/1/abc"), 401, SUBJECT_NOT_AUTHORISED_TEXT)


def test_filters_and_descending_order(client):
    params = {**slice_filter(*BIG_SLICE), "orderbyfieldids": "-EntryNo,-SeqNo", "take": 20}
    rows = client.get(f"connectors/{TRANSACTIONS.id}", params=params).json()["rows"]
    keys = [(r["EntryNo"], r["SeqNo"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    assert {(r["UnitId"], r["Year"], r["Period"]) for r in rows} == {BIG_SLICE}


def test_profit6_decimals_on_the_wire(client, srv):
    # Allocation splits of administration 1 include amounts below one euro.
    url = f"connectors/{TRANSACTIONS_ALLOCATED.id}"
    params = {"filterfieldids": "UnitId", "filtervalues": "1", "operatortypes": "1", "skip": -1, "take": -1}
    params["orderbyfieldids"] = ",".join(TRANSACTIONS_ALLOCATED.sort_fields)
    modern = client.get(url, params=params).content
    srv.config.realism.profit6_decimals = True
    old = client.get(url, params=params).content
    money = [orjson.dumps(f.id) for f in TRANSACTIONS_ALLOCATED.fields if f.kind is Kind.MONEY]
    # Profit 6 wrote amounts below 1 without the leading zero: `-.5`, which is not JSON.
    assert any(key + b":." in old or key + b":-." in old for key in money)
    repaired = old
    for key in money:
        repaired = repaired.replace(key + b":.", key + b":0.").replace(key + b":-.", key + b":-0.")
    assert orjson.loads(repaired) == orjson.loads(modern)


def test_unknown_endpoint_member_and_path_are_404(client, srv):
    assert client.get("nosuchendpoint").status_code == 404
    assert client.get("connectors").status_code == 404
    assert httpx.get(f"{srv.url}/99999/ProfitRestServices/profitversion").status_code == 404
    assert httpx.get(f"{srv.url}/somewhere/else").status_code == 404


def test_wrong_method_is_405(client):
    assert client.post("profitversion").status_code == 405
    assert client.delete(f"connectors/{TRANSACTIONS.id}").status_code == 405
