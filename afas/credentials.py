"""Who we are and where AFAS is: tokens in every form users paste, environment codes, base URLs.

Users copy the token once from AFAS Online (seed step 4) and paste whatever they copied: the whole
`<token><version>1</version><data>…</data></token>` XML, only the 64 hexadecimal characters of the
data part, or the already base64-encoded header value. All three are accepted, also with the
`AfasToken ` prefix of the Authorization header in front (it is dropped). Errors describe the shape
of what was given, never its content, in every field: a token pasted as the environment code is
not repeated either.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from dataclasses import dataclass

from afas.errors import EnvironmentCodeError, TokenFormatError
from catalog.redaction import looks_like_secret, shown


class Secret:
    """A string that never shows itself in `repr`, `str`, logs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        """The secret itself; call only where it goes on the wire or into the secret store."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


_XML_TOKEN = re.compile(
    r"^\s*<token>\s*<version>\s*(\d+)\s*</version>\s*<data>\s*([0-9A-Fa-f]{64})\s*</data>\s*</token>\s*$",
    re.IGNORECASE,
)
_HEX_TOKEN = re.compile(r"^\s*([0-9A-Fa-f]{64})\s*$")
_BASE64 = re.compile(r"^\s*([A-Za-z0-9+/]+={0,2})\s*$")
# The Authorization header's scheme, copied along from a proxy log or the simulator's output.
_HEADER_PREFIX = re.compile(r"^\s*(authorization\s*:\s*)?afastoken\s+", re.IGNORECASE)


@dataclass(frozen=True)
class AppConnectorToken:
    """A classic App Connector user token.

    Attributes:
        xml: the canonical `<token><version>1</version><data>HEX</data></token>` text (secret).
    """

    xml: Secret

    @classmethod
    def parse(cls, text: str) -> "AppConnectorToken":
        """Accept the token as XML, as its 64-hex data part, or as base64 of the XML.

        A leading `AfasToken ` (or `Authorization: AfasToken `), the header form, is dropped: what
        follows it is the base64 form.

        Raises:
            TokenFormatError: with a description of what was given (length and shape, not content).

        >>> AppConnectorToken.parse("ab" * 32).xml.reveal().startswith("<token><version>1</version>")
        True
        """
        if isinstance(text, str) and (prefix := _HEADER_PREFIX.match(text)) is not None:
            return cls._parse_header_value(text[prefix.end():])
        if not isinstance(text, str) or not text.strip():
            raise TokenFormatError(
                "The AFAS token is empty. Paste the token AFAS showed when it was created "
                "(App connector → Gebruikerstokens, steps 3 and 4)."
            )
        if (m := _XML_TOKEN.match(text)) is not None:
            return cls._from_parts(m.group(1), m.group(2))
        if (m := _HEX_TOKEN.match(text)) is not None:
            return cls._from_parts("1", m.group(1))
        if (m := _BASE64.match(text)) is not None and not text.strip().startswith("<"):
            try:
                decoded = base64.b64decode(m.group(1), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            if (x := _XML_TOKEN.match(decoded)) is not None:
                return cls._from_parts(x.group(1), x.group(2))
        raise TokenFormatError(_describe_bad_token(text))

    @classmethod
    def _parse_header_value(cls, rest: str) -> "AppConnectorToken":
        try:
            return cls.parse(rest)
        except TokenFormatError:
            raise TokenFormatError(
                "The AFAS token starts with 'AfasToken ', the Authorization header's prefix, but what follows "
                f"it is not a token ({_shape(rest)}). Paste the token without the 'AfasToken ' prefix, as AFAS "
                "showed it when it was created (App connector → Gebruikerstokens, steps 3 and 4)."
            ) from None

    @classmethod
    def _from_parts(cls, version: str, data: str) -> "AppConnectorToken":
        return cls(Secret(f"<token><version>{int(version)}</version><data>{data}</data></token>"))

    def authorization_header(self) -> str:
        """`AfasToken <base64 of the whole XML>`; AFAS answers 500 to the plain XML since Profit 6."""
        encoded = base64.b64encode(self.xml.reveal().encode("utf-8")).decode("ascii")
        return f"AfasToken {encoded}"


def _shape(text: str) -> str:
    stripped = text.strip()
    if not stripped:
        return "nothing"
    if stripped.startswith("<"):
        return "XML that is not <token><version>1</version><data>64 hexadecimal characters</data></token>"
    if re.fullmatch(r"[0-9A-Fa-f]+", stripped):
        return f"{len(stripped)} hexadecimal characters (a token's data part has exactly 64)"
    return f"{len(stripped)} characters that are neither the token XML, its 64-hex data part nor base64 of it"


def _describe_bad_token(text: str) -> str:
    return (
        f"The AFAS token is malformed: got {_shape(text)}. Copy the whole token AFAS showed when it was created "
        "(App connector → Gebruikerstokens → Nieuw, steps 3 and 4); if it was lost, make a new one there."
    )


def _describe_bad_code(text: object) -> str:
    """What was given instead of a code, without repeating it: it may be the token in the wrong field."""
    given = text.strip() if isinstance(text, str) else ""
    if not given:
        what = "The AFAS environment code is empty."
    elif looks_like_secret(given) or _looks_like_token(given):
        what = ("What was given as the AFAS environment code looks like the token (or another secret), "
                "not the code; it is not repeated here. The token goes in separately (prompt, --token-stdin, "
                "--token-env or AFAS_TOKEN).")
    else:  # a short typo is named, so the user sees what to fix; anything longer is not repeated
        what = f"{shown(given, r'[A-Za-z0-9_-]{1,16}')} is not an AFAS environment code."
    return (f"{what} An environment code looks like O12345AA (O production, T test, A accept, then the member "
            "number): AFAS Online shows it in the bar at the top (seed step 5).")


def _looks_like_token(text: str) -> bool:
    try:
        AppConnectorToken.parse(text)
    except TokenFormatError:
        return False
    return True


class EnvironmentType(enum.Enum):
    """AFAS Online environment types and their REST host names."""

    PRODUCTION = "O"
    TEST = "T"
    ACCEPT = "A"

    @property
    def host_label(self) -> str:
        return {"O": "rest", "T": "resttest", "A": "restaccept"}[self.value]

    @classmethod
    def parse(cls, text: str) -> "EnvironmentType":
        key = text.strip().lower()
        aliases = {
            "o": cls.PRODUCTION, "production": cls.PRODUCTION, "productie": cls.PRODUCTION,
            "t": cls.TEST, "test": cls.TEST,
            "a": cls.ACCEPT, "accept": cls.ACCEPT, "acceptance": cls.ACCEPT, "acceptatie": cls.ACCEPT,
        }
        if key not in aliases:
            raise EnvironmentCodeError(
                f"Unknown AFAS environment type {shown(text, r'[A-Za-z]{1,12}')}: use production (O), "
                "test (T) or accept (A)."
            )
        return aliases[key]


_ENV_CODE = re.compile(r"^\s*([OTAota])?(\d{3,8})([A-Za-z]{0,4})\s*$")


@dataclass(frozen=True)
class EnvironmentCode:
    """An AFAS environment code ("omgevingscode") such as `O12345AA`.

    Attributes:
        member: the member number, the only part that goes into the host name.
        type: production, test or accept.
        text: the code as the user typed it (normalised to upper case).
    """

    member: str
    type: EnvironmentType
    text: str

    @classmethod
    def parse(cls, text: str, env_type: str | EnvironmentType | None = None) -> "EnvironmentCode":
        """Parse `O12345AA`, `T12345AB`, `A12345AA` or plain digits (with `env_type`, default production).

        >>> EnvironmentCode.parse("O12345AA").base_url
        'https://12345.rest.afas.online/ProfitRestServices'
        >>> EnvironmentCode.parse("12345", "test").base_url
        'https://12345.resttest.afas.online/ProfitRestServices'
        """
        m = _ENV_CODE.match(text or "") if isinstance(text, str) else None
        if m is None:
            raise EnvironmentCodeError(_describe_bad_code(text))
        letter, member, _suffix = m.groups()
        given = env_type if isinstance(env_type, EnvironmentType) else (
            EnvironmentType.parse(env_type) if env_type else None
        )
        if letter:
            from_code = EnvironmentType(letter.upper())
            if given is not None and given is not from_code:
                raise EnvironmentCodeError(
                    f"The environment code {text.strip()!r} is a {from_code.name.lower()} environment, "
                    f"but type {given.name.lower()} was given: drop the type or correct the code."
                )
            kind = from_code
        else:
            kind = given or EnvironmentType.PRODUCTION
        return cls(member=member, type=kind, text=text.strip().upper())

    @property
    def base_url(self) -> str:
        """The REST base URL, e.g. `https://12345.rest.afas.online/ProfitRestServices`."""
        return f"https://{self.member}.{self.type.host_label}.afas.online/ProfitRestServices"

    @property
    def key(self) -> str:
        """A short readable id, unique across environments: type letter + member number."""
        return f"{self.type.value}{self.member}"
