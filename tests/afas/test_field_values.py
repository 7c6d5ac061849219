"""What AFAS puts in fields besides plain values, read by the client from the simulator over loopback:
`(replaced)` in unlinked fields, hyphenated field ids, blob fields and code tables in metainfo."""

from __future__ import annotations

import base64
import logging
from decimal import Decimal

import polars as pl
import pytest

import catalog
from afas.client import AfasClient
from afas.doctor import diagnose
from afas.frames import Column, FrameSchema
from afas.metainfo import compare, kind_of
from afas.settings import ClientSettings
from afas_simulator import Realism, Simulator, default_config
from afas_simulator.definitions import ExtraField, FieldChanges, replaced_cells, reshape
from schemas import validate
from tests.afas_simulator.http_support import definition
from tests.conftest import MEMBER, connection_for

TX = catalog.TRANSACTIONS
SLICE = dict(administration=1, year=2025, period=2)
#: A money, a date, a datetime and a text field of the catalog, and a hyphenated extra money field.
REPLACED = {"VatAmt": 0.3, "VoucherDate": 0.3, "Created": 0.3, "Description": 0.3, "Btw-bedrag": 0.3}
EXTRA = (ExtraField("Btw-bedrag", "decimal"),)


@pytest.fixture
def exact_pages(monkeypatch) -> list[int]:
    """Counts the pages read by the exact parser (the rest took the fast path)."""
    calls: list[int] = []
    exact = FrameSchema._parse_exact

    def counted(self, body):
        calls.append(1)
        return exact(self, body)

    monkeypatch.setattr(FrameSchema, "_parse_exact", counted)
    return calls


def expected_after_replacing(
    sim: Simulator, plain: pl.DataFrame, connector: catalog.Connector, changes: FieldChanges,
    unit: int, year: int | None = None, period: int | None = None,
) -> tuple[pl.DataFrame, dict[str, int]]:
    """The client's frame without `(replaced)`, with the simulator's chosen cells emptied (typed
    fields) or set to the literal (text fields), and the count per field."""
    truth = sim.environment(MEMBER).data.frame(connector.id, unit, year, period).sort(connector.key)
    masks = replaced_cells(reshape(truth, changes), connector, changes)
    assert truth.select(connector.key).equals(plain.select(connector.key))
    typed = {f.id: f.kind for f in connector.fields}
    edits = []
    for field_id, mask in masks.items():
        kind = typed.get(field_id, catalog.Kind.MONEY)  # the extra field in these tests is money
        fill = pl.lit(catalog.REPLACED) if kind is catalog.Kind.TEXT else pl.lit(None)
        edits.append(pl.when(pl.lit(mask)).then(fill).otherwise(pl.col(field_id))
                     .cast(plain.schema[field_id]).alias(field_id))
    return plain.with_columns(edits), {k: int(m.sum()) for k, m in masks.items()}


def test_replaced_is_empty_in_typed_fields_text_in_text_fields_and_counted(sim, make_client, caplog, exact_pages):
    client = make_client()
    with definition(sim, TX.id, FieldChanges(added=EXTRA)):
        plain = client.fetch(TX.id, **SLICE).frame
    changes = FieldChanges(added=EXTRA, replaced=REPLACED)
    with definition(sim, TX.id, changes), caplog.at_level(logging.WARNING, logger="afas"):
        fetched = make_client().fetch(TX.id, **SLICE)
    expected, counts = expected_after_replacing(sim, plain, TX, changes, unit=1, year=2025, period=2)
    assert all(counts[f] > 0 for f in REPLACED) and set(counts) == set(REPLACED)
    assert fetched.frame.schema == plain.schema  # money stays Decimal, dates Date, times Amsterdam
    assert fetched.frame.schema["Btw-bedrag"] == pl.Decimal(38, 2)
    assert fetched.frame.equals(expected)
    # Never 0: an emptied amount is null, and the amounts beside it are AFAS's to the cent.
    assert fetched.frame["VatAmt"].null_count() >= counts["VatAmt"]
    assert fetched.frame["VatAmt"].drop_nulls().sum() == expected["VatAmt"].drop_nulls().sum()
    assert dict(fetched.replaced) == counts
    assert not exact_pages  # all on the fast path
    warnings = [r.getMessage() for r in caplog.records if "(replaced)" in r.getMessage()]
    for field_id, n in counts.items():
        (line,) = [w for w in warnings if f" field {field_id}:" in w]
        assert f"{n} cell(s) of {TX.id}" in line
        assert ("kept as AFAS's text" if field_id == "Description" else "read as empty") in line
    token = sim.token(MEMBER, "valid").data
    assert all(token not in w and token.lower() not in w for w in warnings)


def test_replaced_ints_and_booleans_become_empty(sim, make_client):
    client = make_client()
    for connector, field_id in [(catalog.ACCOUNTS, "Blocked"), (catalog.DOSSIER_ITEMS, "TypeId")]:
        plain = client.fetch(connector.id, administration=1).frame
        changes = FieldChanges(replaced={field_id: 0.5})
        with definition(sim, connector.id, changes):
            fetched = make_client().fetch(connector.id, administration=1)
        expected, counts = expected_after_replacing(sim, plain, connector, changes, unit=1)
        assert counts[field_id] > 0 and dict(fetched.replaced) == counts
        assert fetched.frame.equals(expected), connector.id


