"""Definitions that differ from the catalog, and broken rows, as the client sees them."""

from __future__ import annotations

import polars as pl
import pytest

import catalog
from afas.metainfo import compare
from afas_simulator.definitions import ExtraField, FieldChanges
from tests.conftest import MEMBER

TX = catalog.TRANSACTIONS


@pytest.fixture
def drifted(sim):
    env = sim.environment(MEMBER).spec
    env.field_changes = {TX.id: FieldChanges(added=(ExtraField("Btw-nummer"), ExtraField("KostenBedrag", "decimal")),
                                             removed=frozenset({"VatCode"}))}
    yield sim
    env.field_changes = {}


def test_extra_and_missing_fields_reach_the_client(drifted, make_client):
    client = make_client()
    diff = compare(TX, client.connector_info(TX.id))
    assert diff.extra == ("Btw-nummer", "KostenBedrag") and diff.missing_optional == ("VatCode",)
    frame = client.fetch(TX.id, administration=1, year=2025, period=2).frame
    assert "VatCode" not in frame.columns
    assert frame.schema["KostenBedrag"] == pl.Decimal(38, 2)
    assert frame["Btw-nummer"][0] == "X0"


@pytest.mark.parametrize("mode", ["duplicate", "unbalanced", "null_key"])
def test_bad_rows_are_served_once(sim, make_client, mode):
    client = make_client()
    good = client.fetch(TX.id, administration=1, year=2025, period=2).frame
    sim.faults.script("bad_row", connector=TX.id, mode=mode)
    bad = client.fetch(TX.id, administration=1, year=2025, period=2).frame
    again = client.fetch(TX.id, administration=1, year=2025, period=2).frame
    assert not bad.equals(good)
    assert again.equals(good)
