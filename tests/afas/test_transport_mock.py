"""Wire details that the simulator does not vary: checked with an httpx mock transport."""

from __future__ import annotations

import httpx
import orjson
import pytest

from afas.client import AfasClient
from afas.connection import Connection
from afas.errors import AuthenticationError, ConnectorNotAuthorizedError, ResponseFormatError
from afas.settings import ClientSettings

HEX = "C0FFEE00" * 8
METAINFO = {"getConnectors": [{"id": "Visionplanner_administrations", "description": ""}], "updateConnectors": [], "info": {}}
FIELDS = {"name": "Visionplanner_administrations", "fields": [
    {"id": "AdminId", "fieldId": "U001", "dataType": "int"},
    {"id": "AdminNm", "fieldId": "U002", "dataType": "string"},
]}


def client_with(handler, **settings) -> AfasClient:
    conn = Connection.from_token("O12345AA", HEX)
    return AfasClient(conn, ClientSettings(**settings), http_transport=httpx.MockTransport(handler), sleep=lambda s: None)


def test_integration_id_and_auth_headers():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"version": "7"})

    with client_with(handler, integration_id="12345_67890") as client:
        client.profit_version()
    (req,) = seen
    assert req.url == "https://12345.rest.afas.online/ProfitRestServices/profitversion"
    assert req.headers["IntegrationId"] == "12345_67890"
    assert req.headers["Authorization"].startswith("AfasToken ")


def test_bare_401_on_a_connector_with_a_working_token_means_not_ticked():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/metainfo"):
            return httpx.Response(200, content=orjson.dumps(METAINFO))
        return httpx.Response(401)

    with client_with(handler) as client, pytest.raises(ConnectorNotAuthorizedError, match="Visionplanner_transactions"):
        client.connector_info("Visionplanner_transactions")


def test_bare_401_everywhere_means_the_token():
    with client_with(lambda r: httpx.Response(401)) as client, pytest.raises(AuthenticationError):
        client.connector_info("Visionplanner_transactions")


def test_non_json_answer_is_a_format_error():
    def handler(request: httpx.Request) -> httpx.Response:
        if "metainfo/get" in request.url.path:
            return httpx.Response(200, content=orjson.dumps(FIELDS))
        return httpx.Response(200, content=b"<html>proxy login</html>")

    with client_with(handler) as client, pytest.raises(ResponseFormatError):
        client.fetch("Visionplanner_administrations")


def test_unknown_extra_field_is_typed_from_metainfo():
    fields = {"fields": FIELDS["fields"] + [{"id": "Gewijzigd", "fieldId": "U003", "dataType": "date"},
                                             {"id": "Bedrag", "fieldId": "U004", "dataType": "decimal", "decimals": 4}]}
    rows = {"skip": 0, "take": 100, "rows": [{"AdminId": 1, "AdminNm": "A", "Gewijzigd": "2025-01-02T03:04:05Z", "Bedrag": 1.2345}]}

    def handler(request: httpx.Request) -> httpx.Response:
        if "metainfo/get" in request.url.path:
            return httpx.Response(200, content=orjson.dumps(fields))
        return httpx.Response(200, content=orjson.dumps(rows))

    with client_with(handler) as client:
        frame = client.fetch("Visionplanner_administrations").frame
    assert str(frame["Bedrag"][0]) == "1.2345"
    assert frame["Gewijzigd"][0].hour == 3
