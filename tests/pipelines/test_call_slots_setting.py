"""Where the AFAS cap is kept: lock files on one machine, the lake's PostgreSQL when the lake is shared."""

from __future__ import annotations

import pytest

from afas.errors import ConfigurationError
from pipelines.resources import AfasResource


@pytest.fixture(autouse=True)
def _clean(monkeypatch, tmp_path):
    for name in ("AFAS_CALL_SLOTS", "AFAS_WAREHOUSE", "AFAS_WAREHOUSE_DATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path))


def test_embedded_lake_keeps_the_cap_in_lock_files():
    assert AfasResource().slots_database() is None


def test_a_shared_lake_keeps_the_cap_in_its_catalog_database(monkeypatch):
    monkeypatch.setenv("AFAS_WAREHOUSE", "postgresql://afas@db.example:5432/lake")
    assert "db.example" in AfasResource().slots_database()


@pytest.mark.parametrize("value, expected", [
    ("files", None),
    ("postgres:dbname=slots host=db", "dbname=slots host=db"),
    ("postgresql://u@db/slots", "postgresql://u@db/slots"),
])
def test_the_setting_overrides_the_default(monkeypatch, value, expected):
    monkeypatch.setenv("AFAS_WAREHOUSE", "postgresql://afas@db.example:5432/lake")
    monkeypatch.setenv("AFAS_CALL_SLOTS", value)
    assert AfasResource().slots_database() == expected


def test_a_wrong_value_is_refused_without_repeating_it(monkeypatch):
    monkeypatch.setenv("AFAS_CALL_SLOTS", "CF6667AB12 password=hunter2")
    with pytest.raises(ConfigurationError) as caught:
        AfasResource().slots_database()
    assert "hunter2" not in str(caught.value) and "AFAS_CALL_SLOTS" in str(caught.value)
