"""Who is calling and what they may read: App Connector tokens, OAuth, IP and connector checks.

Every check raises `Refusal` with AFAS's answer, so the request pipeline reads as a list of checks.
Answers follow the contract §2: a bad, expired or blocked token (or a blocked App Connector) is a
bare 401; a token sent as plain XML instead of base64 is a 500; an IP restriction is a 403; a
GetConnector that is not ticked (or does not exist) is a 401 with AFAS's text.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import datetime as dt
import hashlib
import hmac
import re
import secrets
import urllib.parse
from dataclasses import dataclass

import orjson

from catalog import CONNECTORS, SUBJECT_CONNECTOR, Connector
from catalog import connector as catalog_connector
from afas_simulator.config import REST_HOST_LABELS, EnvironmentSpec, OAuthClientSpec, TokenSpec
from afas_simulator.dataset import Clock
from afas_simulator.messages import (
    BLOCKED_TEXT,
    NOT_AUTHORISED_TEXT,
    PLAIN_TOKEN_TEXT,
    SUBJECT_NOT_AUTHORISED_TEXT,
    Refusal,
    Reply,
    afas_error,
    bare,
    json_reply,
)

_DATA_RE = re.compile(r"<data>\s*([0-9A-Fa-f]{64})\s*</data>", re.S)
_EPOCH = dt.datetime(1970, 1, 1)
_BEARER_REJECTED = {"WWW-Authenticate": 'Bearer error="invalid_token"'}  # [S]


@dataclass(frozen=True)
class Principal:
    """The caller behind a request.

    Attributes:
        user: the AFAS user (token) or OAuth client id.
        scheme: "AfasToken" or "Bearer".
        expires: when the credential stops working (Amsterdam local), if known.
        hidden_units: administrations whose rows this caller may not see (see rights.py).
    """

    user: str
    scheme: str
    expires: dt.datetime | None = None
    hidden_units: frozenset[int] = frozenset()


def token_xml(data: str) -> str:
    """The XML AFAS shows once when a user token is made: `<token><version>1</version><data>…`."""
    return f"<token><version>1</version><data>{data}</data></token>"


def token_header(data: str) -> str:
    """The `Authorization` header value for a token: base64 of the whole XML, tags included [C]."""
    return "AfasToken " + base64.b64encode(token_xml(data).encode()).decode()


class Authenticator:
    """Checks credentials against the environments' App Connectors and issues OAuth tokens.

    OAuth access tokens are HS256-signed JWTs, so checking one needs no server-side state; their
    expiry is measured on the simulator's clock, so tests expire them by advancing the clock.

    Args:
        clock: the simulator's clock.
        secret: the key that signs access tokens (derived from the seed: runs are reproducible).
    """

    def __init__(self, clock: Clock, secret: bytes) -> None:
        self._clock = clock
        self._secret = secret

    # ---- classic App Connector tokens and Bearer tokens -------------------------------------

    def identify(self, env: EnvironmentSpec, authorization: str | None) -> Principal:
        """The caller of a request to `env`, or `Refusal` (401, or 500 for a plain-text token).

        Args:
            env: the environment the request is addressed to.
            authorization: the `Authorization` header, if any.
        """
        if not authorization:
            raise Refusal(bare(401))
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() == "afastoken":
            return self._classic(env, credential)
        if scheme.lower() == "bearer":
            return self._bearer(env, credential)
        raise Refusal(bare(401))

    def _classic(self, env: EnvironmentSpec, credential: str) -> Principal:
        try:
            raw = base64.b64decode(credential, validate=True)
        except (binascii.Error, ValueError):
            # Profit 6/7 fail on a token that is not base64 with a 500, not a 401 [C]. [G] the same
            # for any non-base64 credential, not only the XML one.
            raise Refusal(afas_error(500, PLAIN_TOKEN_TEXT)) from None
        # [G] Valid base64 that does not hold the token XML (e.g. the bare 64 hex characters, which
        # happen to be base64 too) is simply an unknown token: 401.
        xml = raw.decode("utf-8", "replace")
        match = _DATA_RE.search(xml)
        token = self._find_token(env, match.group(1)) if match else None
        if token is None or token.state != "valid" or env.app_connector_blocked:
            raise Refusal(bare(401))
        if token.expires is not None and token.expires <= self._clock.now():
            raise Refusal(bare(401))
        return Principal(token.user, "AfasToken", token.expires, token.hidden_units)

    @staticmethod
    def _find_token(env: EnvironmentSpec, data: str) -> TokenSpec | None:
        for token in env.tokens:
            # [G] token data compared without regard to case: AFAS shows upper case, users retype.
            if hmac.compare_digest(token.data.upper(), data.upper()):
                return token
        return None

    def _bearer(self, env: EnvironmentSpec, credential: str) -> Principal:
        claims = self._verify_jwt(credential)
        if (
            claims is None
            or claims.get("member") != env.key
            or env.app_connector_blocked
            or claims.get("exp", 0) <= self._epoch_now()
            or self._find_client(env, str(claims.get("sub"))) is None
        ):
            raise Refusal(bare(401, _BEARER_REJECTED))
        return Principal(str(claims["sub"]), "Bearer", _EPOCH + dt.timedelta(seconds=int(claims["exp"])))

    # ---- OAuth client credentials -----------------------------------------------------------

    def issue_token(self, env: EnvironmentSpec, body: bytes, authorization: str | None) -> Reply:
        """Answer `POST /oauth/token` (client-credentials grant, secret in the form or Basic auth).

        Errors follow RFC 6749 §5.2 [G for AFAS]: 400 `unsupported_grant_type`/`invalid_request`,
        401 `invalid_client`. A private-key JWT (`client_assertion`) is not supported here.
        """
        form = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()}
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            try:
                pair = base64.b64decode(authorization[6:].strip()).decode("utf-8")
                basic_id, _, basic_secret = pair.partition(":")
                client_id = urllib.parse.unquote(basic_id)
                client_secret = urllib.parse.unquote(basic_secret)
            except (binascii.Error, ValueError):
                return _oauth_error(401, "invalid_client")
        if form.get("grant_type") is None:
            return _oauth_error(400, "invalid_request", "grant_type is required")
        if form["grant_type"] != "client_credentials":
            return _oauth_error(400, "unsupported_grant_type")
        if not client_id or client_secret is None:
            return _oauth_error(400, "invalid_request", "client_id and client_secret are required")
        client = self._find_client(env, client_id)
        if (
            client is None
            or env.app_connector_blocked
            or not hmac.compare_digest(client.client_secret.encode(), client_secret.encode())
        ):
            return _oauth_error(401, "invalid_client")
        now = self._epoch_now()
        claims = {
            "iss": f"https://{env.member}.{REST_HOST_LABELS[env.kind]}.afas.online/ProfitRestServices",
            "aud": "ProfitRestServices",
            "sub": client.client_id,
            # The environment's key, not only its member: a test environment's access token must not
            # open production (each has its own App Connector [G]).
            "member": env.key,
            "iat": now,
            "exp": now + client.expires_in,
            # A random id keeps two tokens issued in the same simulated second apart.
            "jti": secrets.token_hex(8),
        }
        return json_reply(
            {"access_token": self._sign_jwt(claims), "token_type": "Bearer", "expires_in": client.expires_in}
        )

    @staticmethod
    def _find_client(env: EnvironmentSpec, client_id: str) -> OAuthClientSpec | None:
        return next((c for c in env.oauth_clients if c.client_id == client_id), None)

    def _epoch_now(self) -> int:
        # The simulator's clock is naive Amsterdam time; read as UTC it is still a monotonic number.
        return calendar.timegm(self._clock.now().timetuple())

    def _sign_jwt(self, claims: dict) -> str:
        header = _b64url(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
        payload = _b64url(orjson.dumps(claims))
        signature = hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64url(signature)}"

    def _verify_jwt(self, token: str) -> dict | None:
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(expected, _b64url_decode(parts[2])):
                return None
            claims = orjson.loads(_b64url_decode(parts[1]))
        except (binascii.Error, ValueError, orjson.JSONDecodeError):
            return None
        return claims if isinstance(claims, dict) else None


# ---- App Connector checks ---------------------------------------------------------------------


def check_ip(env: EnvironmentSpec, client_ip: str) -> None:
    """403 when the App Connector is restricted to other IP addresses [C status, G empty body]."""
    if env.allowed_ips is not None and client_ip not in env.allowed_ips:
        raise Refusal(bare(403))


def authorize_connector(env: EnvironmentSpec, connector_id: str, *, blocked: bool = False) -> Connector:
    """The catalog entry of a GetConnector this App Connector may read, or `Refusal`.

    Args:
        env: the environment.
        connector_id: the id from the URL; matched without regard to case, like the rest of the
            path [G: AFAS paths are case-insensitive [C], we extend that to the connector id].
        blocked: a scripted fault blocks the connector for this call.

    Raises:
        Refusal: 401 with AFAS's text (a JSON error body [G]) when the connector is not ticked or
            does not exist; 500 "Deze GetConnector (definitie) is geblokkeerd" when blocked.
    """
    ticked = {c.lower(): c for c in env.ticked if c != SUBJECT_CONNECTOR}
    canonical = ticked.get(connector_id.lower())
    if canonical is None:
        raise Refusal(afas_error(401, NOT_AUTHORISED_TEXT))
    try:
        found = catalog_connector(canonical)
    except KeyError:
        raise Refusal(afas_error(401, NOT_AUTHORISED_TEXT)) from None
    if blocked or canonical in env.blocked_connectors:
        raise Refusal(afas_error(500, BLOCKED_TEXT))
    return found


def canonical_connector_id(connector_id: str) -> str | None:
    """The catalog spelling of a connector id given in any case, or None when unknown."""
    return next((c.id for c in CONNECTORS if c.id.lower() == connector_id.lower()), None)


def authorize_subject(env: EnvironmentSpec) -> None:
    """Documents need `AppConnectorSubject` ticked [C]; otherwise 401 [G text]."""
    if SUBJECT_CONNECTOR not in env.ticked:
        raise Refusal(afas_error(401, SUBJECT_NOT_AUTHORISED_TEXT))


def _oauth_error(status: int, error: str, description: str | None = None) -> Reply:
    body: dict[str, str] = {"error": error}
    if description:
        body["error_description"] = description
    return json_reply(body, status)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
