"""The Pandera schemas follow the catalog: types, nullability, rule names."""

from __future__ import annotations

import re

import polars as pl
import pytest

from catalog import CONNECTORS, PERIOD_VALUES, TRANSACTIONS, TRANSACTIONS_ALLOCATED, Kind
from schemas import hard_rules, key_columns, schema_for, soft_rule_specs, soft_rules, validate, warehouse_dtypes
from tests.schemas.frames import valid

DAGSTER_NAME = re.compile(r"^[A-Za-z0-9_]+$")


@pytest.mark.parametrize("conn", CONNECTORS, ids=lambda c: c.id)
def test_schema_columns_follow_the_catalog(conn):
    schema = schema_for(conn)
    assert list(schema.columns) == [f.column for f in conn.fields]
    for f in conn.fields:
        column = schema.columns[f.column]
        if f.kind is Kind.MONEY:
            assert column.dtype.type == pl.Decimal(38, f.decimals)
        else:
            assert column.dtype.type == warehouse_dtypes(conn)[f.column]
        assert column.nullable is (not f.required), f.column
    assert not schema.strict  # fields the catalog does not know are kept


@pytest.mark.parametrize("conn", CONNECTORS, ids=lambda c: c.id)
def test_a_row_without_a_required_key_value_fails_the_contract(conn):
    required = [f for f in (conn.field(fid) for fid in conn.key) if f.required]
    assert required, "every key has values a row cannot do without"
    for f in required:
        first_empty = pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.col(f.id)).alias(f.id)
        result = validate(conn, valid(conn).with_columns(first_empty))
        assert not result.ok and result.error_counts.get(f"not_nullable:{f.column}") == 1, (f.id, result.summary)


def test_only_the_allocation_axes_are_nullable_key_fields():
    nullable = {c for conn in CONNECTORS for c in key_columns(conn) if schema_for(conn).columns[c].nullable}
    assert nullable == {f"dimension_{i}" for i in range(1, 6)}


@pytest.mark.parametrize("conn", CONNECTORS, ids=lambda c: c.id)
def test_rule_names_are_stable_unique_and_valid_check_names(conn):
    names = [r.name for r in hard_rules(conn)] + [name for name, _ in soft_rule_specs(conn)]
    assert len(names) == len(set(names))
    assert all(DAGSTER_NAME.match(n) for n in names)
    assert all(r.description for r in (*hard_rules(conn), *soft_rules(conn)))
    known = set(warehouse_dtypes(conn))
    assert all(set(r.columns) <= known for r in (*hard_rules(conn), *soft_rules(conn)))


def test_hard_rules_per_connector():
    names = {c.id: [r.name for r in hard_rules(c)] for c in CONNECTORS}
    assert names[TRANSACTIONS.id] == ["key_unique", "period_range", "fiscal_year_range", "entry_balanced"]
    assert names[TRANSACTIONS_ALLOCATED.id] == names[TRANSACTIONS.id]
    assert names[PERIOD_VALUES.id] == ["key_unique", "period_range", "fiscal_year_range"]
    assert all(n[0] == "key_unique" for n in names.values())


def test_schema_is_built_once_per_connector():
    """Validation builds a connector's schema on first use only, whether it is named by id or by object."""
    schema_for.cache_clear()
    for connector in (TRANSACTIONS, TRANSACTIONS.id, TRANSACTIONS):
        assert validate(connector, valid(TRANSACTIONS)).ok
    info = schema_for.cache_info()
    assert (info.misses, info.hits) == (1, 2)
