"""GetConnector query semantics: parameters, every operator, AND/OR, order, paging, pushdown."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import orjson
import polars as pl
import pytest

from catalog import ADMINISTRATIONS, PAYABLES, TRANSACTIONS
from afas_simulator.query import (
    DEFAULT_TAKE,
    Op,
    QueryError,
    UnknownFieldError,
    apply,
    page,
    parse_query,
    slice_hint,
)

from tests.afas_simulator.frames import at, frame

TEXTS = ["Huur kantoor", "huur MAGAZIJN", "Kantoorhuur", "", None, "100% zeker", "a_b", "x.y*z (1)"]


@pytest.fixture
def texts() -> pl.DataFrame:
    """One transaction line per text, SeqNo = index."""
    return frame(TRANSACTIONS, ({"UnitId": 1, "EntryNo": 1, "SeqNo": i, "Description": t} for i, t in enumerate(TEXTS)))


@pytest.fixture
def lines() -> pl.DataFrame:
    """Transaction lines with mixed kinds and nulls; SeqNo identifies a line."""
    rows = [
        {"SeqNo": 0, "UnitId": 1, "Year": 2025, "Period": 1, "AmtDebit": "12.50", "VatAmt": "2.10",
         "EntryDate": at(2025, 1, 31), "Modified": at(2025, 1, 1, 10, 0, 0, 500_000)},
        {"SeqNo": 1, "UnitId": 1, "Year": 2025, "Period": 2, "AmtDebit": "-0.50", "VatAmt": None,
         "EntryDate": at(2025, 2, 1), "Modified": at(2025, 1, 1, 10, 0, 0)},
        {"SeqNo": 2, "UnitId": 2, "Year": 2025, "Period": 1, "AmtDebit": "10.00", "VatAmt": "0.00",
         "EntryDate": at(2025, 1, 30), "Modified": at(2025, 1, 1, 9, 59, 59, 999_999)},
        {"SeqNo": 3, "UnitId": 2, "Year": 2026, "Period": 1, "AmtDebit": "1000000.01", "VatAmt": "-5.00",
         "EntryDate": None, "Modified": None},
    ]  # fmt: skip
    return frame(TRANSACTIONS, ({"EntryNo": 1, **r} for r in rows))


def seqs(df: pl.DataFrame, params: dict[str, str] | list[tuple[str, str]], connector=TRANSACTIONS) -> list[int]:
    """SeqNos of the matching rows, in the query's order (key order when unordered)."""
    q = parse_query(params, connector)
    out = page(apply(df, q, shuffle_seed=1), q)
    ids = out["SeqNo"].to_list()
    return ids if q.order else sorted(ids)


def flt(field: str, op: int | str, value: str) -> dict[str, str]:
    return {"filterfieldids": field, "filtervalues": value, "operatortypes": str(op)}


# --- paging parameters -------------------------------------------------------------------------


def test_defaults_are_skip_0_take_100() -> None:
    q = parse_query({}, TRANSACTIONS)
    assert (q.skip, q.take, q.groups, q.order) == (0, DEFAULT_TAKE, (), ())
    big = frame(TRANSACTIONS, ({"SeqNo": i} for i in range(250)))
    assert page(apply(big, q, shuffle_seed=0), q).height == 100


def test_parameter_names_are_case_insensitive_and_pairs_are_accepted() -> None:
    q = parse_query([("SKIP", "5"), ("Take", "7"), ("OrderByFieldIds", "SeqNo")], TRANSACTIONS)
    assert (q.skip, q.take, q.order) == (5, 7, (("SeqNo", False),))


def test_repeated_parameter_is_an_error() -> None:
    with pytest.raises(QueryError):
        parse_query([("skip", "0"), ("skip", "100")], TRANSACTIONS)


