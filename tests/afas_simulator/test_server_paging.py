"""Paging over HTTP: ordered pages give exactly the slice, unordered pages lose and repeat rows."""

from __future__ import annotations

import time

import orjson
import pytest

from catalog import TRANSACTIONS
from afas_simulator import LedgerSpec
from tests.afas_simulator.http_support import (
    BIG_SLICE,
    BIG_SLICE_LINES,
    MEMBER,
    afas_client,
    make_simulator,
    slice_filter,
    small_config,
)

URL = f"connectors/{TRANSACTIONS.id}"
ORDER = ",".join(TRANSACTIONS.sort_fields)


def _key(row: dict) -> tuple:
    return tuple(row[k] for k in TRANSACTIONS.sort_fields)


def _pages(client, take: int, **params) -> list[list[dict]]:
    pages, skip = [], 0
    while True:
        body = client.get(URL, params={**slice_filter(*BIG_SLICE), **params, "skip": skip, "take": take}).json()
        pages.append(body["rows"])
        if len(body["rows"]) < take:
            return pages
        skip += take


def _truth(srv) -> list[tuple]:
    frame = srv.environment(MEMBER).data.frame(TRANSACTIONS.id, *BIG_SLICE)
    return sorted(frame.select(TRANSACTIONS.sort_fields).iter_rows())


def test_ordered_paging_returns_exactly_the_slice(client, srv):
    hits_before = srv.frames.hits
    pages = _pages(client, 100, orderbyfieldids=ORDER)
    assert [len(p) for p in pages] == [100, 100, 100, 100, 50]
    assert [_key(r) for p in pages for r in p] == _truth(srv)
    # Pages after the first come from the cached, ordered frame.
    assert srv.frames.hits - hits_before >= 4


def test_unordered_paging_loses_and_duplicates_rows(client, srv):
    truth = set(_truth(srv))
    assert len(truth) == BIG_SLICE_LINES
    keys = [_key(r) for p in _pages(client, 100) for r in p]
    assert len(keys) == BIG_SLICE_LINES  # every page was full, as it would look to a careless client
    assert len(set(keys)) < len(keys), "some rows arrived twice"
    assert truth - set(keys), "so others never arrived"


@pytest.mark.parametrize("order", ["Period", "-EntryNo", "UnitId,EntryNo"])
def test_a_non_unique_order_loses_and_duplicates_rows_too(client, srv, order):
    """Rows that tie on the requested order swap between calls (SQL Server's OFFSET paging keeps no
    order among ties): only an order that names the whole key pages stably."""
    truth = set(_truth(srv))
    pages = _pages(client, 100, orderbyfieldids=order)
    keys = [_key(r) for p in pages for r in p]
    assert len(keys) == BIG_SLICE_LINES
    assert len(set(keys)) < len(keys) and truth - set(keys)
    # The requested order itself still holds across the pages.
    field = order.split(",")[-1].lstrip("-")
    values = [r[field] for p in pages for r in p]
    assert values == sorted(values, reverse=order.startswith("-"))


def test_unordered_everything_is_complete(client, srv):
    # One call for the whole slice cannot lose rows; only paging does.
    rows = client.get(URL, params={**slice_filter(*BIG_SLICE), "skip": -1, "take": -1}).json()["rows"]
    assert sorted(_key(r) for r in rows) == _truth(srv)


@pytest.mark.slow
def test_a_million_row_slice_served_page_by_page():
    big = (1, 2025, 1)
    config = small_config()
    config.environments[0].ledger = LedgerSpec(administrations=1, lines_per_period=10, big_slices={big: 1_000_000})
    with make_simulator(config) as sim, afas_client(sim) as client:
        params = {**slice_filter(*big), "orderbyfieldids": ORDER}
        take, skip, total, first, last, previous = 8_000, 0, 0, None, None, None
        started = time.perf_counter()
        while True:
            r = client.get(URL, params={**params, "skip": skip, "take": take})
            assert r.status_code == 200, r.text
            rows = orjson.loads(r.content)["rows"]
            if rows:
                if first is None:
                    first = _key(rows[0])
                if previous is not None:
                    assert _key(rows[0]) > previous  # pages join up in order
                previous = last = _key(rows[-1])
            total += len(rows)
            if len(rows) < take:
                break
            skip += take
        elapsed = time.perf_counter() - started
        truth = sim.environment(config.environments[0].member).data.frame(TRANSACTIONS.id, *big)
        ordered = truth.select(TRANSACTIONS.sort_fields).sort(list(TRANSACTIONS.sort_fields))
    assert total == 1_000_000 == truth.height
    assert first == ordered.row(0)
    assert last == ordered.row(-1)
    print(f"\nserved {total:,} rows in {elapsed:.1f} s: {total / elapsed:,.0f} rows/s (incl. first sort)")
