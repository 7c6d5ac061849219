"""Extensions come from this environment's wheels, signature-checked, and never from the network."""

from __future__ import annotations

import http.server
import threading

import duckdb
import pytest

from catalog import TRANSACTIONS
from tests.warehouse.frames import frame, period_slice, transaction
from warehouse import Warehouse, WarehouseConfigError, extensions
from warehouse.access import read_only_connection
from warehouse.export import export_query


@pytest.fixture
def extension_repository():
    """A local 'extension repository' that counts every request DuckDB makes to it (and serves none)."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_the_repository_stand_in_sees_a_download_attempt(extension_repository, tmp_path):
    """The control: a DuckDB left to its defaults asks the repository, so the next test can see attempts."""
    url, hits = extension_repository
    con = duckdb.connect(config={"custom_extension_repository": url, "extension_directory": str(tmp_path / "ext")})
    with pytest.raises(duckdb.Error):
        con.execute(f"ATTACH 'ducklake:sqlite:{tmp_path}/c.sqlite' AS lake")
    assert hits, "DuckDB's auto-install did not reach the stand-in repository"


def test_a_load_a_query_and_an_export_never_try_the_network(extension_repository, tmp_path, monkeypatch):
    url, hits = extension_repository
    # Everything DuckDB could download from now goes to the stand-in, into an empty folder.
    monkeypatch.setitem(extensions.CONFIG, "custom_extension_repository", url)
    monkeypatch.setitem(extensions.CONFIG, "extension_directory", str(tmp_path / "empty-extension-dir"))
    from tests.conftest import lake_on

    with lake_on("sqlite", tmp_path, None) as settings:
        wh = Warehouse(settings)
        rows = [transaction(1, 2025, 3, 1, 1, "8000", "1.00", "0.00")]
        wh.replace_slice(TRANSACTIONS, period_slice(), frame(TRANSACTIONS, rows))
        assert wh.query("SELECT count(*) AS n FROM transactions")["n"][0] == 1
        con = read_only_connection(settings)
        try:
            assert export_query(con, "SELECT * FROM trial_balance", tmp_path / "tb.xlsx") == 0
            loaded = dict(con.execute(
                "SELECT extension_name, install_mode FROM duckdb_extensions() WHERE loaded").fetchall())
            settings_now = dict(con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('autoinstall_known_extensions', 'autoload_known_extensions', 'allow_unsigned_extensions')"
            ).fetchall())
        finally:
            con.close()
    assert hits == []
    assert {"ducklake", "sqlite_scanner", "excel"} <= set(loaded)
    assert set(settings_now.values()) == {"false"}
    assert not (tmp_path / "empty-extension-dir").exists() or not any((tmp_path / "empty-extension-dir").rglob("*"))


def test_an_unsigned_extension_is_refused(tmp_path):
    fake = tmp_path / "ducklake.duckdb_extension"
    fake.write_bytes(extensions.binary("ducklake").read_bytes()[:-600] + b"\0" * 600)  # signature spoilt
    con = duckdb.connect(config=extensions.CONFIG)
    with pytest.raises(duckdb.Error, match="(?i)signature|invalid|not a valid"):
        con.execute(f"LOAD '{fake}'")


def test_a_missing_wheel_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(extensions.WHEELS, "ducklake", "duckdb_extension_not_there")
    extensions.binary.cache_clear()
    try:
        with pytest.raises(WarehouseConfigError, match="make setup"):
            extensions.binary("ducklake")
    finally:
        extensions.binary.cache_clear()
