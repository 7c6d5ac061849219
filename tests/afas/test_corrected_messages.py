"""Three messages that told the user the wrong thing: maintenance, the `AfasToken ` prefix, out of memory."""

from __future__ import annotations

import base64
import io

import pytest

import catalog
from afas.credentials import AppConnectorToken
from afas.errors import MaintenanceError, OutOfMemoryError, TokenFormatError
from pipelines.cli import main
from tests.conftest import MEMBER

TX = catalog.TRANSACTIONS.id
XML = "<token><version>1</version><data>" + "AB12" * 16 + "</data></token>"
BASE64 = base64.b64encode(XML.encode()).decode()


class Stdin(io.StringIO):
    def isatty(self) -> bool:
        return False


def cli(home, *args, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    return main(["--home", str(home), *args], stdin=Stdin(stdin), out=out), out.getvalue()


def connect_args(sim) -> list[str]:
    return ["connect", sim.environment(MEMBER).spec.code, "--base-url", sim.base_url(MEMBER), "--token-stdin"]


# -- (a) maintenance: a load retries by itself, a command someone typed does not ------------------

def test_maintenance_during_a_load_says_loads_resume():
    text = str(MaintenanceError(7200))
    assert "7200 s" in text and "Loads resume by themselves" in text


def test_maintenance_during_connect_says_to_run_it_again_later(sim, tmp_path):
    sim.faults.script("503", times=None, retry_after=7200)
    code, out = cli(tmp_path, *connect_args(sim), stdin=sim.token_xml(MEMBER))
    assert code == 2
    assert "maintenance" in out and "run the command again in about 2 hours" in out, out
    assert "resume by themselves" not in out
    assert not (tmp_path / "environments.json").exists()


def test_maintenance_during_doctor_says_to_run_it_again_later(sim, tmp_path):
    assert cli(tmp_path, *connect_args(sim), stdin=sim.token_xml(MEMBER))[0] == 0
    sim.faults.script("503", times=None, retry_after=3600)
    code, out = cli(tmp_path, "doctor")
    assert code == 1
    assert "run the command again in about 60 minutes" in out, out
    assert "resume by themselves" not in out


# -- (b) the Authorization header's `AfasToken ` prefix pasted along -------------------------------

@pytest.mark.parametrize("pasted", [f"AfasToken {BASE64}", f"  afastoken {BASE64}\n", f"Authorization: AfasToken {BASE64}"])
def test_the_header_form_is_accepted_without_its_prefix(pasted):
    assert AppConnectorToken.parse(pasted) == AppConnectorToken.parse(XML)


def test_a_bad_value_after_the_prefix_says_to_drop_the_prefix():
    with pytest.raises(TokenFormatError) as raised:
        AppConnectorToken.parse("AfasToken geheim-en-kapot")
    text = str(raised.value)
    assert "without the 'AfasToken ' prefix" in text and "geheim" not in text


def test_connect_accepts_the_header_form(sim, tmp_path):
    header = f"AfasToken {base64.b64encode(sim.token_xml(MEMBER).encode()).decode()}"
    code, out = cli(tmp_path, *connect_args(sim), stdin=header)
    assert code == 0, out


# -- (c) out of memory when pages are already one row ----------------------------------------------

def test_out_of_memory_at_one_row_points_at_the_connector_definition(sim, make_client):
    sim.config.realism.cell_budget = 5  # fewer cells than one row of transactions has
    client = make_client()
    with pytest.raises(OutOfMemoryError) as raised:
        client.fetch(TX, administration=1, year=2025, period=1)
    text = str(raised.value)
    assert "single row" in text and f"'{TX}'" in text and "definition" in text and "afas-pipeline doctor" in text
    assert "fewer rows" not in text
    assert raised.value.connector_id == TX and not raised.value.retryable


def test_out_of_memory_above_one_row_still_halves_the_page(sim, make_client):
    sim.config.realism.cell_budget = 18 * 60
    client = make_client(cells_per_page=18 * 100)
    assert client.fetch(TX, administration=1, year=2025, period=1).frame.height > 0
