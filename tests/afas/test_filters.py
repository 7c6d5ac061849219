import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

import orjson
import pytest

from afas.filters import Condition, Filter, Op, QueryTooLongError, render_query


def test_and_or_render_positionally():
    f = Filter.any_of(
        Filter.where(Condition("UnitId", Op.EQ, 1), Condition("Year", Op.GE, 2024)),
        Filter.where(Condition("UnitId", Op.EQ, 2)),
    )
    params = dict(render_query(f, order=("UnitId",), skip=10, take=50))
    assert params["filterfieldids"] == "UnitId,Year;UnitId"
    assert params["filtervalues"] == "1,2024;2"
    assert params["operatortypes"] == "1,2;1"
    assert params["orderbyfieldids"] == "UnitId"
    assert (params["skip"], params["take"]) == ("10", "50")


def test_values_with_separators_switch_to_filterjson():
    f = Filter.where(Condition("Description", Op.CONTAINS, "huur; kantoor, Q1"), Condition("UnitId", Op.EQ, 1))
    params = dict(render_query(f))
    assert "filterfieldids" not in params
    doc = orjson.loads(params["filterjson"])
    fields = doc["Filters"]["Filter"][0]["Field"]
    assert fields[0] == {"@FieldId": "Description", "@OperatorType": "6", "#text": "huur; kantoor, Q1"}
    assert fields[1]["#text"] == "1"


def test_and_distributes_over_or():
    a = Filter.any_of(Filter.where(Condition("A", Op.EQ, 1)), Filter.where(Condition("A", Op.EQ, 2)))
    b = Filter.where(Condition("B", Op.EQ, 3))
    assert [[c.field for c in g] for g in a.and_(b).groups] == [["A", "B"], ["A", "B"]]


def test_value_rendering():
    f = Filter.where(
        Condition("Modified", Op.GE, dt.datetime(2025, 3, 1, 10, 5, 7, 900000)),
        Condition("EntryDate", Op.LE, dt.date(2025, 3, 31)),
        Condition("Amt", Op.GT, Decimal("1E+2")),
        Condition("Blocked", Op.EQ, False),
        Condition("Desc", Op.EMPTY, None),
    )
    assert dict(render_query(f))["filtervalues"] == "2025-03-01T10:05:07,2025-03-31,100,false,"


def test_query_length_limit():
    many = Filter.where(*[Condition("AccountNo", Op.NE, f"{i:06d}") for i in range(400)])
    with pytest.raises(QueryTooLongError, match="2,049"):
        render_query(many)
    few = Filter.where(*[Condition("AccountNo", Op.NE, f"{i:04d}") for i in range(60)])
    assert len(urlencode(render_query(few))) <= 2049


def test_aware_datetimes_become_amsterdam_wall_time():
    utc = dt.datetime(2025, 7, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
    f = Filter.where(Condition("Modified", Op.GE, utc))
    assert dict(render_query(f))["filtervalues"] == "2025-07-01T14:00:00"
