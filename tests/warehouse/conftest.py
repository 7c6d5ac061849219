"""Fixtures: a fresh warehouse with publishing in a temporary folder."""

from __future__ import annotations

import pytest

from warehouse import Warehouse


@pytest.fixture
def wh(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse.duckdb", tmp_path / "published", busy_timeout_s=5)