def test_skip_and_take_slice_the_ordered_result() -> None:
    df = frame(TRANSACTIONS, ({"SeqNo": i} for i in range(10)))
    assert seqs(df, {"skip": "3", "take": "4", "orderbyfieldids": "SeqNo"}) == [3, 4, 5, 6]
    assert seqs(df, {"skip": "8", "take": "4", "orderbyfieldids": "SeqNo"}) == [8, 9]
    assert seqs(df, {"skip": "50", "take": "4", "orderbyfieldids": "SeqNo"}) == []


def test_minus_one_minus_one_returns_everything() -> None:
    q = parse_query({"skip": "-1", "take": "-1"}, TRANSACTIONS)
    assert q.everything
    df = frame(TRANSACTIONS, ({"SeqNo": i} for i in range(150)))
    assert page(apply(df, q, shuffle_seed=3), q).height == 150


@pytest.mark.parametrize(
    "skip,take",
    [("5", "-1"), ("-1", "10"), ("-1", None), ("-2", "10"), ("0", "-5"), ("abc", "10"), ("0", "1.5")],
)
def test_bad_skip_take_is_an_error(skip: str, take: str | None) -> None:
    params = {"skip": skip} | ({"take": take} if take is not None else {})
    with pytest.raises(QueryError):
        parse_query(params, TRANSACTIONS)


# --- operators ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "op,value,expected",
    [
        (Op.EQ, "HUUR KANTOOR", [0]),  # case-insensitive collation
        (Op.EQ, "", [3]),
        (Op.NE, "kantoorhuur", [0, 1, 3, 5, 6, 7]),  # null never matches
        (Op.GE, "k", [2, 7]),
        (Op.GT, "kantoorhuur", [7]),
        (Op.LE, "b", [3, 5, 6]),
        (Op.LT, "a_b", [3, 5]),
        (Op.CONTAINS, "KANTOOR", [0, 2]),
        (Op.CONTAINS, "huur%kantoor", [0]),  # % is a wildcard
        (Op.CONTAINS, "100%", [5]),
        (Op.CONTAINS, "a_b", [6]),  # _ is literal
        (Op.CONTAINS, ".y*z (", [7]),  # regex syntax is literal
        (Op.CONTAINS, "", [0, 1, 2, 3, 5, 6, 7]),
        (Op.NOT_CONTAINS, "kantoor", [1, 3, 5, 6, 7]),
        (Op.STARTS_WITH, "huur", [0, 1]),
        (Op.STARTS_WITH, "h%n", [0, 1]),
        (Op.NOT_STARTS_WITH, "huur", [2, 3, 5, 6, 7]),
        (Op.ENDS_WITH, "HUUR", [2]),
        (Op.ENDS_WITH, "(1)", [7]),
        (Op.NOT_ENDS_WITH, "huur", [0, 1, 3, 5, 6, 7]),
        (Op.QUICK, "magazijn", [1]),
        (Op.EMPTY, "", [3, 4]),
        (Op.EMPTY, "ignored", [3, 4]),
        (Op.NOT_EMPTY, "", [0, 1, 2, 5, 6, 7]),
    ],
)
def test_text_operators(texts: pl.DataFrame, op: Op, value: str, expected: list[int]) -> None:
    assert seqs(texts, flt("Description", op, value)) == expected


def test_text_with_newline_matches_across_it() -> None:
    df = frame(TRANSACTIONS, [{"SeqNo": 0, "Description": "regel één\nregel twee"}, {"SeqNo": 1, "Description": "x"}])
    assert seqs(df, flt("Description", Op.CONTAINS, "één%twee")) == [0]
    assert seqs(df, flt("Description", Op.STARTS_WITH, "REGEL ÉÉN")) == [0]


