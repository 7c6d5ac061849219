"""Where the AFAS cap is kept: lock files on one machine, the lake's PostgreSQL when the lake is shared."""

from __future__ import annotations

import pytest

from afas.errors import ConfigurationError
from assets.resources import AfasResource


@pytest.fixture(autouse=True)
def _clean(monkeypatch, tmp_path):
    for name in ("AFAS_CALL_SLOTS", "AFAS_WAREHOUSE", "AFAS_WAREHOUSE_DATA"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AFAS_DATA_DIR", str(tmp_path))


def test_embedded_lake_keeps_the_cap_in_lock_files():
    assert AfasResource.from_environment().slots_database() is None


def test_a_shared_lake_keeps_the_cap_in_its_catalog_database(monkeypatch):
    monkeypatch.setenv("AFAS_WAREHOUSE", "postgresql://afas@db.example:5432/lake")
    assert "db.example" in AfasResource.from_environment().slots_database()


@pytest.mark.parametrize("value, expected", [
    ("files", None),
    ("postgres:dbname=slots host=db", "dbname=slots host=db"),
    ("postgresql://u@db/slots", "postgresql://u@db/slots"),
])
def test_the_setting_overrides_the_default(monkeypatch, value, expected):
    monkeypatch.setenv("AFAS_WAREHOUSE", "postgresql://afas@db.example:5432/lake")
    monkeypatch.setenv("AFAS_CALL_SLOTS", value)
    assert AfasResource.from_environment().slots_database() == expected


def test_a_wrong_value_is_refused_without_repeating_it(monkeypatch):
    monkeypatch.setenv("AFAS_CALL_SLOTS", "CF6667AB12 password=hunter2")
    with pytest.raises(ConfigurationError) as caught:
        AfasResource.from_environment().slots_database()
    assert "hunter2" not in str(caught.value) and "AFAS_CALL_SLOTS" in str(caught.value)


def test_clients_with_other_slots_are_other_clients(sim, tmp_path):
    """A process may hold resources that keep the cap apart (a test's reference load beside a worker's)."""
    from pipelines.demo import register
    from tests.conftest import MEMBER

    spec = sim.environment(MEMBER).spec
    assert register([(spec.code, sim.base_url(MEMBER), sim.token_xml(MEMBER))], tmp_path / "home") == 0
    home = str(tmp_path / "home")
    on_files = AfasResource.from_environment(home=home, call_slots="files").client("o12345")
    on_postgres = AfasResource.from_environment(home=home, call_slots="postgres:dbname=slots host=db").client("o12345")
    assert on_files is AfasResource.from_environment(home=home, call_slots="files").client("o12345")
    assert on_postgres is not on_files
    assert on_postgres.transport.settings.shared_slots_postgres == "dbname=slots host=db"
