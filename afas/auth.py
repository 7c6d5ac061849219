"""Authorization headers: the classic App Connector token, or OAuth client credentials.

AFAS retires classic tokens in 2027 (existing ones expire on 1 May 2027; classic App Connectors
stop on 31 Aug 2027). OAuth client credentials are the successor: a client id and secret are
exchanged at `{base}/oauth/token` for a bearer token that lives about an hour.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

import httpx

from afas.credentials import AppConnectorToken, Secret
from afas.errors import AuthenticationError, ResponseFormatError, TransportError

# Refresh this long before AFAS says the access token expires, so a page never starts with a token
# that dies in flight.
_REFRESH_MARGIN_S = 120.0


class AuthProvider(Protocol):
    """Something that produces the `Authorization` header for AFAS calls."""

    oauth: bool

    def authorization_header(self, http: httpx.Client) -> str: ...

    def invalidate(self) -> None:
        """Forget any cached credential (after a 401), so the next call fetches a fresh one."""
        ...


class ClassicTokenAuth:
    """`Authorization: AfasToken <base64 XML>` from a user token."""

    oauth = False

    def __init__(self, token: AppConnectorToken):
        self._header = token.authorization_header()

    def authorization_header(self, http: httpx.Client) -> str:
        return self._header

    def invalidate(self) -> None:
        """A classic token cannot be refreshed."""

    def __repr__(self) -> str:
        return "ClassicTokenAuth(token=********)"


class OAuthClientCredentialsAuth:
    """Bearer tokens from `POST {token_url}` with `grant_type=client_credentials`, cached until near expiry.

    Args:
        token_url: usually `{base_url}/oauth/token`.
        client_id: the App Connector's OAuth client id.
        client_secret: its secret.
        clock: seconds, monotonic; injectable for tests.
    """

    oauth = True

    def __init__(self, token_url: str, client_id: str, client_secret: Secret, clock=time.monotonic):
        self._token_url = token_url
        self._client_id = client_id
        self._secret = client_secret
        self._clock = clock
        self._lock = threading.Lock()
        self._access: Secret | None = None
        self._valid_until = 0.0
        self.fetches = 0

    def authorization_header(self, http: httpx.Client) -> str:
        with self._lock:
            if self._access is None or self._clock() >= self._valid_until:
                self._fetch(http)
            assert self._access is not None
            return f"Bearer {self._access.reveal()}"

    def invalidate(self) -> None:
        with self._lock:
            self._access = None

    def _fetch(self, http: httpx.Client) -> None:
        try:
            response = http.post(
                self._token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._secret.reveal(),
                },
            )
        except httpx.HTTPError as exc:
            raise TransportError(f"Could not reach the AFAS OAuth token endpoint: {type(exc).__name__}.") from None
        if response.status_code in (400, 401, 403):
            raise AuthenticationError(status_code=response.status_code, oauth=True)
        if response.status_code != 200:
            raise TransportError(f"The AFAS OAuth token endpoint answered HTTP {response.status_code}.")
        try:
            body = response.json()
            access = body["access_token"]
            lifetime = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise ResponseFormatError("The AFAS OAuth token endpoint answered without an access_token.") from None
        self._access = Secret(access)
        self._valid_until = self._clock() + max(lifetime - _REFRESH_MARGIN_S, lifetime / 2)
        self.fetches += 1

    def __repr__(self) -> str:
        return f"OAuthClientCredentialsAuth(client_id={self._client_id!r}, client_secret=********)"
