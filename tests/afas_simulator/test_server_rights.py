"""Rows withheld from a token's user with fewer rights: silently left out, never an error."""

from __future__ import annotations

import httpx
import polars as pl
import pytest

from catalog import ADMINISTRATIONS, CONNECTORS, DOSSIER_ITEMS, TRANSACTIONS, UNIT_ID
from afas_simulator.messages import SUBJECT_FILE_MISSING_TEXT
from afas_simulator.simulator import RESTRICTED_USER
from tests.afas_simulator.http_support import MEMBER, assert_afas_error

#: `default_environment` hides the last administration from the restricted user; 12345 has three.
HIDDEN = 3
PER_ADMINISTRATION = [c for c in CONNECTORS if UNIT_ID in c.field_ids]


def _client(srv, user: str | None = None) -> httpx.Client:
    headers = {"Authorization": srv.token_header(MEMBER, user=user)}
    return httpx.Client(base_url=srv.base_url(MEMBER) + "/", headers=headers, timeout=30)


def _all_rows(client: httpx.Client, connector, take: int = 700, **params: str) -> tuple[list[dict], list[int]]:
    """Every row of an ordered query, page by page, and the length of each page."""
    rows, lengths = [], []
    while True:
        page = client.get(
            f"connectors/{connector.id}",
            params={**params, "orderbyfieldids": ",".join(connector.key), "skip": len(rows), "take": take},
        )
        assert page.status_code == 200, page.text
        got = page.json()["rows"]
        rows += got
        lengths.append(len(got))
        if len(got) < take:
            return rows, lengths


def _keys(rows: list[dict], connector) -> list[tuple]:
    return [tuple(r[k] for k in connector.key) for r in rows]


def test_the_restricted_token_is_a_valid_token_of_its_own_and_not_the_default(srv):
    assert srv.token(MEMBER).user != RESTRICTED_USER and not srv.token(MEMBER).hidden_units
    restricted = srv.token(MEMBER, user=RESTRICTED_USER)
    assert restricted.state == "valid" and restricted.hidden_units == frozenset({HIDDEN})
    assert restricted.data != srv.token(MEMBER).data
    with pytest.raises(KeyError, match="no expired token of user"):
        srv.token(MEMBER, "expired", user=RESTRICTED_USER)


@pytest.mark.parametrize("connector", PER_ADMINISTRATION, ids=lambda c: c.id)
def test_every_per_administration_connector_leaves_out_the_hidden_administration(srv, connector):
    with _client(srv) as full, _client(srv, RESTRICTED_USER) as restricted:
        everything, _ = _all_rows(full, connector)
        seen, _ = _all_rows(restricted, connector)
    assert any(r[UNIT_ID] == HIDDEN for r in everything), "the full user sees the administration"
    assert _keys(seen, connector) == _keys([r for r in everything if r[UNIT_ID] != HIDDEN], connector)


def test_pages_and_filters_run_as_if_the_rows_did_not_exist(srv):
    truth = srv.environment(MEMBER).data.frame(TRANSACTIONS.id, year=2025)
    visible = truth.filter(pl.col(UNIT_ID) != HIDDEN).height
    take = 97
    with _client(srv, RESTRICTED_USER) as restricted:
        rows, lengths = _all_rows(restricted, TRANSACTIONS, take, filterfieldids="Year", filtervalues="2025",
                                  operatortypes="1")
        # Pinned to the hidden administration: an empty page, not an error [S: "silently … fewer rows"].
        pinned = restricted.get(
            f"connectors/{TRANSACTIONS.id}",
            params={"filterfieldids": "UnitId", "filtervalues": str(HIDDEN), "operatortypes": "1", "take": 5},
        )
    assert len(rows) == visible < truth.height
    assert lengths == [take] * (visible // take) + [visible % take]  # the short page comes where the visible rows end
    assert pinned.status_code == 200 and pinned.json() == {"skip": 0, "take": 5, "rows": []}


def test_the_administrations_list_still_shows_the_hidden_administration(srv):
    with _client(srv, RESTRICTED_USER) as restricted:
        rows = restricted.get(f"connectors/{ADMINISTRATIONS.id}").json()["rows"]
    assert sorted(r["AdminId"] for r in rows) == [1, 2, 3]


def test_a_cached_result_of_one_user_is_never_served_to_the_other(srv):
    # The same ordered query, first by the full user then by the restricted one, and the other way
    # round on a second query: the frame cache keeps them apart.
    for year, users in (("2025", (None, RESTRICTED_USER)), ("2026", (RESTRICTED_USER, None))):
        units = {}
        for user in users:
            with _client(srv, user) as c:
                rows, _ = _all_rows(c, TRANSACTIONS, filterfieldids="Year", filtervalues=year, operatortypes="1")
            units[user] = {r[UNIT_ID] for r in rows}
        assert units[None] == {1, 2, 3} and units[RESTRICTED_USER] == {1, 2}, year


def test_documents_of_the_hidden_administration_answer_like_missing_files(srv):
    item = srv.environment(MEMBER).data.frame(DOSSIER_ITEMS.id, unit_id=HIDDEN).row(0, named=True)
    path = f"subjectconnector/{item['SubjectId']}/{item['FileId']}"
    with _client(srv) as full, _client(srv, RESTRICTED_USER) as restricted:
        assert full.get(path).status_code == 200
        assert_afas_error(restricted.get(path), 404, SUBJECT_FILE_MISSING_TEXT)
        visible = srv.environment(MEMBER).data.frame(DOSSIER_ITEMS.id, unit_id=1).row(0, named=True)
        assert restricted.get(f"subjectconnector/{visible['SubjectId']}/{visible['FileId']}").status_code == 200
