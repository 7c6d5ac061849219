"""Who may call: App Connector tokens, OAuth client credentials, IP restriction, ticked connectors."""

from __future__ import annotations

import base64

import httpx
import pytest

from catalog import ADMINISTRATIONS, PERIOD_VALUES, RECEIVABLES, TRANSACTIONS
from afas_simulator.auth import token_xml
from afas_simulator.messages import BLOCKED_TEXT, NOT_AUTHORISED_TEXT, PLAIN_TOKEN_TEXT
from tests.afas_simulator.http_support import (
    BLOCKED_APP,
    IP_LIMITED,
    MEMBER,
    RESTRICTED,
    afas_client,
    assert_afas_error,
    make_simulator,
    small_config,
)

OTHER = "67890"


def _get(srv, path: str, authorization: str | None, member: str = MEMBER) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return httpx.get(f"{srv.base_url(member)}/{path}", headers=headers)


def _assert_bare_401(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.content == b""


@pytest.mark.parametrize("path", ["profitversion", "metainfo", f"connectors/{TRANSACTIONS.id}"])
def test_missing_or_unknown_token_is_a_bare_401(srv, path):
    _assert_bare_401(_get(srv, path, None))
    unknown = base64.b64encode(token_xml("AB" * 32).encode()).decode()
    _assert_bare_401(_get(srv, path, f"AfasToken {unknown}"))
    _assert_bare_401(_get(srv, path, "Basic dXNlcjpwYXNz"))


def test_expired_and_blocked_tokens_are_a_bare_401(srv):
    _assert_bare_401(_get(srv, "profitversion", srv.token_header(MEMBER, "expired")))
    _assert_bare_401(_get(srv, "profitversion", srv.token_header(MEMBER, "blocked")))


def test_a_token_of_another_environment_is_a_bare_401(srv):
    _assert_bare_401(_get(srv, "profitversion", srv.token_header(OTHER)))
    assert _get(srv, "profitversion", srv.token_header(OTHER), OTHER).status_code == 200


def test_token_data_is_compared_without_regard_to_case(srv):
    data = srv.token(MEMBER).data.lower()
    header = "AfasToken " + base64.b64encode(token_xml(data).encode()).decode()
    assert _get(srv, "profitversion", header).status_code == 200


def test_token_sent_as_plain_xml_is_a_500(srv):
    r = _get(srv, "profitversion", "AfasToken " + srv.token_xml(MEMBER))
    assert_afas_error(r, 500, PLAIN_TOKEN_TEXT)


def test_only_the_hex_data_is_not_a_token(srv):
    # The client must send the whole XML, base64-encoded; the 64 hex characters alone are not a
    # token, whether encoded or not (hex digits are valid base64, so this is a 401, not a 500).
    data = srv.token(MEMBER).data
    _assert_bare_401(_get(srv, "profitversion", "AfasToken " + base64.b64encode(data.encode()).decode()))
    _assert_bare_401(_get(srv, "profitversion", "AfasToken " + data))


def test_blocked_app_connector_is_a_bare_401(srv):
    _assert_bare_401(_get(srv, "profitversion", srv.token_header(BLOCKED_APP), BLOCKED_APP))


def test_ip_restriction_is_a_403(srv):
    r = _get(srv, "profitversion", srv.token_header(IP_LIMITED), IP_LIMITED)
    assert r.status_code == 403
    # A bad token is still a 401: the token names the App Connector whose IP list applies.
    _assert_bare_401(_get(srv, "profitversion", None, IP_LIMITED))


def test_unticked_or_unknown_get_connector_is_a_401_with_afas_text(srv):
    with afas_client(srv, RESTRICTED) as c:
        assert c.get(f"connectors/{TRANSACTIONS.id}", params={"take": 1}).status_code == 200
        assert_afas_error(c.get(f"connectors/{RECEIVABLES.id}"), 401, NOT_AUTHORISED_TEXT)
        assert_afas_error(c.get(f"metainfo/get/{RECEIVABLES.id}"), 401, NOT_AUTHORISED_TEXT)
    with afas_client(srv) as c:
        assert_afas_error(c.get("connectors/Profit_Does_Not_Exist"), 401, NOT_AUTHORISED_TEXT)


def test_blocked_get_connector_is_a_500(srv):
    with afas_client(srv, RESTRICTED) as c:
        assert_afas_error(c.get(f"connectors/{PERIOD_VALUES.id}"), 500, BLOCKED_TEXT)
        assert c.get(f"connectors/{ADMINISTRATIONS.id}").status_code == 200


# ---- OAuth client credentials ---------------------------------------------------------------


def _token(sim, member: str = MEMBER, **form: str) -> httpx.Response:
    client = sim.oauth_client(member)
    data = {"grant_type": "client_credentials", "client_id": client.client_id, "client_secret": client.client_secret}
    return httpx.post(f"{sim.base_url(member)}/oauth/token", data={**data, **form})


def test_oauth_client_credentials_flow(srv):
    r = _token(srv)
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["access_token"].count(".") == 2  # a JWT
    bearer = f"Bearer {body['access_token']}"
    assert _get(srv, "profitversion", bearer).status_code == 200
    assert _get(srv, f"connectors/{TRANSACTIONS.id}?take=2", bearer).json()["take"] == 2
    # Not valid for another environment.
    rejected = _get(srv, "profitversion", bearer, OTHER)
    assert rejected.status_code == 401
    assert rejected.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_oauth_secret_in_basic_auth(srv):
    client = srv.oauth_client(MEMBER)
    r = httpx.post(
        f"{srv.base_url(MEMBER)}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    assert r.status_code == 200 and r.json()["token_type"] == "Bearer"


def test_oauth_rejections(srv):
    r = _token(srv, client_secret="wrong")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = _token(srv, client_id="nobody")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = _token(srv, grant_type="password")
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    r = _get(srv, "profitversion", "Bearer not.a.jwt")
    assert r.status_code == 401 and r.content == b""
    assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_oauth_access_token_expires_on_the_simulator_clock():
    with make_simulator(small_config()) as sim:
        bearer = f"Bearer {_token(sim).json()['access_token']}"
        assert _get(sim, "profitversion", bearer).status_code == 200
        sim.advance_clock(3599)
        assert _get(sim, "profitversion", bearer).status_code == 200
        sim.advance_clock(2)
        r = _get(sim, "profitversion", bearer)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == 'Bearer error="invalid_token"'
        # A fresh token works again.
        assert _get(sim, "profitversion", f"Bearer {_token(sim).json()['access_token']}").status_code == 200


def test_metainfo_reports_the_token_expiry(srv):
    assert _get(srv, "metainfo", srv.token_header(MEMBER)).json()["info"]["tokenExpiry"] == "2027-05-01T00:00:00Z"
    bearer = f"Bearer {_token(srv).json()['access_token']}"
    expiry = _get(srv, "metainfo", bearer).json()["info"]["tokenExpiry"]
    assert expiry.endswith("Z") and expiry > srv.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")


def test_oauth_form_sent_chunked(srv):
    client = srv.oauth_client(MEMBER)
    form = f"grant_type=client_credentials&client_id={client.client_id}&client_secret={client.client_secret}"

    def chunks():
        yield form[:10].encode()
        yield form[10:].encode()

    with httpx.Client() as c:
        r = c.post(
            f"{srv.base_url(MEMBER)}/oauth/token",
            content=chunks(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 200
        # The connection is still in step for the next request.
        headers = {"Authorization": srv.token_header(MEMBER)}
        assert c.get(f"{srv.base_url(MEMBER)}/profitversion", headers=headers).status_code == 200