@pytest.mark.parametrize(
    "field,op,value,expected",
    [
        ("UnitId", Op.EQ, "2", [2, 3]),
        ("UnitId", Op.NE, "2", [0, 1]),
        ("Period", Op.GE, "2", [1]),
        ("Period", Op.LT, "2", [0, 2, 3]),
        ("Year", Op.GT, "2025", [3]),
        ("Year", Op.LE, "2025", [0, 1, 2]),
        ("AmtDebit", Op.EQ, "12.5", [0]),
        ("AmtDebit", Op.EQ, "-0.50", [1]),
        ("AmtDebit", Op.GE, "10.005", [0, 3]),
        ("AmtDebit", Op.LT, "0", [1]),
        ("VatAmt", Op.LT, "1", [2, 3]),  # null never compares
        ("VatAmt", Op.NE, "2.1", [2, 3]),
        ("VatAmt", Op.EMPTY, "", [1]),
        ("VatAmt", Op.NOT_EMPTY, "", [0, 2, 3]),
        ("EntryDate", Op.EQ, "2025-01-31", [0]),
        ("EntryDate", Op.GE, "2025-01-31T00:00:00", [0, 1]),
        ("EntryDate", Op.GE, "2025-01-31 12:00:00", [1]),  # a date is midnight
        ("EntryDate", Op.LT, "2025-02-01", [0, 2]),
        ("EntryDate", Op.EMPTY, "", [3]),
        ("Modified", Op.EQ, "2025-01-01T10:00:00", [1]),  # 10:00:00.5 is not 10:00:00
        ("Modified", Op.GE, "2025-01-01T10:00:00", [0, 1]),
        ("Modified", Op.GT, "2025-01-01T10:00:00", [0]),
        ("Modified", Op.LE, "2025-01-01T10:00:00", [1, 2]),
        ("Modified", Op.LT, "2025-01-01T10:00:00", [2]),
        ("Modified", Op.GE, "2025-01-01", [0, 1, 2]),
        ("Modified", Op.NOT_EMPTY, "", [0, 1, 2]),
        ("UnitId", Op.STARTS_WITH, "2", [2, 3]),  # text operators work on the text form
    ],
)
def test_typed_operators(lines: pl.DataFrame, field: str, op: Op, value: str, expected: list[int]) -> None:
    assert seqs(lines, flt(field, op, value)) == expected


@pytest.mark.parametrize(
    "value,op,expected",
    [("true", 1, [0]), ("1", 1, [0]), ("FALSE", 1, [1]), ("0", 1, [1]), ("true", 7, [1]), ("", 8, [2])],
)
def test_boolean_operators(value: str, op: int, expected: list[int]) -> None:
    df = frame(PAYABLES, [{"Blocked": True, "CreditorId": "0"}, {"Blocked": False, "CreditorId": "1"},
                          {"Blocked": None, "CreditorId": "2"}])  # fmt: skip
    q = parse_query(flt("Blocked", op, value), PAYABLES)
    assert sorted(int(c) for c in apply(df, q, shuffle_seed=0)["CreditorId"]) == expected


@pytest.mark.parametrize(
    "field,value",
    [
        ("UnitId", "1.0"),
        ("UnitId", "x"),
        ("UnitId", "99999999999999999999"),
        ("AmtDebit", "12,50,1"),
        ("AmtDebit", "abc"),
        ("AmtDebit", "1E+40"),
        ("EntryDate", "31-01-2025"),
        ("EntryDate", "2025-02-30"),
        ("Modified", "2025-01-01T10:00"),
    ],
)
def test_unparsable_values_are_errors(field: str, value: str) -> None:
    with pytest.raises(QueryError):
        parse_query({"filterfieldids": field, "filtervalues": value, "operatortypes": "1"}, TRANSACTIONS)


def test_boolean_value_must_be_boolean() -> None:
    with pytest.raises(QueryError):
        parse_query(flt("Blocked", 1, "yes"), PAYABLES)


@pytest.mark.parametrize("value", ["2025-01-01T10:00:00Z", "2025-01-01Z"])
def test_a_date_value_with_z_reads_as_the_same_local_time(value: str) -> None:
    """The contract only says clients must not send the `Z`; the simulator does not punish it [G]."""
    with_z = parse_query(flt("Modified", Op.GE, value), TRANSACTIONS)
    without = parse_query(flt("Modified", Op.GE, value[:-1]), TRANSACTIONS)
    assert with_z.groups == without.groups


def test_unknown_operator_is_an_error() -> None:
    for op in ("0", "16", "x"):
        with pytest.raises(QueryError):
            parse_query(flt("UnitId", op, "1"), TRANSACTIONS)


