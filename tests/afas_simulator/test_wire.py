"""AFAS JSON rendering: exact shape, false-UTC dates, exact money, Profit 6 decimals, odd strings."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import orjson
import polars as pl
import pytest

from catalog import PAYABLES, TRANSACTIONS
from afas_simulator.query import apply, page, parse_query
from afas_simulator.wire import render_json, render_rows
from tests.afas_simulator.frames import at, big_transactions, frame


def exact(body: bytes) -> dict:
    """Parse keeping numbers as Decimal, the way a careful client does."""
    return json.loads(body, parse_float=Decimal)


def test_exact_bytes_of_a_small_page() -> None:
    df = frame(PAYABLES, [{
        "UnitId": 1, "CreditorId": "K1", "CreditorName": "Bakkerij \"De Zon\"", "InvoiceNr": "F-1",
        "InvoiceDate": at(2025, 3, 1), "AmtInvoice": "1234.50", "Balance": "-0.05", "Blocked": True,
    }])  # fmt: skip
    assert render_rows(df, skip=0, take=100) == (
        b'{"skip":0,"take":100,"rows":[{"UnitId":1,"CreditorId":"K1","CreditorName":"Bakkerij \\"De Zon\\"",'
        b'"InvoiceNr":"F-1","InvoiceDate":"2025-03-01T00:00:00Z","ExpDate":null,"CurrencyId":null,'
        b'"AmtInvoice":1234.5,"AmtInvoiceCurr":null,"Balance":-0.05,"BalanceCurr":null,"Description":null,'
        b'"Blocked":true}]}'
    )


def test_empty_page_and_echoed_paging() -> None:
    assert render_rows(frame(TRANSACTIONS), skip=200, take=100) == b'{"skip":200,"take":100,"rows":[]}'
    body = render_rows(frame(TRANSACTIONS, [{"SeqNo": 1}]), skip=-1, take=-1)
    assert body.startswith(b'{"skip":-1,"take":-1,"rows":[{')


def test_every_field_in_every_row_on_one_line() -> None:
    df = frame(TRANSACTIONS, [{"SeqNo": i} for i in range(3)])
    body = render_rows(df, skip=0, take=3)
    assert b"\n" not in body
    rows = orjson.loads(body)["rows"]
    assert [list(r) for r in rows] == [list(TRANSACTIONS.field_ids)] * 3
    assert rows[0]["Description"] is None and rows[0]["AmtDebit"] is None and rows[0]["EntryDate"] is None


def test_dates_and_datetimes_carry_the_false_z_and_whole_seconds() -> None:
    df = frame(TRANSACTIONS, [{"EntryDate": at(2025, 12, 31), "Created": at(2025, 12, 31, 23, 59, 59, 999_999),
                               "Modified": at(2025, 3, 30, 2, 30, 0)}])  # fmt: skip
    row = orjson.loads(render_rows(df, skip=0, take=1))["rows"][0]
    assert row["EntryDate"] == "2025-12-31T00:00:00Z"
    assert row["Created"] == "2025-12-31T23:59:59Z"  # truncated, never rounded into the next year
    assert row["Modified"] == "2025-03-30T02:30:00Z"  # local time as stored, even inside the DST gap


def test_money_is_exact_for_every_amount_a_double_carries() -> None:
    rng = np.random.default_rng(5)
    cents = np.concatenate([
        np.arange(-20_000, 20_000),
        rng.integers(-10**9, 10**9, 20_000),
        rng.integers(-10**15 + 1, 10**15, 20_000),  # up to 9,999,999,999,999.99
        [10**15 - 1, -(10**15) + 1, 30, 10, 1],
    ])  # fmt: skip
    df = pl.DataFrame({"m": cents}).select((pl.col("m").cast(pl.Decimal(18, 2)) / 100).cast(pl.Decimal(18, 2)))
    body = render_rows(df, skip=0, take=len(cents))
    assert b'"m":"' not in body  # numbers, not strings
    assert b"e" not in body[body.index(b"[") :]  # and never in exponent notation
    got = [r["m"] for r in exact(body)["rows"]]
    assert got == [Decimal(int(c)) / 100 for c in cents]


def test_money_beyond_a_double_is_written_exactly_as_text_numbers() -> None:
    values = ["9999999999999999.99", "-10000000000000.01", None, "0.10", "-0.50"]
    df = pl.DataFrame(
        {
            "a": pl.Series([Decimal(v) if v else None for v in values], dtype=pl.Decimal(18, 2)),
            "b": pl.Series([Decimal("1.10")] * 5, dtype=pl.Decimal(18, 2)),
            "s": ['x","a":"1', "q\\", None, "", '"b":"2"'],
            "z": pl.Series([Decimal(v) if v else None for v in reversed(values)], dtype=pl.Decimal(18, 2)),
        }
    )
    body = render_rows(df, skip=0, take=5)
    rows = exact(body)["rows"]
    assert [r["a"] for r in rows] == [Decimal(v) if v else None for v in values]
    assert [r["z"] for r in rows] == [Decimal(v) if v else None for v in reversed(values)]
    assert [r["b"] for r in rows] == [Decimal("1.1")] * 5
    assert [r["s"] for r in rows] == df["s"].to_list()
    assert b'"a":9999999999999999.99,"b":1.1,' in body
    assert [list(r) for r in rows] == [["a", "b", "s", "z"]] * 5  # no helper column left behind


def test_profit6_drops_the_leading_zero_only_in_numbers() -> None:
    df = frame(TRANSACTIONS, [
        {"SeqNo": 1, "AmtDebit": "-0.50", "AmtCredit": "0.25", "VatAmt": "100.00", "Description": '"AmtDebit":0.5'},
        {"SeqNo": 2, "AmtDebit": "0.00", "AmtCredit": "12.30", "VatAmt": None, "Description": "0.5"},
    ])  # fmt: skip
    body = render_rows(df, skip=0, take=2, profit6=True)
    assert b'"AmtDebit":-.5,"AmtCredit":.25,' in body
    assert b'"VatAmt":100.0,' in body
    assert b'"AmtDebit":.0,"AmtCredit":12.3,' in body
    assert b'"VatAmt":null,' in body
    assert b'"Description":"\\"AmtDebit\\":0.5"' in body and b'"Description":"0.5"' in body
    # What a Profit-6-aware client does: put the zero back; then it is plain JSON again.
    fixed = body.replace(b":-.", b":-0.").replace(b":.", b":0.")
    assert [r["AmtDebit"] for r in exact(fixed)["rows"]] == [Decimal("-0.5"), Decimal("0")]
    assert render_rows(df, skip=0, take=2, profit6=False).count(b":.") == 0


def test_profit6_with_huge_amounts_and_money_as_last_column() -> None:
    def money(*values: str | None, precision: int = 18) -> pl.Series:
        return pl.Series([Decimal(v) if v else None for v in values], dtype=pl.Decimal(precision, 2))

    big = money("-12345678901234567.80", "-0.50", None, precision=20)
    df = pl.DataFrame({"s": ["a", "b", "c"], "big": big, "last": money("0.10", "-3.00", "1000000000000.00")})
    body = render_rows(df, skip=0, take=3, profit6=True)
    assert body == (
        b'{"skip":0,"take":3,"rows":[{"s":"a","big":-12345678901234567.80,"last":.1},'
        b'{"s":"b","big":-.50,"last":-3.0},{"s":"c","big":null,"last":1000000000000.0}]}'
    )
    assert render_rows(df, skip=0, take=3) == (
        b'{"skip":0,"take":3,"rows":[{"s":"a","big":-12345678901234567.80,"last":0.1},'
        b'{"s":"b","big":-0.50,"last":-3.0},{"s":"c","big":null,"last":1000000000000.0}]}'
    )


@pytest.mark.parametrize(
    "text",
    [
        'aanhalingstekens "x" en \\ backslash',
        "regel 1\nregel 2\r\n\ttab",
        "Ünïcödé € ß 日本 🙂",
        "\u2028\u2029\x00\x1f\x7f",
        "",
    ],
)
def test_strings_round_trip_as_valid_json(text: str) -> None:
    df = frame(TRANSACTIONS, [{"SeqNo": 1, "Description": text}])
    body = render_rows(df, skip=0, take=1)
    assert b"\n" not in body
    assert json.loads(body)["rows"][0]["Description"] == text
    assert orjson.loads(body)["rows"][0]["Description"] == text


def test_booleans() -> None:
    df = frame(PAYABLES, [{"Blocked": True}, {"Blocked": False}, {"Blocked": None}])
    assert [r["Blocked"] for r in orjson.loads(render_rows(df, skip=0, take=3))["rows"]] == [True, False, None]


def test_render_json_is_one_line() -> None:
    assert render_json({"externalMessage": "regel\nnieuw", "errorNumber": -1}) == (
        b'{"externalMessage":"regel\\nnieuw","errorNumber":-1}'
    )


def test_chunked_rendering_joins_rows_correctly() -> None:
    df = big_transactions(70_000)
    rows = orjson.loads(render_rows(df, skip=0, take=70_000))["rows"]
    assert [(r["EntryNo"], r["SeqNo"]) for r in rows] == df.select("EntryNo", "SeqNo").rows()


@pytest.mark.slow
def test_million_rows_filter_order_page_render() -> None:
    """A million rows filtered, ordered, paged and rendered right (its speed: benchmarks/, not here)."""
    df = big_transactions(1_000_000)
    q = parse_query(
        {"filterfieldids": "Modified;Description", "filtervalues": "2025-03-01T00:00:00;%9", "operatortypes": "2;13",
         "orderbyfieldids": "-UnitId,EntryNo,SeqNo", "skip": "-1", "take": "-1"},
        TRANSACTIONS,
    )  # fmt: skip
    result = page(apply(df, q, shuffle_seed=0), q)
    body = render_rows(result, skip=q.skip, take=q.take)
    paged = page(apply(df, q, shuffle_seed=0), parse_query({"skip": "500000", "take": "1000"}, TRANSACTIONS))
    expected = df.filter(
        (pl.col("Modified") >= at(2025, 3, 1, 0, 0, 0)) | pl.col("Description").str.ends_with("9")
    ).sort(pl.col("UnitId"), descending=True, maintain_order=True)
    assert result.select("UnitId", "EntryNo", "SeqNo").equals(expected.select("UnitId", "EntryNo", "SeqNo"))
    assert 500_000 < result.height < 1_000_000
    assert body.count(b'"UnitId":') == result.height
    assert paged.height == 1000 and paged.equals(result.slice(500_000, 1000))
    last = orjson.loads(body[body.rindex(b'{"UnitId"') : -2])
    assert (last["UnitId"], last["EntryNo"], last["SeqNo"]) == expected.select("UnitId", "EntryNo", "SeqNo").row(-1)


def test_replaced_cells_are_json_strings_in_every_type() -> None:
    df = pl.DataFrame({
        "n": pl.Series([1, 2, None], dtype=pl.Int64),
        "amount": pl.Series([Decimal("-0.50"), Decimal("12.30"), None], dtype=pl.Decimal(18, 2)),
        "big": pl.Series([Decimal("12345678901234567.80"), Decimal("1.00"), None], dtype=pl.Decimal(20, 2)),
        "day": [dt.date(2025, 3, 1), dt.date(2025, 3, 2), None],
        "flag": [True, False, None],
        "text": ["a", "(replaced) is text too", None],
    })  # fmt: skip
    chosen = pl.Series([True, False, True])
    replaced = {name: chosen for name in df.columns}
    body = render_rows(df, skip=0, take=3, replaced=replaced)
    assert body == (
        b'{"skip":0,"take":3,"rows":['
        b'{"n":"(replaced)","amount":"(replaced)","big":"(replaced)","day":"(replaced)","flag":"(replaced)",'
        b'"text":"(replaced)"},'
        b'{"n":2,"amount":12.30,"big":1.00,"day":"2025-03-02T00:00:00Z","flag":false,"text":"(replaced) is text too"},'
        b'{"n":"(replaced)","amount":"(replaced)","big":"(replaced)","day":"(replaced)","flag":"(replaced)",'
        b'"text":"(replaced)"}]}'
    )
    # Profit 6 style still drops the zero of the amounts beside a (replaced) one; the rest is unchanged.
    old = render_rows(df, skip=0, take=3, replaced={"amount": pl.Series([False, True, False])}, profit6=True)
    assert b'"amount":-.50,' in old and b'"amount":"(replaced)",' in old and b'"amount":null,' in old
    # A number column holding (replaced) may be the last one: no helper column is left behind.
    assert render_rows(df.select("text", "n"), skip=0, take=3, replaced={"n": chosen}) == (
        b'{"skip":0,"take":3,"rows":[{"text":"a","n":"(replaced)"},{"text":"(replaced) is text too","n":2},'
        b'{"text":null,"n":"(replaced)"}]}'
    )
    # Without a mask (or with an all-false one) nothing changes.
    assert render_rows(df, skip=0, take=3, replaced={"n": pl.Series([False] * 3)}) == render_rows(df, skip=0, take=3)
