"""What the simulator is asked and answers: `Request`, `Reply`, and AFAS's error answers.

`server.py` turns bytes on a socket into a `Request` and a `Reply` back into bytes; everything in
between (the AFAS API in api.py, the admin endpoint in admin.py) works on these values only. AFAS's
own texts live here so that tests and the client's error mapping can point at one spelling.

Tags in comments follow `shared/reference/afas-rest-api.md`: [C] confirmed, [S] one source,
[G] the simulator's guess (the client must not depend on it).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson

from afas_simulator.wire import render_json

JSON_CONTENT_TYPE = "application/json; charset=utf-8"

# AFAS's texts. [S]/[C] where the contract quotes them, [G] where we made one up.
NOT_AUTHORISED_TEXT = "GetConnector niet ondersteund voor deze app of de gebruiker is niet geautoriseerd"  # [S]
SUBJECT_NOT_AUTHORISED_TEXT = (
    "AppConnectorSubject niet ondersteund voor deze app of de gebruiker is niet geautoriseerd"  # [G]
)
BLOCKED_TEXT = "Deze GetConnector (definitie) is geblokkeerd"  # [C]
TIMEOUT_TEXT = "De maximale tijdsduur voor het uitvoeren van de opdracht is verstreken."  # [C]
OUT_OF_MEMORY_TEXT = "Out of memory"  # [S]
OUT_OF_STRING_SPACE_TEXT = "Out of String space"  # [S]: an answer over 75 MB
TRANSIENT_TEXT = "Er is een onverwachte fout opgetreden. Probeer het later opnieuw."  # [G]
TOO_MANY_IN_FLIGHT_TEXT = (
    "Het maximale aantal gelijktijdige verzoeken voor deze omgeving is bereikt."  # [G]
)
PLAIN_TOKEN_TEXT = "Het token in de header Authorization is geen geldige Base64-tekenreeks."  # [G]
SUBJECT_FILE_MISSING_TEXT = "Het bestand is niet gevonden of u heeft geen rechten op dit bestand."  # [G]
MAINTENANCE_TEXT = "AFAS Online is tijdelijk niet beschikbaar wegens onderhoud."  # [G]

#: The same texts from an environment whose language is English [G: AFAS translates its messages;
#: the wording is ours]. A client must classify on status and stable markers, not on Dutch words.
ENGLISH_TEXTS = {
    NOT_AUTHORISED_TEXT: "GetConnector not supported for this app or the user is not authorised",
    SUBJECT_NOT_AUTHORISED_TEXT: "AppConnectorSubject not supported for this app or the user is not authorised",
    BLOCKED_TEXT: "This GetConnector (definition) is blocked",
    TIMEOUT_TEXT: "The maximum time for executing the command has expired.",
    TRANSIENT_TEXT: "An unexpected error occurred. Please try again later.",
    TOO_MANY_IN_FLIGHT_TEXT: "The maximum number of simultaneous requests for this environment has been reached.",
    PLAIN_TOKEN_TEXT: "The token in the Authorization header is not a valid Base-64 string.",
    SUBJECT_FILE_MISSING_TEXT: "The file was not found or you have no rights to this file.",
    MAINTENANCE_TEXT: "AFAS Online is temporarily unavailable due to maintenance.",
}

# `errorNumber` values [G]: AFAS sends a number, its meaning is not public. Out of memory borrows
# Windows' E_OUTOFMEMORY, which is what a .NET server would surface.
ERROR_NUMBER_FUNCTIONAL = -1
ERROR_NUMBER_OUT_OF_MEMORY = -2147024882
ERROR_NUMBER_TIMEOUT = -2146233083
ERROR_NUMBER_TRANSIENT = -2146232060


@dataclass(frozen=True)
class Request:
    """One HTTP request as the server read it.

    Attributes:
        method: HTTP method, upper case.
        path: the path as sent, without the query string (still percent-encoded).
        query: the raw query string after `?` ("" when none).
        headers: request headers; look-ups ignore case.
        body: the request body.
        client_ip: the peer's address (for IP restrictions).
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes = b""
    client_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        """A header's value, whatever its case, or None."""
        value = self.headers.get(name)
        if value is not None:
            return value
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass
class Reply:
    """One answer, before it is written to the socket.

    Attributes:
        status: HTTP status code.
        body: the body bytes (empty for a bare answer).
        content_type: the Content-Type header, or None for a body-less answer.
        headers: extra headers (e.g. `WWW-Authenticate`).
        reset: instead of answering, reset the TCP connection (RST, no bytes at all).
        rows: rows in the body, for statistics (0 when not a GetConnector page).
    """

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False
    rows: int = 0


