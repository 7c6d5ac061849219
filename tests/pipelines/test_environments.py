import stat

import pytest

from afas.errors import ConfigurationError
from afas.environments import EnvironmentEntry, EnvironmentStore

HEX = "AB" * 32


def test_secret_is_owner_only_and_outside_settings(tmp_path):
    store = EnvironmentStore(tmp_path / "home", environ={})
    store.save(EnvironmentEntry("o12345", "O12345AA"), HEX)
    secret_file = tmp_path / "home" / "secrets" / "o12345"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "home" / "secrets").stat().st_mode) == 0o700
    assert HEX not in store.settings_file.read_text()
    assert store.secret("o12345") == HEX


def test_several_environments_side_by_side_and_replace(tmp_path):
    store = EnvironmentStore(tmp_path, environ={})
    store.save(EnvironmentEntry("klant-a", "O11111AA"), HEX)
    store.save(EnvironmentEntry("klant-b", "T22222AB"), "CD" * 32)
    store.save(EnvironmentEntry("klant-a", "O11111AA", base_url="http://127.0.0.1:1/x"), "EF" * 32)
    entries = {e.name: e for e in store.entries()}
    assert set(entries) == {"klant-a", "klant-b"}
    assert entries["klant-a"].base_url == "http://127.0.0.1:1/x"
    assert store.secret("klant-a") == "EF" * 32
    conns = {c.name: c for c in store.connections()}
    assert conns["klant-b"].base_url == "https://22222.resttest.afas.online/ProfitRestServices"
    assert store.remove("klant-a") and [e.name for e in store.entries()] == ["klant-b"]


def test_environment_from_variables(tmp_path):
    store = EnvironmentStore(tmp_path, environ={"AFAS_ENVIRONMENT_CODE": "O12345AA", "AFAS_TOKEN": HEX})
    (conn,) = store.connections()
    assert conn.name == "o12345"
    assert HEX not in repr(conn)


def test_unknown_environment_names_the_configured_ones(tmp_path):
    store = EnvironmentStore(tmp_path, environ={})
    store.save(EnvironmentEntry("klant-a", "O11111AA"), HEX)
    with pytest.raises(ConfigurationError, match="klant-a"):
        store.connections(["klant-x"])


@pytest.mark.parametrize("name", ["", "Klant A", "a/b", "x" * 41])
def test_bad_names(tmp_path, name):
    with pytest.raises(ConfigurationError):
        EnvironmentStore(tmp_path, environ={}).save(EnvironmentEntry(name, "O1234AA"), HEX)
