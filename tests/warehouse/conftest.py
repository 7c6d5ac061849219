"""Fixtures: a fresh embedded lake (SQLite catalog) in a temporary folder."""

from __future__ import annotations

import pytest

from warehouse import LakeSettings, Warehouse
from warehouse.store import close_all


@pytest.fixture
def lake_settings(tmp_path) -> LakeSettings:
    return LakeSettings.embedded(tmp_path / "lake", busy_timeout_s=10)


@pytest.fixture
def wh(lake_settings) -> Warehouse:
    yield Warehouse(lake_settings)
    close_all()
