"""Filter conditions of a GetConnector call: operators, typed values, and their polars expressions.

A condition is one (field, operator, value) triple from `filterfieldids`/`filtervalues`/
`operatortypes` or `filterjson`. Values are parsed by the field's kind when the call is parsed, so a
bad value fails before any data is touched; `condition_expr` turns a condition into a vectorised
boolean expression. Semantics are SQL Server's (AFAS Online runs on it): case-insensitive collation,
`LIKE` with `%` wildcards, and unknown (null) never matching. See `shared/reference/afas-rest-api.md`
§4 and §5; where AFAS is silent the choice is marked [G]:

- `%` is a wildcard only for the text operators (6, 10-15); `=` and the other comparisons take the
  value literally. `_` is literal too (only `%` is documented).
- Text operators on a non-text field match its text form (`12.50`, `2025-01-31`, `true`).
- Comparisons on text compare lower-cased text (code-point order, close to the collation's).
- Money values accept `.` (and, where no `.` occurs, a Dutch `,`) as decimal separator.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from catalog import Field, Kind

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
INT_TEXT = re.compile(r"[+-]?\d+")
_DATE_TEXT = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2}))?")


class QueryError(ValueError):
    """A GetConnector call AFAS rejects; the server answers HTTP 500 with `str(error)` as message."""


class UnknownFieldError(QueryError):
    """A filter or sort names a field the connector does not have."""

    def __init__(self, field_id: str) -> None:
        super().__init__(f"Connector field '{field_id}' not found")
        self.field_id = field_id


class Op(enum.IntEnum):
    """AFAS `operatortypes` codes."""

    EQ = 1
    GE = 2
    LE = 3
    GT = 4
    LT = 5
    CONTAINS = 6
    NE = 7
    EMPTY = 8
    NOT_EMPTY = 9
    STARTS_WITH = 10
    NOT_CONTAINS = 11
    NOT_STARTS_WITH = 12
    ENDS_WITH = 13
    NOT_ENDS_WITH = 14
    QUICK = 15


_COMPARISONS = frozenset({Op.EQ, Op.GE, Op.LE, Op.GT, Op.LT, Op.NE})
_PRESENCE = frozenset({Op.EMPTY, Op.NOT_EMPTY})


@dataclass(frozen=True)
class Condition:
    """One filter condition.

    Attributes:
        field: the catalog field id, in catalog spelling (whatever case the caller used).
        kind: the field's kind; decides how `value` was parsed and how it compares.
        op: the operator.
        value: for comparisons the typed value (int, Decimal, bool, date, datetime, or lower-cased
            str for text); for text operators the raw pattern text (`%` = any characters); for
            empty/not-empty always "".
    """

    field: str
    kind: Kind
    op: Op
    value: Any


def condition(name: str, text: str, op_text: str, fields: Mapping[str, Field]) -> Condition:
    """Build one condition from its three texts.

    Args:
        name: the field id as the caller wrote it (matched case-insensitively, like AFAS).
        text: the filter value; ignored for operators 8 and 9.
        op_text: the operator code, "1".."15".
        fields: the connector's fields keyed by lower-cased id.

    Raises:
        UnknownFieldError: the connector has no such field.
        QueryError: an unknown operator, or a value that does not parse as the field's kind.
    """
    field = fields.get(name.lower())
    if field is None:
        raise UnknownFieldError(name)
    try:
        op = Op(int(op_text))
    except ValueError:
        raise QueryError(f"Unknown operator type '{op_text}' for field '{name}'") from None
    if op in _PRESENCE:
        value: Any = ""  # AFAS wants a value here but ignores it
    elif op in _COMPARISONS:
        value = _typed_value(field.kind, text, name)
    else:
        value = text
    return Condition(field.id, field.kind, op, value)


def _typed_value(kind: Kind, text: str, name: str) -> Any:
    """Parse a comparison value as the field's kind (SQL Server would convert it the same way)."""
    bad = QueryError(f"Filter value '{text}' is not valid for field '{name}' ({kind.afas_data_type})")
    if kind is Kind.TEXT or kind is Kind.BLOB:
        return text.lower()  # case-insensitive collation
    if kind is Kind.INT:
        if not INT_TEXT.fullmatch(text.strip()):
            raise bad
        number = int(text)
        if not I64_MIN <= number <= I64_MAX:
            raise bad
        return number
    if kind is Kind.MONEY:
        cleaned = text.strip()
        if "," in cleaned and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")  # Dutch decimal comma, only reachable via filterjson
        try:
            amount = decimal.Decimal(cleaned)
        except decimal.InvalidOperation:
            raise bad from None
        # Bounds keep the literal a polars Decimal(38, s); far beyond any Decimal(18, 2) amount.
        if not amount.is_finite() or abs(amount) >= 10**20 or int(amount.as_tuple().exponent) < -18:
            raise bad
        return amount
    if kind is Kind.BOOL:
        flag = {"true": True, "1": True, "false": False, "0": False}.get(text.strip().lower())
        if flag is None:
            raise bad
        return flag
    if kind in (Kind.DATE, Kind.DATETIME):
        return _date_value(text, name, bad)
    raise bad


