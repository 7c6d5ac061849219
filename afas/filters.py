"""GetConnector filters and their rendering into query parameters.

AFAS takes filters positionally in three parameters (`filterfieldids`, `filtervalues`,
`operatortypes`): `,` separates AND-ed conditions and `;` separates OR groups. A value that itself
contains `,` or `;` cannot be written that way, so such filters are rendered as `filterjson`
instead, where Fields inside a Filter are AND-ed and Filters are OR-ed.

>>> f = Filter.where(Condition("UnitId", Op.EQ, 1), Condition("Year", Op.EQ, 2025))
>>> render_query(f, order=("UnitId", "EntryNo"), skip=0, take=100)
[('filterfieldids', 'UnitId,Year'), ('filtervalues', '1,2025'), ('operatortypes', '1,1'), ('orderbyfieldids', 'UnitId,EntryNo'), ('skip', '0'), ('take', '100')]
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

import orjson

from afas.errors import ConfigurationError
from afas.settings import MAX_QUERY_LENGTH
from catalog.clock import AMSTERDAM



class Op(enum.IntEnum):
    """AFAS filter operators (`operatortypes`)."""

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


FilterValue = str | int | Decimal | dt.date | dt.datetime | bool | None


@dataclass(frozen=True)
class Condition:
    """One condition: `field op value`. Operators 8 and 9 (empty / not empty) ignore the value."""

    field: str
    op: Op
    value: FilterValue = ""

    def value_text(self) -> str:
        return render_value(self.value)


@dataclass(frozen=True)
class Filter:
    """A filter in disjunctive normal form: OR over groups, AND within a group."""

    groups: tuple[tuple[Condition, ...], ...] = ()

    @classmethod
    def where(cls, *conditions: Condition) -> "Filter":
        """All conditions must hold (one AND group)."""
        return cls((tuple(conditions),)) if conditions else cls()

    @classmethod
    def any_of(cls, *filters: "Filter") -> "Filter":
        """At least one of the filters must hold."""
        groups = tuple(g for f in filters for g in (f.groups or ((),)))
        return cls(groups)

    def and_(self, other: "Filter") -> "Filter":
        """Both filters must hold; distributes OR groups so the result stays in AND/OR form."""
        if not self.groups:
            return other
        if not other.groups:
            return self
        return Filter(tuple(a + b for a, b in itertools.product(self.groups, other.groups)))

    @property
    def is_empty(self) -> bool:
        return not any(self.groups)

    def needs_json(self) -> bool:
        """Whether a value holds `,` or `;`, which the positional parameters cannot carry."""
        return any(("," in c.value_text() or ";" in c.value_text()) for g in self.groups for c in g)


def render_value(value: FilterValue) -> str:
    """A filter value as AFAS expects it; datetimes without the `Z` AFAS itself prints."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            # AFAS compares against Amsterdam wall-clock time.
            value = value.astimezone(AMSTERDAM)
        return value.replace(tzinfo=None, microsecond=0).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _positional(f: Filter) -> list[tuple[str, str]]:
    groups = [g for g in f.groups if g]
    fields = ";".join(",".join(c.field for c in g) for g in groups)
    values = ";".join(",".join(c.value_text() for c in g) for g in groups)
    ops = ";".join(",".join(str(int(c.op)) for c in g) for g in groups)
    return [("filterfieldids", fields), ("filtervalues", values), ("operatortypes", ops)]


def _json(f: Filter) -> list[tuple[str, str]]:
    doc = {
        "Filters": {
            "Filter": [
                {
                    "@FilterId": f"Filter {i}",
                    "Field": [
                        {"@FieldId": c.field, "@OperatorType": str(int(c.op)), "#text": c.value_text()} for c in g
                    ],
                }
                for i, g in enumerate((g for g in f.groups if g), start=1)
            ]
        }
    }
    return [("filterjson", orjson.dumps(doc).decode("utf-8"))]


class QueryTooLongError(ConfigurationError):
    """The rendered query string exceeds AFAS's 2,049 characters."""


def render_query(
    f: Filter | None,
    *,
    order: tuple[str, ...] = (),
    skip: int | None = None,
    take: int | None = None,
) -> list[tuple[str, str]]:
    """Query parameters for a GetConnector call, checked against AFAS's length limit.

    Args:
        f: the filter, or None for all rows.
        order: field ids to sort on; prefix `-` for descending.
        skip: rows to skip (0 or more).
        take: rows to return (1 or more).

    Raises:
        QueryTooLongError: the query string would exceed 2,049 characters (AFAS answers 404).
    """
    params: list[tuple[str, str]] = []
    if f is not None and not f.is_empty:
        params += _json(f) if f.needs_json() else _positional(f)
    if order:
        params.append(("orderbyfieldids", ",".join(order)))
    if skip is not None:
        params.append(("skip", str(skip)))
    if take is not None:
        params.append(("take", str(take)))
    length = len(urlencode(params))
    if length > MAX_QUERY_LENGTH:
        raise QueryTooLongError(
            f"The filter renders to a query string of {length:,} characters; AFAS accepts at most "
            f"{MAX_QUERY_LENGTH:,}. Use fewer or shorter conditions (split the load into more slices)."
        )
    return params
