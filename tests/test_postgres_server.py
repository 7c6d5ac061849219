"""The PostgreSQL test-database support really creates, serves and drops databases (no mocks, no skips)."""

from __future__ import annotations

import os
import pwd
import socket

import psycopg
import pytest

from tests import postgres_server
from tests.postgres_server import ENV_VAR, PostgresUnavailable, fresh_database, start_throwaway_cluster

pytestmark = pytest.mark.services


def _exists(server_url: str, name: str) -> bool:
    with psycopg.connect(server_url) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def test_fresh_database_is_usable_through_url_and_conninfo_and_dropped_afterwards():
    with fresh_database() as db:
        assert db.name.startswith(f"afas_test_{os.getpid()}_") and db.name == db.name.lower()
        assert [kv.split("=")[0] for kv in db.conninfo.split()] == ["dbname", "host", "port", "user"]
        assert db.conninfo.startswith(f"dbname={db.name} ") and db.url.endswith(f"/{db.name}")
        with psycopg.connect(db.url) as conn:
            assert conn.info.dbname == db.name
            conn.execute("CREATE TABLE t (id int PRIMARY KEY, label text)")
            conn.execute("INSERT INTO t VALUES (1, 'one'), (2, 'two')")
        # A connection still open when the block ends: WITH (FORCE) must drop the database regardless.
        lingering = psycopg.connect(db.conninfo)
        assert lingering.execute("SELECT label FROM t ORDER BY id").fetchall() == [("one",), ("two",)]
        assert _exists(db.server_url, db.name)
    assert not _exists(db.server_url, db.name)
    lingering.close()


def test_two_fresh_databases_get_different_names():
    with fresh_database("afas_two") as first, fresh_database("AFAS_Two") as second:
        assert first.name != second.name
        assert first.name.startswith("afas_two_") and second.name.startswith("afas_two_")


def test_throwaway_cluster_serves_databases_on_loopback_and_is_removed_when_stopped():
    cluster = start_throwaway_cluster()
    try:
        assert cluster.folder.is_dir()
        if os.geteuid() == 0:  # the server refuses root: the folder must belong to the postgres OS user
            assert cluster.folder.stat().st_uid == pwd.getpwnam("postgres").pw_uid
        with psycopg.connect(cluster.url) as conn:
            assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
            assert conn.execute("SHOW unix_socket_directories").fetchone() == (str(cluster.folder),)
        with fresh_database("afas_cluster", server_url=cluster.url) as db:
            assert db.url.startswith(f"postgresql://postgres@127.0.0.1:{cluster.port}/")
            with psycopg.connect(db.conninfo) as conn:
                conn.execute("CREATE TABLE t AS SELECT 42 AS answer")
                assert conn.execute("SELECT answer FROM t").fetchone() == (42,)
        assert not _exists(cluster.url, db.name)
    finally:
        cluster.stop()
    assert not cluster.folder.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(cluster.url, connect_timeout=3)
    cluster.stop()  # stopping twice is harmless


@pytest.fixture
def closed_port():
    """A loopback port that refuses connections: bound (so nobody else takes it) but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_unreachable_server_falls_back_to_a_throwaway_cluster(monkeypatch, closed_port):
    monkeypatch.setenv(ENV_VAR, f"postgresql://postgres@127.0.0.1:{closed_port}/postgres")
    monkeypatch.setattr(postgres_server, "_clusters", clusters := {})
    try:
        with pytest.warns(UserWarning, match=ENV_VAR), fresh_database() as db:
            with psycopg.connect(db.url) as conn:
                assert conn.execute("SELECT current_database()").fetchone() == (db.name,)
        assert f":{closed_port}/" not in db.server_url
    finally:
        for cluster in clusters.values():
            cluster.stop()


def test_error_says_how_to_provide_a_server_and_hides_the_password(monkeypatch, closed_port, tmp_path):
    monkeypatch.setenv(ENV_VAR, f"postgresql://postgres:s3cret-pw@127.0.0.1:{closed_port}/postgres")
    empty_glob = str(tmp_path / "*" / "bin")
    with pytest.raises(PostgresUnavailable) as raised, fresh_database(binaries_glob=empty_glob):
        pass
    message = str(raised.value)
    assert ENV_VAR in message and "apt-get install postgresql" in message
    assert "Connection refused" in message and empty_glob in message  # what was tried, and why it failed
    assert "s3cret-pw" not in message and "***" in message