# --- combining filters -------------------------------------------------------------------------


def test_comma_ands_and_semicolon_ors(lines: pl.DataFrame) -> None:
    both = {"filterfieldids": "UnitId,Period", "filtervalues": "1,1", "operatortypes": "1,1"}
    assert seqs(lines, both) == [0]
    either = {"filterfieldids": "UnitId,Period;Year", "filtervalues": "1,1;2026", "operatortypes": "1,1;1"}
    assert seqs(lines, either) == [0, 3]


def test_filterjson_equals_positional(lines: pl.DataFrame) -> None:
    positional = {"filterfieldids": "UnitId,Period;Year", "filtervalues": "1,1;2026", "operatortypes": "1,1;1"}
    doc = {"Filters": {"Filter": [
        {"@FilterId": "Filter 1", "Field": [
            {"@FieldId": "UnitId", "@OperatorType": "1", "#text": "1"},
            {"@FieldId": "Period", "@OperatorType": 1, "#text": "1"}]},
        {"@FilterId": "Filter 2", "Field": {"@FieldId": "Year", "@OperatorType": "1", "#text": 2026}},
    ]}}  # fmt: skip
    by_json = parse_query({"filterjson": orjson.dumps(doc).decode()}, TRANSACTIONS)
    assert by_json.groups == parse_query(positional, TRANSACTIONS).groups
    assert seqs(lines, {"filterjson": orjson.dumps(doc).decode()}) == [0, 3]


def test_filterjson_carries_commas_and_single_objects(texts: pl.DataFrame) -> None:
    df = frame(TRANSACTIONS, [{"SeqNo": 0, "Description": "a, b; c"}, {"SeqNo": 1, "Description": "a"}])
    doc = {"Filters": {"Filter": {"@FilterId": "f", "Field": {"@FieldId": "Description", "@OperatorType": "1",
                                                                "#text": "A, B; C"}}}}  # fmt: skip
    assert seqs(df, {"filterjson": orjson.dumps(doc).decode()}) == [0]
    empty = {"Filters": {"Filter": [{"Field": [{"@FieldId": "Description", "@OperatorType": "8"}]}]}}
    assert seqs(texts, {"filterjson": orjson.dumps(empty).decode()}) == [3, 4]


@pytest.mark.parametrize(
    "params",
    [
        {"filterfieldids": "UnitId,Year", "filtervalues": "1", "operatortypes": "1,1"},
        {"filterfieldids": "UnitId;Year", "filtervalues": "1,2025", "operatortypes": "1;1"},
        {"filterfieldids": "UnitId", "filtervalues": "1", "operatortypes": "1;1"},
        {"filterfieldids": "UnitId", "filtervalues": "1"},  # operatortypes missing
        {"filterfieldids": "UnitId", "operatortypes": "8"},  # filtervalues missing
        {"filterjson": "{not json"},
        {"filterjson": '{"Filters":{"Filter":[]}}'},
        {"filterjson": '{"Filters":{"Filter":[{"Field":[{"@OperatorType":"1"}]}]}}'},
        {"filterjson": '{"Filters":{"Filter":[{"Field":[{"@FieldId":"UnitId","@OperatorType":"1","#text":"1"}]}]}}',
         "filterfieldids": "UnitId", "filtervalues": "1", "operatortypes": "1"},
    ],
)
def test_malformed_filters_are_errors(params: dict[str, str]) -> None:
    with pytest.raises(QueryError):
        parse_query(params, TRANSACTIONS)


def test_empty_value_for_empty_operator_positionally(texts: pl.DataFrame) -> None:
    params = {"filterfieldids": "Description,UnitId", "filtervalues": ",1", "operatortypes": "8,1"}
    assert seqs(texts, params) == [3, 4]


# --- field names -------------------------------------------------------------------------------


