import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import orjson
import polars as pl
import pytest

from catalog import TRANSACTIONS
from afas.errors import ResponseFormatError
from afas.frames import FrameSchema

AMS = ZoneInfo("Europe/Amsterdam")
SCHEMA = FrameSchema.from_catalog(TRANSACTIONS)


def page(rows):
    return orjson.dumps({"skip": 0, "take": 100, "rows": rows})


def test_types_money_dates_and_amsterdam_times():
    frame = SCHEMA.parse_page(page([{
        "UnitId": 1, "EntryNo": 7, "SeqNo": 1, "AmtDebit": 1234.57, "AmtCredit": 0,
        "EntryDate": "2025-07-01T00:00:00Z", "Modified": "2025-07-01T14:03:09Z", "Description": "Huur",
    }]))
    row = frame.row(0, named=True)
    assert frame.schema["AmtDebit"] == pl.Decimal(38, 2)
    assert row["AmtDebit"] == Decimal("1234.57")
    assert row["EntryDate"] == dt.date(2025, 7, 1)
    # The Z is false: 14:03:09 is Amsterdam summer time, i.e. 12:03:09 UTC.
    assert row["Modified"] == dt.datetime(2025, 7, 1, 14, 3, 9, tzinfo=AMS)
    assert row["Modified"].astimezone(dt.timezone.utc).hour == 12
    assert row["VatAmt"] is None and row["InvoiceId"] is None


def test_large_amounts_stay_exact():
    body = b'{"skip":0,"take":100,"rows":[{"UnitId":1,"AmtDebit":99999999999999999.99,"AmtCredit":0.1}]}'
    row = SCHEMA.parse_page(body).row(0, named=True)
    assert row["AmtDebit"] == Decimal("99999999999999999.99")
    assert row["AmtCredit"] == Decimal("0.10")


def test_profit6_decimals_and_strings_untouched():
    body = b'{"skip":0,"take":100,"rows":[{"UnitId":1,"AmtDebit":-.5,"AmtCredit":.25,"Description":"a, .5 ;-.5"}]}'
    row = SCHEMA.parse_page(body).row(0, named=True)
    assert (row["AmtDebit"], row["AmtCredit"], row["Description"]) == (Decimal("-0.50"), Decimal("0.25"), "a, .5 ;-.5")


def test_empty_page_is_empty_typed_frame():
    frame = SCHEMA.parse_page(page([]))
    assert frame.height == 0 and frame.schema == SCHEMA.empty().schema


@pytest.mark.parametrize("body", [b"<html>", b'{"skip":0}', page([{"UnitId": 1, "EntryDate": "gisteren"}])])
def test_broken_answers_raise_format_error(body):
    with pytest.raises(ResponseFormatError):
        SCHEMA.parse_page(body)


def test_many_amounts_exact_on_fast_path():
    import random

    rnd = random.Random(3)
    values = [Decimal(rnd.randint(-10**14, 10**14)) / 100 for _ in range(5000)]
    body = b'{"skip":0,"take":5000,"rows":[' + b",".join(
        b'{"UnitId":1,"AmtDebit":%s}' % str(v).encode() for v in values) + b"]}"
    assert SCHEMA.parse_page(body)["AmtDebit"].to_list() == values


def test_one_amount_beyond_float_precision_sends_its_whole_page_to_the_exact_parser():
    # 17 significant digits: float64 would make this …345.68. The ordinary amounts on the same page
    # keep their values, and amounts with more decimals than the field round half-even.
    frame = SCHEMA.parse_page(
        b'{"skip":0,"take":100,"rows":[{"UnitId":1,"AmtDebit":123456789012345.67,"AmtCredit":0.1},'
        b'{"UnitId":1,"AmtDebit":370.77,"AmtCredit":0.125}]}'
    )
    assert frame["AmtDebit"].to_list() == [Decimal("123456789012345.67"), Decimal("370.77")]
    assert frame["AmtCredit"].to_list() == [Decimal("0.10"), Decimal("0.12")]


def test_amsterdam_times_across_the_clock_changes_and_with_fractions():
    rows = [
        {"UnitId": 1, "Modified": "2025-03-30T02:30:00Z"},      # spring: this hour does not exist
        {"UnitId": 2, "Modified": "2025-10-26T02:30:00Z"},      # autumn: this hour happens twice
        {"UnitId": 3, "Modified": "2025-07-01T14:03:09.250Z"},  # fractions of a second
        {"UnitId": 4, "Modified": None},
    ]
    modified = SCHEMA.parse_page(page(rows))["Modified"].to_list()
    utc = [m.astimezone(dt.timezone.utc) if m else None for m in modified]
    assert utc[0] == dt.datetime(2025, 3, 30, 1, 30, tzinfo=dt.timezone.utc)   # moved an hour forward: 03:30 CEST
    assert utc[1] == dt.datetime(2025, 10, 26, 0, 30, tzinfo=dt.timezone.utc)  # the first, summer-time instant
    assert modified[2] == dt.datetime(2025, 7, 1, 14, 3, 9, 250000, tzinfo=AMS)
    assert modified[3] is None


@pytest.mark.parametrize("big", [False, True], ids=["fast path", "exact path"])
def test_replaced_is_empty_in_typed_fields_on_either_path(big):
    amount = b"123456789012345.67" if big else b"370.77"
    body = (
        b'{"skip":0,"take":100,"rows":[{"UnitId":1,"Year":"(replaced)","AmtDebit":"(replaced)","AmtCredit":.5,'
        b'"EntryDate" : "(replaced)","Description":"(replaced)"},'
        b'{"UnitId":1,"Year":2025,"AmtDebit":' + amount + b',"AmtCredit":0,"EntryDate":"2025-03-01T00:00:00Z",'
        b'"Description":"{\\"AmtDebit\\":\\"(replaced)\\"}, \\"(replaced)\\""}]}'
    )
    page = SCHEMA.read_page(body)
    first, second = page.frame.rows(named=True)
    assert (first["Year"], first["AmtDebit"], first["EntryDate"]) == (None, None, None)
    assert first["AmtCredit"] == Decimal("0.50") and first["Description"] == "(replaced)"
    assert second["AmtDebit"] == Decimal(amount.decode()) and second["Year"] == 2025
    assert second["Description"] == '{"AmtDebit":"(replaced)"}, "(replaced)"'  # text that merely says it
    assert page.replaced == {"Year": 1, "AmtDebit": 1, "EntryDate": 1, "Description": 1}
    assert page.frame.schema == SCHEMA.empty().schema
    assert SCHEMA.parse_page(body).equals(page.frame)


def test_a_page_without_replaced_reports_none():
    assert SCHEMA.read_page(page([{"UnitId": 1, "Description": "vervangen"}])).replaced == {}