def test_replaced_with_profit6_decimals(sim, make_client):
    sim.config.realism.profit6_decimals = True  # restored by the `sim` fixture
    client = make_client()
    plain = client.fetch(TX.id, **SLICE).frame
    changes = FieldChanges(replaced={"VatAmt": 0.5, "AmtDebit": 0.5})
    with definition(sim, TX.id, changes):
        fetched = make_client().fetch(TX.id, **SLICE)
    expected, counts = expected_after_replacing(sim, plain, TX, changes, unit=1, year=2025, period=2)
    assert fetched.frame.equals(expected) and dict(fetched.replaced) == counts


def test_replaced_beside_amounts_only_the_exact_parser_reads(exact_pages):
    """Amounts of 16 digits leave the fast path: the exact parser meets `(replaced)` too."""
    with Simulator(default_config(31, environments=1, administrations=1, lines_per_period=10, realism=Realism.fast())) as own:
        env = own.environment(MEMBER)
        entry = env.scenario("find_entries", unit_id=1, year=2025, period=2)[0]
        env.scenario("change_entry", unit_id=1, entry_no=entry, factor=10**10)
        with AfasClient(connection_for(own), ClientSettings()) as client:
            plain = client.fetch(TX.id, **SLICE).frame
            big = plain.filter(pl.col("EntryNo") == entry)["AmtDebit"].max()
            assert big >= Decimal(10**12), "the entry's amounts must be beyond the fast path"
            changes = FieldChanges(replaced={"AmtDebit": 0.4, "EntryDate": 0.4})
            exact_pages.clear()
            with definition(own, TX.id, changes):
                fetched = client.fetch(TX.id, **SLICE)
        expected, counts = expected_after_replacing(own, plain, TX, changes, unit=1, year=2025, period=2)
    assert counts["AmtDebit"] > 0 and dict(fetched.replaced) == counts
    assert fetched.frame.equals(expected)
    assert exact_pages


def test_a_hyphenated_extra_field_lands_as_a_snake_case_column(sim, make_client):
    with definition(sim, TX.id, FieldChanges(added=(ExtraField("Btw-nummer"),))):
        client = make_client()
        assert compare(TX, client.connector_info(TX.id)).extra == ("Btw-nummer",)
        frame = client.fetch(TX.id, **SLICE).frame
    checked = validate(TX, frame)
    assert checked.ok and checked.extra == {"Btw-nummer": "btw_nummer"}
    assert checked.frame["btw_nummer"].to_list() == frame["Btw-nummer"].to_list()
    assert checked.frame["btw_nummer"][:2].to_list() == ["X0", "X1"]


def test_a_blob_field_is_understood_reported_and_kept_as_base64_text(sim, make_client):
    with definition(sim, TX.id, FieldChanges(added=(ExtraField("Handtekening", "blob"),))):
        client = make_client()
        info = client.connector_info(TX.id)
        frame = client.fetch(TX.id, **SLICE).frame
        report = diagnose(client)
    blob = info.field("Handtekening")
    assert blob is not None and blob.data_type == "blob" and kind_of(blob, TX) is catalog.Kind.BLOB
    assert frame.schema["Handtekening"] == Column("Handtekening", catalog.Kind.BLOB).dtype == pl.String()
    assert base64.b64decode(frame["Handtekening"][1], validate=True) == b"Bijlage 1"
    (fields,) = [c for c in report.checks if c.name == f"fields of {TX.id}"]
    assert "Handtekening (blob, kept as base64 text)" in fields.detail
    checked = validate(TX, frame)
    assert checked.ok and checked.frame["handtekening"].to_list() == frame["Handtekening"].to_list()


def test_code_tables_are_read_from_metainfo(sim, make_client):
    client = make_client()
    info = client.connector_info(TX.id)
    journals = dict(info.field("JournalId").values)
    assert journals["20"] == "Verkoopboek" and journals["50"] == "Bank"
    assert dict(info.field("VatCode").values)["2"] == "Btw laag 9%"
    assert info.field("AccountNo").values == ()
    held = set(client.fetch(TX.id, **SLICE).frame["JournalId"].drop_nulls())
    assert held and held <= set(journals)


@pytest.mark.parametrize(
    "odd, readable",
    [
        ("not a list", ()),
        ({"id": "10", "description": "Inkoopboek"}, ()),
        ([None, 7, [], {"description": "no code"}, {"id": ""}, {"id": {"x": 1}}], ()),
        ([{"ID": 10, "Description": None}, {"id": "20", "description": ["?"]}, {"id": "50", "description": "Bank"}],
         (("10", ""), ("20", ""), ("50", "Bank"))),
    ],
)
def test_odd_code_tables_are_ignored_not_fatal(sim, make_client, monkeypatch, odd, readable):
    import afas_simulator.metainfo as served

    monkeypatch.setattr(served, "_code_table", lambda field_id: {"values": odd} if field_id == "JournalId" else {})
    client = make_client()
    info = client.connector_info(TX.id)
    assert [f.id for f in info.fields] == list(TX.field_ids)
    assert info.field("JournalId").values == readable
    assert info.field("VatCode").values == ()
    assert client.fetch(TX.id, **SLICE).frame.height > 0
