"""Which user-typed values a message may repeat: never one that could be a secret.

Users paste secrets into the wrong field (the token as the environment code, a password into a
number setting), and a message that repeats the value puts the secret on screen, into logs and
into Dagster's run storage. Messages therefore repeat a value only after it passed a pattern that
no secret matches (`shown`), and settings that hold paths or URLs refuse a value that looks like a
secret (`looks_like_secret`) before anything writes it down.

The secrets recognised: an AFAS token (its `<token>` XML, the bare 64-hex data part, base64 of the
XML, with or without `AfasToken `), a PostgreSQL password in a conninfo or URL, an AWS secret key.
Standard library only: the command line, `afas` and `warehouse` all use it.
"""

from __future__ import annotations

import base64
import binascii
import re

# Long runs of hexadecimal digits: a token's data part is 64 of them. AFAS's own ids of 32 (file
# ids, profit log references) are not secrets and stay below the line.
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{40,}")
_TOKEN_MARKUP = re.compile(r"<\s*/?\s*(token|data)\s*>|afastoken", re.IGNORECASE)
# A password already masked as `***` (warehouse.settings.redact) is no longer one.
_PASSWORD = re.compile(r"password\s*=\s*(?!\*\*\*(\s|$))\S|://[^:/@\s]+:(?!\*\*\*@)[^@\s]+@", re.IGNORECASE)
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
# AWS secret access keys are 40 characters of base64's alphabet, random, so upper and lower case
# alternate often; words and paths of that length rarely switch case more than a few times.
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/])")
_AWS_CASE_SWITCHES = 10


def looks_like_secret(text: str) -> bool:
    """True when `text` holds something shaped like one of the secrets above (or a large part of one)."""
    if not text:
        return False
    if _HEX_RUN.search(text) or _TOKEN_MARKUP.search(text) or _PASSWORD.search(text):
        return True
    if any(_decodes_to_token(run.group(0)) for run in _BASE64_RUN.finditer(text)):
        return True
    return any(_case_switches(m.group(0)) >= _AWS_CASE_SWITCHES for m in _AWS_SECRET.finditer(text))


def shown(text: str, pattern: str | re.Pattern[str] | None = None) -> str:
    """`text` quoted for a message when it matches `pattern` (whole) and holds no secret; otherwise a
    placeholder that says why it is not repeated."""
    stripped = (text or "").strip()
    fits = pattern is None or re.fullmatch(pattern, stripped) is not None
    if stripped and fits and not looks_like_secret(stripped):
        return repr(stripped)
    return "(the value is not repeated here in case it holds a secret)"


_WORD = re.compile(r"[^\s'\",\[\]()]+")


def masked(text: str) -> str:
    """`text` with every word that looks like a secret replaced by `***`, for messages that quote
    text we did not write ourselves (argparse's, DuckDB's)."""
    return _WORD.sub(lambda m: "***" if looks_like_secret(m.group()) else m.group(), text)


def number(variable: str, text: str | None, default: float, kind: type = int, error: type[Exception] = ValueError):
    """`text` as an int or float, `default` when unset; a bad value raises `error` naming the variable
    but not the value (Python's own ValueError repeats the value)."""
    if text is None or not text.strip():
        return default
    try:
        return kind(text.strip())
    except ValueError:
        raise error(f"{variable} must be {'a whole number' if kind is int else 'a number'} "
                    "(the value is not repeated here in case it holds a secret)") from None


def _decodes_to_token(run: str) -> bool:
    """Base64 of the token XML or of a large part of it: decoded at each of the four alignments (a run
    cut out of the middle starts anywhere), it shows the XML's tags or a long run of hex."""
    for start in range(4):
        piece = run[start:]
        piece = piece[: len(piece) - len(piece) % 4]
        try:
            decoded = base64.b64decode(piece, validate=True)
        except (binascii.Error, ValueError):
            continue
        text = decoded.decode("latin-1")
        if _TOKEN_MARKUP.search(text) or _HEX_RUN.search(text):
            return True
    return False


def _case_switches(run: str) -> int:
    letters = [c for c in run if c.isalpha()]
    return sum(1 for a, b in zip(letters, letters[1:]) if a.isupper() != b.isupper())
