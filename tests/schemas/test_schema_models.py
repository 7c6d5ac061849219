"""The Pandera schemas follow the catalog: types, nullability, rule names."""

from __future__ import annotations

import re

import polars as pl
import pytest

from catalog import CONNECTORS, PERIOD_VALUES, TRANSACTIONS, TRANSACTIONS_ALLOCATED, Kind
from schemas import hard_rules, key_columns, schema_for, soft_rule_specs, soft_rules, warehouse_dtypes

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
def test_required_key_fields_are_not_nullable(conn):
    schema = schema_for(conn)
    for fid in conn.key:
        assert schema.columns[conn.field(fid).column].nullable is (not conn.field(fid).required)
    assert any(not schema.columns[c].nullable for c in key_columns(conn))


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
    assert schema_for(TRANSACTIONS) is schema_for(TRANSACTIONS)
