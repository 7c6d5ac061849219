"""GetConnector query semantics: parse `skip`/`take`/filters/order and apply them to a polars frame.

Pure functions, no I/O. The server parses a call with `parse_query`, asks the data layer for the
slice named by `slice_hint` (pushdown), narrows and orders it with `apply`, and cuts the page with
`page`. `apply` is the expensive step; its result depends only on `Query.cache_key()` (connector,
filters, order) and on the data, so the server may reuse it across the pages of one load — but only
when `Query.cacheable` is true: an unordered result is reshuffled on every call on purpose.

Behaviour follows `shared/reference/afas-rest-api.md` §4 and §5. Where AFAS's behaviour is unknown,
this module picks SQL Server's (AFAS Online runs on it, case-insensitive collation) and says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import polars as pl

from catalog import ADMIN_ID, PERIOD, UNIT_ID, YEAR, Connector, Field, Kind
from afas_simulator.conditions import (
    I64_MAX,
    INT_TEXT,
    Condition,
    Op,
    QueryError,
    UnknownFieldError,
    condition,
    condition_expr,
)

__all__ = [
    "DEFAULT_TAKE",
    "Condition",
    "Op",
    "Query",
    "QueryError",
    "UnknownFieldError",
    "apply",
    "page",
    "parse_query",
    "slice_hint",
]

DEFAULT_TAKE = 100
_PARAMS = ("skip", "take", "filterfieldids", "filtervalues", "operatortypes", "orderbyfieldids", "filterjson")


@dataclass(frozen=True)
class Query:
    """A parsed GetConnector call.

    Attributes:
        connector_id: the GetConnector it was parsed for.
        skip: rows to skip, >= 0; -1 together with take -1 means "everything".
        take: page size, >= 0 (no maximum, like AFAS); -1 means "everything".
        groups: OR-ed groups of AND-ed conditions; empty means no filter.
        order: `(field id, descending)` pairs; empty means "database order" (shuffled per call).
    """

    connector_id: str
    skip: int = 0
    take: int = DEFAULT_TAKE
    groups: tuple[tuple[Condition, ...], ...] = ()
    order: tuple[tuple[str, bool], ...] = ()

    @property
    def everything(self) -> bool:
        """`skip=-1&take=-1`: the whole (filtered) result in one answer."""
        return self.take == -1

    def orders_uniquely(self, connector: Connector) -> bool:
        """Whether the order names every field of the connector's key, so no two rows tie on it.

        Only then is the result the same on every call, and `apply`'s result may be reused across calls
        with the same `cache_key()`. AFAS pages with OFFSET on SQL Server, which keeps no order among
        rows that tie on the requested order: between two calls they may swap, so a non-unique order
        loses some rows and doubles others across pages [C: the contract's "a unique sort is
        mandatory"]. The simulator reproduces that by shuffling before every ordered call that ties
        (and every unordered one).
        """
        named = {field.lower() for field, _ in self.order}
        return bool(self.order) and all(k.lower() in named for k in connector.key)

    def cache_key(self) -> tuple[Any, ...]:
        """Hashable identity of `apply`'s result for the same data: connector, filters, order.

        Excludes skip and take, so all pages of one load share a key. Don't cache unless
        `orders_uniquely`.
        """
        return (self.connector_id, self.groups, self.order)


def parse_query(params: Mapping[str, str] | Sequence[tuple[str, str]], connector: Connector) -> Query:
    """Parse the query parameters of `GET /connectors/{id}`.

    Args:
        params: decoded query parameters; names are matched case-insensitively, unknown names
            are ignored.
        connector: the catalog entry of the connector being called.

    Returns:
        The parsed query.

    Raises:
        UnknownFieldError: a filter or sort names a field the connector lacks.
        QueryError: anything else AFAS would reject (bad skip/take, mismatched filter parameters,
            unparsable values, a date value with `Z`, a repeated parameter).
    """
    items = params.items() if isinstance(params, Mapping) else params
    given: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        if key not in _PARAMS:
            continue
        if key in given:
            # [G] ASP.NET would glue repeats together with ","; failing loudly serves clients better.
            raise QueryError(f"Parameter '{name}' is given more than once")
        given[key] = value
    skip, take = _parse_paging(given.get("skip"), given.get("take"))
    fields = {f.id.lower(): f for f in connector.fields}
    return Query(
        connector_id=connector.id,
        skip=skip,
        take=take,
        groups=_parse_filters(given, fields),
        order=_parse_order(given.get("orderbyfieldids", ""), fields),
    )


def _parse_paging(skip_text: str | None, take_text: str | None) -> tuple[int, int]:
    skip = _paging_int("skip", skip_text, 0)
    take = _paging_int("take", take_text, DEFAULT_TAKE)
    if (skip == -1) != (take == -1):
        raise QueryError("skip=-1 and take=-1 (all rows) must be used together")
    if skip < -1 or take < -1:
        raise QueryError("skip and take must not be negative")
    return skip, take


def _paging_int(name: str, text: str | None, default: int) -> int:
    if text is None or text == "":
        return default  # [G] `take=` counts as not given
    if not INT_TEXT.fullmatch(text.strip()):
        raise QueryError(f"Parameter '{name}' must be an integer, got '{text}'")
    value = int(text)
    if value > I64_MAX:
        raise QueryError(f"Parameter '{name}' is too large: {text}")
    return value


def _parse_order(text: str, fields: Mapping[str, Field]) -> tuple[tuple[str, bool], ...]:
    order: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for item in text.split(","):
        if not item:
            continue  # "A,,B" and a trailing comma are tolerated
        descending = item.startswith("-")
        name = item[1:] if descending else item
        field = fields.get(name.lower())
        if field is None:
            raise UnknownFieldError(name)
        if field.id not in seen:  # a repeated sort field cannot change the order
            seen.add(field.id)
            order.append((field.id, descending))
    return tuple(order)


def _parse_filters(given: Mapping[str, str], fields: Mapping[str, Field]) -> tuple[tuple[Condition, ...], ...]:
    positional = [given.get(k) for k in ("filterfieldids", "filtervalues", "operatortypes")]
    has_positional = any(p not in (None, "") for p in positional)
    json_text = given.get("filterjson") or ""
    if json_text and has_positional:
        raise QueryError("Use either filterjson or filterfieldids/filtervalues/operatortypes, not both")
    if json_text:
        raw = _filterjson_groups(json_text)
    elif has_positional:
        if None in positional:
            # Operators 8/9 still need `filtervalues`, if only an empty one.
            raise QueryError("filterfieldids, filtervalues and operatortypes must be given together")
        raw = _positional_groups(*(p or "" for p in positional))
    else:
        return ()
    return tuple(tuple(condition(f, v, o, fields) for f, v, o in group) for group in raw)


def _positional_groups(ids: str, values: str, ops: str) -> list[list[tuple[str, str, str]]]:
    split = [[g.split(",") for g in text.split(";")] for text in (ids, values, ops)]
    shapes = [[len(g) for g in s] for s in split]
    if not shapes[0] == shapes[1] == shapes[2]:
        raise QueryError(
            "filterfieldids, filtervalues and operatortypes must have the same number of values "
            "(',' between conditions, ';' between OR groups)"
        )
    return [list(zip(*groups, strict=True)) for groups in zip(*split, strict=True)]


def _filterjson_groups(text: str) -> list[list[tuple[str, str, str]]]:
    try:
        doc = orjson.loads(text)
        filters = _as_list(doc["Filters"]["Filter"])
        groups = []
        for flt in filters:
            group = []
            for fld in _as_list(flt["Field"]):
                value = fld.get("#text", "")
                group.append((str(fld["@FieldId"]), "" if value is None else str(value), str(fld["@OperatorType"])))
            groups.append(group)
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise QueryError(f"filterjson is not a valid filter: {exc}") from None
    if not groups or not all(groups):
        raise QueryError("filterjson must hold at least one Filter with at least one Field")
    return groups


def _as_list(node: Any) -> list[Any]:
    # XML-to-JSON converters write a single element as an object instead of a one-item list.
    return node if isinstance(node, list) else [node]


def slice_hint(query: Query) -> tuple[int | None, int | None, int | None]:
    """The administration, year and period every matching row must have, for data pushdown.

    A field is pinned when every OR group holds an `=` condition on it with one value, the same
    in all groups. The administration is `UnitId` (`AdminId` for the administrations connector).
    Filters are still applied in full afterwards, so a hint only has to be safe, never complete.

    Returns:
        `(unit_id, year, period)`, each None when not pinned.
    """
    return (
        _pinned(query, (UNIT_ID, ADMIN_ID)),
        _pinned(query, (YEAR,)),
        _pinned(query, (PERIOD,)),
    )


def _pinned(query: Query, field_ids: tuple[str, ...]) -> int | None:
    if not query.groups:
        return None
    pinned: set[int] = set()
    for group in query.groups:
        values = {c.value for c in group if c.field in field_ids and c.op is Op.EQ and c.kind is Kind.INT}
        if len(values) != 1:
            return None
        pinned |= values
    return pinned.pop() if len(pinned) == 1 else None


def apply(frame: pl.DataFrame, query: Query, *, shuffle_seed: int | None) -> pl.DataFrame:
    """Filter and order a connector frame as AFAS would; no paging (see `page`).

    Args:
        frame: rows of the connector (catalog field ids as columns, dataset.py types).
        query: the parsed call.
        shuffle_seed: seeds the order of rows the query's order does not decide (all rows without an
            order, the ties of a non-unique one). Pass a different seed per call: AFAS's order of those
            changes between calls. None keeps the input order (for a unique order, which has no ties).

    Returns:
        The matching rows. Ordered on `query.order` (SQL Server: nulls lowest, so first when
        ascending and last when descending; text case-insensitive), ties in the seed's order; a
        random permutation without an order.
    """
    if query.groups:
        frame = frame.filter(pl.any_horizontal(pl.all_horizontal(condition_expr(c) for c in g) for g in query.groups))
    if shuffle_seed is not None and frame.height > 1:
        frame = frame.sample(fraction=1.0, shuffle=True, seed=shuffle_seed & 0xFFFF_FFFF_FFFF_FFFF)
    if query.order:
        keys = [_sort_key(frame, name) for name, _ in query.order]
        descending = [d for _, d in query.order]
        return frame.sort(keys, descending=descending, nulls_last=descending, maintain_order=True)
    return frame


def page(frame: pl.DataFrame, query: Query) -> pl.DataFrame:
    """Cut the page `query.skip`/`query.take` out of `apply`'s result (everything for -1/-1)."""
    if query.everything:
        return frame
    return frame.slice(query.skip, query.take)


def _sort_key(frame: pl.DataFrame, name: str) -> pl.Expr:
    if frame.schema[name] == pl.String:
        return pl.col(name).str.to_lowercase()  # case-insensitive collation
    return pl.col(name)
