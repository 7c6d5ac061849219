"""Definitions as AFAS has them over HTTP: `(replaced)` cells, hyphenated ids, blobs, code tables."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest

from catalog import ACCOUNTS, ADMINISTRATIONS, CONNECTORS, DOSSIER_ITEMS, RECEIVABLES, TRANSACTIONS
from afas_simulator.definitions import ExtraField, FieldChanges
from afas_simulator.ledger.chart import JOURNALS, VAT_CODES
from afas_simulator.metainfo import CODE_TABLES
from tests.afas_simulator.http_support import BIG_SLICE, BIG_SLICE_LINES, definition, slice_filter

TX = TRANSACTIONS
ALL = {"skip": -1, "take": -1}


def rows(client, connector_id: str, **params) -> list[dict]:
    r = client.get(f"connectors/{connector_id}", params=params)
    assert r.status_code == 200, r.text
    return json.loads(r.content, parse_float=Decimal)["rows"]


def fields(client, connector_id: str) -> dict[str, dict]:
    return {f["id"]: f for f in client.get(f"metainfo/get/{connector_id}").json()["fields"]}


def tx_rows(client, **params) -> list[dict]:
    return rows(client, TX.id, **slice_filter(*BIG_SLICE), orderbyfieldids=",".join(TX.sort_fields), **params)


def key(row: dict) -> tuple:
    return tuple(row[k] for k in TX.key)


REPLACED_TX = {"VatAmt": 0.3, "VoucherDate": 0.3, "Created": 0.3, "Description": 0.2}


def test_replaced_fields_hold_the_literal_in_some_rows_of_any_type(client, srv):
    plain = tx_rows(client, **ALL)
    with definition(srv, TX.id, FieldChanges(replaced=REPLACED_TX)):
        r = client.get(f"connectors/{TX.id}", params={**slice_filter(*BIG_SLICE), **ALL,
                                                        "orderbyfieldids": ",".join(TX.sort_fields)})
        replaced = json.loads(r.content, parse_float=Decimal)["rows"]
    assert len(replaced) == len(plain) == BIG_SLICE_LINES
    # A money field carries a JSON string where its numbers are; nothing else changes.
    assert b'"VatAmt":"(replaced)"' in r.content
    for before, after in zip(plain, replaced, strict=True):
        for name, value in after.items():
            assert value == before[name] or (name in REPLACED_TX and value == "(replaced)"), (name, before, after)
    for name, share in REPLACED_TX.items():
        n = sum(row[name] == "(replaced)" for row in replaced)
        assert share - 0.1 < n / len(replaced) < share + 0.1, (name, n)
    # Each field picks its own rows.
    chosen = {name: {key(row) for row in replaced if row[name] == "(replaced)"} for name in REPLACED_TX}
    assert chosen["VatAmt"] != chosen["VoucherDate"]


def test_replaced_rows_are_the_same_on_every_page_and_order(client, srv):
    changes = FieldChanges(replaced={"VatAmt": 0.25})
    with definition(srv, TX.id, changes):
        whole = {key(r) for r in tx_rows(client, **ALL) if r["VatAmt"] == "(replaced)"}
        paged = set()
        for skip in range(0, BIG_SLICE_LINES, 64):
            paged |= {key(r) for r in tx_rows(client, skip=skip, take=64) if r["VatAmt"] == "(replaced)"}
        params = {**slice_filter(*BIG_SLICE), **ALL, "orderbyfieldids": "-EntryNo,-SeqNo"}
        backwards = {key(r) for r in rows(client, TX.id, **params) if r["VatAmt"] == "(replaced)"}
    assert whole and whole == paged == backwards


def test_replaced_ints_and_booleans_are_strings_too(client, srv):
    with definition(srv, ACCOUNTS.id, FieldChanges(replaced={"Blocked": 0.5})):
        accounts = rows(client, ACCOUNTS.id, orderbyfieldids="UnitId,AccountNo", **ALL)
    with definition(srv, DOSSIER_ITEMS.id, FieldChanges(replaced={"TypeId": 0.5})):
        items = rows(client, DOSSIER_ITEMS.id, orderbyfieldids="SubjectId,FileId", **ALL)
    assert {type(r["Blocked"]) for r in accounts} == {bool, str}
    assert {r["Blocked"] for r in accounts if isinstance(r["Blocked"], str)} == {"(replaced)"}
    assert {type(r["TypeId"]) for r in items} == {int, str}
    assert {r["TypeId"] for r in items if isinstance(r["TypeId"], str)} == {"(replaced)"}


def test_a_replaced_share_must_be_a_share():
    for share in (0, -0.1, 1.5):
        with pytest.raises(ValueError, match="share"):
            FieldChanges(replaced={"VatAmt": share})


def test_hyphenated_extra_field_ids_in_metainfo_and_rows(client, srv):
    with definition(srv, TX.id, FieldChanges(added=(ExtraField("Btw-nummer"), ExtraField("Btw-bedrag", "decimal")))):
        meta = fields(client, TX.id)
        got = tx_rows(client, take=3)
    assert meta["Btw-nummer"]["dataType"] == "string" and meta["Btw-bedrag"]["dataType"] == "decimal"
    assert list(got[0])[-2:] == ["Btw-nummer", "Btw-bedrag"]
    assert [r["Btw-nummer"] for r in got] == ["X0", "X1", "X2"]
    assert [r["Btw-bedrag"] for r in got] == [Decimal("0.0"), Decimal("0.25"), Decimal("0.5")]


@pytest.mark.parametrize("bad", ["Btw nummer", "Btw,nummer", 'Btw"nummer', "-Btw", ""])
def test_extra_field_ids_that_would_break_keys_or_filters_are_refused(bad):
    with pytest.raises(ValueError, match="field id"):
        ExtraField(bad)


def test_a_blob_field_is_base64_text_in_rows(client, srv):
    with definition(srv, TX.id, FieldChanges(added=(ExtraField("Handtekening", "blob", "Handtekening"),))):
        meta = fields(client, TX.id)["Handtekening"]
        got = tx_rows(client, take=2)
    assert meta["dataType"] == "blob"
    assert [base64.b64decode(r["Handtekening"], validate=True) for r in got] == [b"Bijlage 0", b"Bijlage 1"]


def test_code_table_fields_list_the_codes_the_rows_hold(client):
    tx = fields(client, TX.id)
    assert [v["id"] for v in tx["JournalId"]["values"]] == list(JOURNALS)
    assert [v["id"] for v in tx["VatCode"]["values"]] == list(VAT_CODES)
    assert {"id": "20", "description": "Verkoopboek"} in tx["JournalId"]["values"]
    assert {"id": "1", "description": "Btw hoog 21%"} in tx["VatCode"]["values"]
    assert "values" not in tx["AccountNo"] and "values" not in tx["AmtDebit"]
    for connector, field_id in [(TX, "JournalId"), (TX, "VatCode"), (DOSSIER_ITEMS, "TypeId"),
                                (RECEIVABLES, "CurrencyId"), (ADMINISTRATIONS, "AdminId")]:
        meta = fields(client, connector.id)[field_id]
        order = ",".join(connector.sort_fields)
        held = {str(r[field_id]) for r in rows(client, connector.id, orderbyfieldids=order, **ALL)} - {"None"}
        if field_id not in CODE_TABLES:
            assert "values" not in meta
            continue
        described = {v["id"]: v["description"] for v in meta["values"]}
        assert held and held <= set(described), (connector.id, field_id, held - set(described))
        assert all(set(v) == {"id", "description"} and v["description"] for v in meta["values"])


def test_every_code_table_names_a_catalog_field():
    catalog_fields = {f.id for c in CONNECTORS for f in c.fields}
    assert set(CODE_TABLES) <= catalog_fields