def test_unknown_field_message_echoes_the_name() -> None:
    with pytest.raises(UnknownFieldError) as err:
        parse_query(flt("Bestaatniet", 1, "1"), TRANSACTIONS)
    assert str(err.value) == "Connector field 'Bestaatniet' not found"
    with pytest.raises(UnknownFieldError) as err:
        parse_query({"orderbyfieldids": "UnitId,-Nope"}, TRANSACTIONS)
    assert str(err.value) == "Connector field 'Nope' not found"
    assert isinstance(err.value, QueryError)


def test_field_ids_match_case_insensitively(lines: pl.DataFrame) -> None:
    params = {"filterfieldids": "unitid", "filtervalues": "1", "operatortypes": "1", "orderbyfieldids": "-SEQNO"}
    q = parse_query(params, TRANSACTIONS)
    assert q.groups[0][0].field == "UnitId" and q.order == (("SeqNo", True),)
    assert page(apply(lines, q, shuffle_seed=0), q)["SeqNo"].to_list() == [1, 0]


# --- order -------------------------------------------------------------------------------------


def test_order_ascending_nulls_first_descending_nulls_last(lines: pl.DataFrame) -> None:
    assert seqs(lines, {"orderbyfieldids": "VatAmt"}) == [1, 3, 2, 0]
    assert seqs(lines, {"orderbyfieldids": "-VatAmt"}) == [0, 2, 3, 1]
    assert seqs(lines, {"orderbyfieldids": "EntryDate"}) == [3, 2, 0, 1]
    assert seqs(lines, {"orderbyfieldids": "-EntryDate"}) == [1, 0, 2, 3]


def test_order_on_several_fields_and_text_case_insensitive() -> None:
    df = frame(TRANSACTIONS, [
        {"SeqNo": 0, "UnitId": 1, "AccountNo": "b"}, {"SeqNo": 1, "UnitId": 2, "AccountNo": "A"},
        {"SeqNo": 2, "UnitId": 1, "AccountNo": "a"}, {"SeqNo": 3, "UnitId": 1, "AccountNo": "C"},
        {"SeqNo": 4, "UnitId": 1, "AccountNo": "A"},
    ])  # fmt: skip
    # "a" and "A" tie under a case-insensitive collation: they come first, in either order.
    def tied_first(order: list[int]) -> list[object]:
        return [set(order[:2]), *order[2:]]

    assert tied_first(seqs(df, {"orderbyfieldids": "UnitId,AccountNo"})) == [{2, 4}, 0, 3, 1]
    assert seqs(df, {"orderbyfieldids": "-UnitId,-AccountNo"})[:3] == [1, 3, 0]
    assert set(seqs(df, {"orderbyfieldids": "-UnitId,-AccountNo"})[3:]) == {2, 4}
    assert tied_first(seqs(df, {"orderbyfieldids": "UnitId,,AccountNo,"})) == [{2, 4}, 0, 3, 1]


def test_unordered_result_is_a_fresh_permutation_per_seed() -> None:
    df = frame(TRANSACTIONS, ({"SeqNo": i} for i in range(200)))
    q = parse_query({"take": "-1", "skip": "-1"}, TRANSACTIONS)
    first = apply(df, q, shuffle_seed=1)["SeqNo"].to_list()
    second = apply(df, q, shuffle_seed=2)["SeqNo"].to_list()
    assert first != second
    assert sorted(first) == sorted(second) == list(range(200))
    assert apply(df, q, shuffle_seed=1)["SeqNo"].to_list() == first
    assert not q.orders_uniquely(TRANSACTIONS)


def test_a_unique_order_ignores_the_seed(lines: pl.DataFrame) -> None:
    q = parse_query({"orderbyfieldids": "UnitId,EntryNo,SeqNo"}, TRANSACTIONS)
    assert apply(lines, q, shuffle_seed=1).equals(apply(lines, q, shuffle_seed=99))
    assert apply(lines, q, shuffle_seed=1).equals(apply(lines, q, shuffle_seed=None))
    assert q.orders_uniquely(TRANSACTIONS)
    assert parse_query({"orderbyfieldids": "unitid,-ENTRYNO,seqno"}, TRANSACTIONS).orders_uniquely(TRANSACTIONS)