def _date_value(text: str, name: str, bad: QueryError) -> dt.date | dt.datetime:
    # The contract says date filter values must not carry AFAS's false `Z` [S], not what AFAS does
    # with one. [G] Read it as the same Amsterdam local time without it (as AFAS prints its own times),
    # rather than fail: a stricter simulator would fail clients AFAS serves.
    text = text[:-1] if text.endswith(("Z", "z")) else text
    match = _DATE_TEXT.fullmatch(text)
    if match is None:
        raise bad
    try:
        parts = [int(p) for p in match.groups() if p is not None]
        return dt.datetime(*parts) if len(parts) == 6 else dt.date(*parts)
    except ValueError:
        raise bad from None


def condition_expr(c: Condition) -> pl.Expr:
    """The condition as a boolean expression that is never null (SQL: unknown is not a match)."""
    col = pl.col(c.field)
    text_kind = c.kind in (Kind.TEXT, Kind.BLOB)
    if c.op is Op.EMPTY:
        return (col.is_null() | (col == "")) if text_kind else col.is_null()
    if c.op is Op.NOT_EMPTY:
        return (col.is_not_null() & (col != "")).fill_null(False) if text_kind else col.is_not_null()
    if c.op in _COMPARISONS:
        return _compare(col, c).fill_null(False)
    return _like(col if text_kind else col.cast(pl.String), c.op, c.value).fill_null(False)


def _compare(col: pl.Expr, c: Condition) -> pl.Expr:
    value = c.value
    if c.kind in (Kind.TEXT, Kind.BLOB):
        col = col.str.to_lowercase()
    elif c.kind is Kind.DATE and isinstance(value, dt.datetime):
        # [G] AFAS keeps dates as SQL datetimes at midnight, so a time in the value shifts the boundary.
        col = col.cast(pl.Datetime("us"))
    elif c.kind is Kind.DATETIME and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    # Stored datetimes keep microseconds, values have whole seconds: 10:00:00.5 is > 10:00:00.
    lit = pl.lit(value)
    return {
        Op.EQ: col == lit,
        Op.NE: col != lit,
        Op.GE: col >= lit,
        Op.LE: col <= lit,
        Op.GT: col > lit,
        Op.LT: col < lit,
    }[c.op]


def _like(col: pl.Expr, op: Op, value: str) -> pl.Expr:
    """SQL `LIKE` with `%` wildcards, case-insensitive, as a Rust regex."""
    body = ".*".join(pl.escape_regex(part) for part in value.split("%"))
    anchored = {
        Op.CONTAINS: body,
        Op.QUICK: body,
        Op.NOT_CONTAINS: body,
        Op.STARTS_WITH: "^" + body,
        Op.NOT_STARTS_WITH: "^" + body,
        Op.ENDS_WITH: body + "$",
        Op.NOT_ENDS_WITH: body + "$",
    }[op]
    matched = col.str.contains("(?is)" + anchored)
    # NOT LIKE on null stays unknown in SQL, so negation keeps nulls out (fill_null after).
    return ~matched if op in (Op.NOT_CONTAINS, Op.NOT_STARTS_WITH, Op.NOT_ENDS_WITH) else matched
