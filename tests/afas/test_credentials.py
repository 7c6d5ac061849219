import base64

import pytest

from afas.connection import Connection
from afas.credentials import AppConnectorToken, EnvironmentCode, EnvironmentType
from afas.errors import EnvironmentCodeError, TokenFormatError

HEX = "0123456789ABCDEF" * 4
XML = f"<token><version>1</version><data>{HEX}</data></token>"


@pytest.mark.parametrize(
    "pasted",
    [
        XML,
        f"  <token>\n  <version>1</version>\n  <data>{HEX}</data>\n</token>\n",
        HEX,
        f" {HEX}\n",
        base64.b64encode(XML.encode()).decode(),
    ],
)
def test_every_pasted_form_gives_the_same_header(pasted):
    expected = "AfasToken " + base64.b64encode(XML.encode()).decode()
    assert AppConnectorToken.parse(pasted).authorization_header() == expected


@pytest.mark.parametrize(
    "bad",
    ["", "   ", HEX[:-1], HEX + "0", "<token><data>zz</data></token>", "hello world " + HEX[:10],
     base64.b64encode(b"<token>nope</token>").decode()],
)
def test_malformed_tokens_are_refused_without_echoing_them(bad):
    with pytest.raises(TokenFormatError) as err:
        AppConnectorToken.parse(bad)
    message = str(err.value)
    assert "Gebruikerstokens" in message
    if bad.strip():
        assert bad.strip() not in message
        assert HEX[:16] not in message


def test_token_never_shows_in_repr():
    token = AppConnectorToken.parse(HEX)
    conn = Connection.from_token("O12345AA", HEX)
    for text in (repr(token), str(token), repr(conn), str(conn.auth)):
        assert HEX not in text
        assert HEX.lower() not in text


@pytest.mark.parametrize(
    "code,env_type,url,key",
    [
        ("O12345AA", None, "https://12345.rest.afas.online/ProfitRestServices", "O12345"),
        ("o12345aa", None, "https://12345.rest.afas.online/ProfitRestServices", "O12345"),
        ("T12345AB", None, "https://12345.resttest.afas.online/ProfitRestServices", "T12345"),
        ("A12345AA", None, "https://12345.restaccept.afas.online/ProfitRestServices", "A12345"),
        ("12345", None, "https://12345.rest.afas.online/ProfitRestServices", "O12345"),
        ("12345", "test", "https://12345.resttest.afas.online/ProfitRestServices", "T12345"),
        (" 12345 ", EnvironmentType.ACCEPT, "https://12345.restaccept.afas.online/ProfitRestServices", "A12345"),
    ],
)
def test_environment_codes(code, env_type, url, key):
    parsed = EnvironmentCode.parse(code, env_type)
    assert parsed.base_url == url
    assert parsed.key == key


@pytest.mark.parametrize("code", ["", "X12345AA", "O12", "O12345AA-1", "https://12345.rest.afas.online"])
def test_bad_environment_codes_explain_the_shape(code):
    with pytest.raises(EnvironmentCodeError, match="O12345AA"):
        EnvironmentCode.parse(code)


def test_conflicting_type_is_refused():
    with pytest.raises(EnvironmentCodeError, match="test environment"):
        EnvironmentCode.parse("T12345AA", "production")


def test_base_url_override():
    conn = Connection.from_token("O12345AA", HEX, base_url="http://127.0.0.1:9/12345/ProfitRestServices/")
    assert conn.base_url == "http://127.0.0.1:9/12345/ProfitRestServices"
    assert conn.name == "o12345"