def test_rows_that_tie_on_the_order_come_in_the_seeds_order() -> None:
    """SQL Server keeps no order among ties: between calls they may swap (seeded, reproducible)."""
    df = frame(TRANSACTIONS, ({"SeqNo": i, "UnitId": 1, "Period": i % 3} for i in range(60)))
    q = parse_query({"orderbyfieldids": "Period", "skip": "-1", "take": "-1"}, TRANSACTIONS)
    assert not q.orders_uniquely(TRANSACTIONS)
    orders = {tuple(apply(df, q, shuffle_seed=seed)["SeqNo"]) for seed in range(5)}
    assert len(orders) == 5  # ties differ per call ...
    for order in orders:  # ... the requested order still holds
        assert [s % 3 for s in order] == sorted(s % 3 for s in order)
    assert apply(df, q, shuffle_seed=3).equals(apply(df, q, shuffle_seed=3))  # and a seed reproduces it


def test_cache_key_ignores_paging_only() -> None:
    base = {"orderbyfieldids": "UnitId,EntryNo,SeqNo"} | flt("UnitId", 1, "1")
    a = parse_query(base | {"skip": "0", "take": "1000"}, TRANSACTIONS)
    b = parse_query(base | {"skip": "1000", "take": "1000"}, TRANSACTIONS)
    c = parse_query(base | {"orderbyfieldids": "UnitId"}, TRANSACTIONS)
    d = parse_query({"orderbyfieldids": "UnitId,EntryNo,SeqNo"} | flt("UnitId", 1, "2"), TRANSACTIONS)
    assert a.cache_key() == b.cache_key()
    assert len({a.cache_key(), c.cache_key(), d.cache_key()}) == 3
    hash(a.cache_key())


def test_empty_frame() -> None:
    q = parse_query(flt("Description", Op.CONTAINS, "x") | {"orderbyfieldids": "SeqNo"}, TRANSACTIONS)
    assert apply(frame(TRANSACTIONS), q, shuffle_seed=0).height == 0
    assert apply(frame(TRANSACTIONS), parse_query({}, TRANSACTIONS), shuffle_seed=0).height == 0


# --- pushdown ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params,hint",
    [
        ({}, (None, None, None)),
        ({"filterfieldids": "UnitId,Year,Period", "filtervalues": "3,2025,7", "operatortypes": "1,1,1"},
         (3, 2025, 7)),
        ({"filterfieldids": "UnitId,Year;UnitId", "filtervalues": "3,2025;3", "operatortypes": "1,1;1"},
         (3, None, None)),
        ({"filterfieldids": "UnitId;UnitId", "filtervalues": "3;4", "operatortypes": "1;1"}, (None, None, None)),
        ({"filterfieldids": "UnitId,Period", "filtervalues": "3,7", "operatortypes": "2,1"}, (None, None, 7)),
        ({"filterfieldids": "unitid,Modified", "filtervalues": "3,2025-01-01", "operatortypes": "1,2"},
         (3, None, None)),
    ],
)  # fmt: skip
def test_slice_hint(params: dict[str, str], hint: tuple[int | None, ...]) -> None:
    assert slice_hint(parse_query(params, TRANSACTIONS)) == hint


def test_slice_hint_uses_admin_id_for_administrations() -> None:
    q = parse_query(flt("AdminId", 1, "2"), ADMINISTRATIONS)
    assert slice_hint(q) == (2, None, None)


def test_typed_values_are_kept_in_the_query() -> None:
    params = {
        "filterfieldids": "AmtDebit,EntryDate,Modified,Description",
        "filtervalues": "1.5,2025-01-02,2025-01-02 03:04:05,ÀB",
        "operatortypes": "2,1,4,1",
    }
    values = [c.value for c in parse_query(params, TRANSACTIONS).groups[0]]
    assert values == [Decimal("1.5"), dt.date(2025, 1, 2), dt.datetime(2025, 1, 2, 3, 4, 5), "àb"]