class Refusal(Exception):
    """Raised deep inside request handling to answer at once with `reply`."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(f"HTTP {reply.status}")
        self.reply = reply


def json_reply(obj: object, status: int = 200, *, rows: int = 0) -> Reply:
    """A one-line JSON answer (Profit 7+ writes every JSON answer on one line [S])."""
    return Reply(status, render_json(obj), JSON_CONTENT_TYPE, rows=rows)


def bytes_reply(body: bytes, status: int = 200, *, rows: int = 0) -> Reply:
    """A JSON answer whose body is already rendered (GetConnector pages)."""
    return Reply(status, body, JSON_CONTENT_TYPE, rows=rows)


def bare(status: int, headers: dict[str, str] | None = None) -> Reply:
    """An answer without a body: AFAS's 401 for a bad token carries none [C status, G body]."""
    return Reply(status, headers=dict(headers or {}))


def profit_log_reference() -> str:
    """A fresh `profitLogReference`: 32 hexadecimal characters, as AFAS sends [C]."""
    return uuid.uuid4().hex.upper()


def afas_error(status: int, message: str, error_number: int = ERROR_NUMBER_FUNCTIONAL) -> Reply:
    """AFAS's error body `{"externalMessage","errorNumber","profitLogReference"}` [C], with the obsolete
    `X-PROFIT-ERROR` header (base64 of the message) AFAS still sends beside it [C: "don't rely on it"]."""
    reply = json_reply(
        {
            "externalMessage": message,
            "errorNumber": error_number,
            "profitLogReference": profit_log_reference(),
        },
        status,
    )
    reply.headers["X-PROFIT-ERROR"] = base64.b64encode(message.encode("utf-8")).decode("ascii")
    return reply


def in_language(reply: Reply, language: str) -> Reply:
    """The answer with AFAS's own texts in the environment's language ("nl" answers as built)."""
    if language == "nl" or reply.status < 400 or not reply.body:
        return reply
    doc = orjson.loads(reply.body)
    if "externalMessage" in doc and doc["externalMessage"] in ENGLISH_TEXTS:
        doc["externalMessage"] = ENGLISH_TEXTS[doc["externalMessage"]]
        translated = Reply(reply.status, render_json(doc), reply.content_type, dict(reply.headers), rows=reply.rows)
        translated.headers["X-PROFIT-ERROR"] = base64.b64encode(doc["externalMessage"].encode("utf-8")).decode("ascii")
        return translated
    error = doc.get("error")
    if isinstance(error, dict) and error.get("message") in ENGLISH_TEXTS:
        error["message"] = ENGLISH_TEXTS[error["message"]]
        return Reply(reply.status, render_json(doc), reply.content_type, dict(reply.headers), rows=reply.rows)
    return reply


def maintenance(retry_after_s: int, message: str = MAINTENANCE_TEXT) -> Reply:
    """AFAS Online's maintenance answer: 503 with `retry_after` in the body, not a header [C]."""
    return json_reply({"error": {"code": "503", "message": message}, "retry_after": int(retry_after_s)}, 503)


def not_found() -> Reply:
    """404 for a wrong URL or a too-long query string; IIS answers these before Profit sees them."""
    return bare(404)


def connection_reset() -> Reply:
    """Drop the connection with a TCP reset and answer nothing ("connection reset by peer")."""
    return Reply(0, reset=True)
