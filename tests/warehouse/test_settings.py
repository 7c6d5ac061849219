"""One setting picks the lake; a PostgreSQL password typed into it never reaches a message."""

from __future__ import annotations

from pathlib import Path

import pytest

from settings import Settings
from warehouse import LakeSettings, Warehouse, WarehouseConfigError
from warehouse.settings import redact


def test_the_default_is_the_embedded_lake_under_the_data_dir(tmp_path):
    settings = lake_from(tmp_path, {})
    assert settings.kind == "sqlite"
    assert settings.sqlite_path == (tmp_path / "lake" / "catalog.sqlite").resolve()
    assert settings.data_path == f"{(tmp_path / 'lake' / 'data').resolve()}/"
    assert settings.retention_months == 13 and settings.busy_timeout_s == 120


def test_a_sqlite_path_a_data_folder_and_the_bounds(tmp_path):
    settings = lake_from(tmp_path, {
        "AFAS_WAREHOUSE": f"sqlite:{tmp_path}/cat.db", "AFAS_WAREHOUSE_DATA": str(tmp_path / "files"),
        "AFAS_WAREHOUSE_BUSY_TIMEOUT_S": "7.5", "AFAS_WAREHOUSE_RETENTION_MONTHS": "25",
    })
    assert settings.sqlite_path == tmp_path / "cat.db" and settings.data_path == f"{tmp_path}/files/"
    assert (settings.busy_timeout_s, settings.retention_months) == (7.5, 25)


@pytest.mark.parametrize("value", [
    "postgres:dbname=afas host=db.example user=afas",
    "postgresql://afas@db.example:5433/afas",
])
def test_postgres_by_conninfo_or_url(tmp_path, value):
    settings = lake_from(tmp_path, {"AFAS_WAREHOUSE": value, "AFAS_WAREHOUSE_DATA": "s3://books/lake"})
    assert settings.kind == "postgres" and settings.data_path == "s3://books/lake/" and settings.is_object_storage
    assert "dbname=afas" in settings.catalog and "host=db.example" in settings.catalog and "user=afas" in settings.catalog
    # Our own sessions get PostgreSQL's time-outs, so a stopped writer cannot hold locks for ever.
    assert "lock_timeout=" in settings.ducklake_uri() and "idle_in_transaction_session_timeout=" in settings.ducklake_uri()
    assert "lock_timeout" not in settings.ducklake_uri(for_writing=False)


def test_an_unknown_setting_says_what_is_accepted(tmp_path):
    with pytest.raises(WarehouseConfigError, match="sqlite.*postgres"):
        lake_from(tmp_path, {"AFAS_WAREHOUSE": "mysql://x"})
    with pytest.raises(WarehouseConfigError, match="BUSY_TIMEOUT"):
        lake_from(tmp_path, {"AFAS_WAREHOUSE_BUSY_TIMEOUT_S": "soon"})


@pytest.mark.parametrize("text", [
    "postgres:dbname=afas host=db password=Geheim123 user=afas",
    "postgresql://afas:Geheim123@db/afas",
    "postgres:host=db password='Geh eim123' dbname=afas",
])
def test_passwords_are_redacted(text):
    assert "Geheim123" not in redact(text) and "eim123" not in redact(text)
    assert "***" in redact(text)


def test_a_password_in_the_setting_never_reaches_the_error(tmp_path):
    """A user types the password into AFAS_WAREHOUSE against a closed port: the error tells what failed, not the secret."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = s.getsockname()[1]
        settings = lake_from(tmp_path, {
            "AFAS_WAREHOUSE": f"postgresql://afas:Geheim123@127.0.0.1:{port}/afas", "AFAS_WAREHOUSE_DATA": str(tmp_path)})
        with pytest.raises(WarehouseConfigError) as raised:
            Warehouse(settings).tables()
    message = str(raised.value)
    assert "Geheim123" not in message
    assert "refused" in message and f"port={port}" in message  # what failed, where
    assert "Geheim123" not in settings.describe() and "Geheim123" not in repr(settings)


def test_reading_a_lake_that_does_not_exist_says_how_to_make_one(tmp_path):
    from warehouse.access import read_only_connection

    with pytest.raises(WarehouseConfigError, match="make demo"):
        read_only_connection(LakeSettings.embedded(Path(tmp_path) / "nothing"))


@pytest.mark.parametrize("text, password", [
    ("postgres:dbname=afas host=db password=Geheim123 user=afas", "Geheim123"),
    ("postgresql://afas:Geh%27eim@db/afas", "Geh'eim"),
])
def test_the_password_can_be_taken_out_for_another_program(tmp_path, text, password):
    from warehouse.settings import without_password

    settings = lake_from(tmp_path, {"AFAS_WAREHOUSE": text})
    stripped, found = without_password(settings)
    assert found == password
    assert "password" not in stripped.catalog and "dbname=afas" in stripped.catalog and "host=db" in stripped.catalog
    assert without_password(LakeSettings.embedded(tmp_path)) == (LakeSettings.embedded(tmp_path), None)


def lake_from(data_dir, environ: dict[str, str]) -> LakeSettings:
    """The lake the variables name, read as the pipeline reads them."""
    return Settings.from_environment({**environ, "AFAS_DATA_DIR": str(data_dir)}).lake()
