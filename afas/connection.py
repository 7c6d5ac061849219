"""One AFAS environment to talk to: its name, environment code, base URL and credentials."""

from __future__ import annotations

from dataclasses import dataclass

from afas.auth import AuthProvider, ClassicTokenAuth, OAuthClientCredentialsAuth
from afas.credentials import AppConnectorToken, EnvironmentCode, Secret
from afas.errors import ConfigurationError
from catalog.redaction import looks_like_secret


@dataclass(frozen=True)
class Connection:
    """Where an AFAS environment is and how we authenticate.

    Attributes:
        name: a short readable name (unique among configured environments), e.g. "o12345".
        environment: the parsed environment code.
        base_url: the REST base URL (the official one, or an override such as the simulator).
        auth: the Authorization header provider.
    """

    name: str
    environment: EnvironmentCode
    base_url: str
    auth: AuthProvider

    @classmethod
    def from_token(
        cls,
        environment_code: str,
        token: str,
        *,
        env_type: str | None = None,
        base_url: str | None = None,
        name: str | None = None,
    ) -> "Connection":
        """A connection with a classic App Connector token (any of its three pasted forms)."""
        code = EnvironmentCode.parse(environment_code, env_type)
        auth = ClassicTokenAuth(AppConnectorToken.parse(token))
        return cls(name or code.key.lower(), code, _check_url(base_url or code.base_url), auth)

    @classmethod
    def from_oauth(
        cls,
        environment_code: str,
        client_id: str,
        client_secret: str,
        *,
        env_type: str | None = None,
        base_url: str | None = None,
        token_url: str | None = None,
        name: str | None = None,
    ) -> "Connection":
        """A connection with OAuth client credentials (AFAS's successor to classic tokens)."""
        if not client_id or not client_secret:
            raise ConfigurationError("OAuth needs both a client id and a client secret from the App Connector.")
        code = EnvironmentCode.parse(environment_code, env_type)
        url = _check_url(base_url or code.base_url)
        auth = OAuthClientCredentialsAuth(token_url or f"{url}/oauth/token", client_id, Secret(client_secret))
        return cls(name or code.key.lower(), code, url, auth)


def _check_url(url: str) -> str:
    # Never repeated: a token pasted as --base-url / AFAS_BASE_URL would be shown otherwise, and a
    # URL that holds one would be listed, logged and sent on every call.
    if not url.startswith(("https://", "http://")):
        raise ConfigurationError(
            "The AFAS base URL must start with https:// (the value given is not repeated here in case it "
            "holds a secret)."
        )
    if looks_like_secret(url):
        raise ConfigurationError(
            "The AFAS base URL looks like it holds a token or password: give the REST URL only, e.g. "
            "https://12345.rest.afas.online/ProfitRestServices, and the token separately."
        )
    return url.rstrip("/")
