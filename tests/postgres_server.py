"""A real, fresh PostgreSQL database for tests: the configured server, else a throwaway cluster.

Never a mock and never a skip: a skipped catalog test passes CI while proving nothing. When neither the server
named by ``AFAS_TEST_POSTGRES_URL`` nor a cluster from local server binaries works, the error says how to fix it.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import glob
import os
import pwd
import re
import secrets
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from pipelines.demo import free_port

ENV_VAR = "AFAS_TEST_POSTGRES_URL"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BINARIES_GLOB = "/usr/lib/postgresql/*/bin"  # Debian/Ubuntu keep server binaries off PATH, one dir per major
TOOLS = ("initdb", "pg_ctl")
SERVER_OS_USER = "postgres"  # PostgreSQL refuses to run as root; the distribution packages create this account
CONNECT = {"autocommit": True, "connect_timeout": 3}  # CREATE DATABASE refuses transactions; dead hosts: 3 s
_clusters: dict[str, ThrowawayCluster] = {}  # per binaries glob, so a test run pays the ~1-2 s start only once


class PostgresUnavailable(RuntimeError):
    """Neither the configured server nor a throwaway cluster can give the tests a database."""


@dataclasses.dataclass(frozen=True)
class TestDatabase:
    """A database made for a test: its `name`, libpq `url` and `conninfo` (``dbname host port user``, plus
    ``password`` only if the server URL had one), and the maintenance `server_url` it is dropped through."""
    __test__ = False  # the name starts with "Test": stop pytest collecting it in modules that import it
    name: str
    # Out of the repr: pytest prints failing locals, and a password must not end up in a CI log.
    url: str = dataclasses.field(repr=False)
    conninfo: str = dataclasses.field(repr=False)
    server_url: str = dataclasses.field(repr=False)


def redact(text: str, url: str) -> str:
    """Returns `text` with the password of `url`, raw or percent-encoded, replaced by ``***``."""
    with contextlib.suppress(psycopg.ProgrammingError):  # unparseable URL: then libpq cannot have used it either
        if password := conninfo_to_dict(url).get("password"):
            for form in {password, quote(password, safe="")}:
                text = text.replace(form, "***")
    return text


def find_server_binaries(binaries_glob: str = BINARIES_GLOB) -> Path | None:
    """The directory matching `binaries_glob` with executable ``initdb`` and ``pg_ctl`` and the highest version
    (compared as numbers, 9.6 < 15, read from the name of the directory that holds ``bin``)."""
    found = [p for p in map(Path, glob.glob(binaries_glob)) if all(os.access(p / t, os.X_OK) for t in TOOLS)]
    return max(found, key=lambda p: ([int(n) for n in re.findall(r"\d+", p.parent.name)], str(p)), default=None)


class ThrowawayCluster:
    """A private cluster in a temporary `folder` (data, log, unix socket): trust auth, listening on 127.0.0.1:`port`
    only; `url` names its ``postgres`` maintenance database. `stop` shuts it down and removes the folder."""
    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir, self.port, self.url, self._running, self._runner, owner = bin_dir, 0, "", False, [], None
        if os.geteuid() == 0:
            owner = next((u for u in pwd.getpwall() if u.pw_name == SERVER_OS_USER), None)
            if owner is None or not shutil.which("runuser"):
                raise PostgresUnavailable(f"as root, which PostgreSQL refuses, but no {SERVER_OS_USER} user or runuser")
            self._runner = ["runuser", "-u", SERVER_OS_USER, "--"]
        # As root in /tmp: the server user may not be able to enter $TMPDIR (e.g. one under /root).
        self.folder = Path(tempfile.mkdtemp(prefix="afas-pg-", dir="/tmp" if owner else None))
        if owner:
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        # cwd: the server user may not be allowed into the caller's directory (/root, say).
        return subprocess.run([*self._runner, str(self.bin_dir / tool), *args], cwd=self.folder,
                              capture_output=True, text=True, timeout=60, check=False)

    def start(self) -> ThrowawayCluster:
        """Runs initdb and starts the server; on failure cleans up and raises `PostgresUnavailable`."""
        atexit.register(self.stop)  # even when a caller forgets, no server outlives the Python process
        data, log = self.folder / "data", self.folder / "server.log"
        try:
            # C locale: LANG may name an uninstalled locale (C alone means SQL_ASCII). -N: no fsync, data is throwaway.
            done = self._run("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "--no-locale", "-E", "UTF8",
                             "-N")
            if done.returncode:
                raise PostgresUnavailable(f"initdb failed: {(done.stderr or done.stdout).strip()}")
            with open(data / "postgresql.conf", "a") as conf:
                # Loopback only, so nothing else reaches a trust-auth server; throwaway data needs no durability.
                conf.write(f"\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.folder}'\n"
                           "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
            for _attempt in range(3):  # another process may take the free port between probing and binding
                self.port = free_port(0)
                self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
                # -l: the daemonised server must not inherit our stdout pipe, or subprocess.run would never return.
                done = self._run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-o", f"-p {self.port}", "start")
                if done.returncode == 0:
                    self._running = True
                    return self
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            raise PostgresUnavailable(f"pg_ctl start failed: {(done.stderr or done.stdout).strip()}\n{tail}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stops the server (fast: open connections are dropped) and removes the folder; safe to repeat."""
        if self._running:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
            self._running = False
        shutil.rmtree(self.folder, ignore_errors=True)
        atexit.unregister(self.stop)


def start_throwaway_cluster(binaries_glob: str = BINARIES_GLOB) -> ThrowawayCluster:
    """Starts a `ThrowawayCluster` from the newest binaries matching `binaries_glob`; raises `PostgresUnavailable`
    when there are none, they fail, or (as root) there is no ``postgres`` OS user to run them as."""
    if (bin_dir := find_server_binaries(binaries_glob)) is None:
        raise PostgresUnavailable(f"no directory with server binaries (initdb, pg_ctl) matches {binaries_glob}")
    return ThrowawayCluster(bin_dir).start()


def resolve_server(binaries_glob: str = BINARIES_GLOB) -> str:
    """The maintenance URL to use: ``AFAS_TEST_POSTGRES_URL`` (default `DEFAULT_URL`) if it accepts a connection,
    else this process's throwaway cluster (started on first need, stopped at exit).

    Raises:
        PostgresUnavailable: Neither works; the message says what was tried, why it failed and how to fix it.
    """
    url = os.environ.get(ENV_VAR) or DEFAULT_URL
    try:
        psycopg.connect(url, **CONNECT).close()
        return url
    except psycopg.OperationalError as exc:
        why = redact(str(exc).strip(), url)
    tried = f"{ENV_VAR}={redact(url, url)}" + ("" if os.environ.get(ENV_VAR) else " (unset, so the default)")
    if binaries_glob not in _clusters:
        try:
            _clusters[binaries_glob] = start_throwaway_cluster(binaries_glob)
        except PostgresUnavailable as exc:
            raise PostgresUnavailable(
                f"No PostgreSQL server for the tests. Tried:\n  1. {tried}: {why}\n  2. a throwaway cluster from the "
                f"server binaries in {binaries_glob}: {exc}\nFix: set {ENV_VAR} to the libpq URL of a running server "
                f"whose user may create databases (e.g. {DEFAULT_URL}),\nor install the PostgreSQL server binaries "
                "(e.g. `apt-get install postgresql`) so a throwaway cluster can be started.") from None
    if os.environ.get(ENV_VAR):  # the user chose that server: say so rather than quietly test elsewhere
        warnings.warn(f"{tried} is not usable ({why}); using a throwaway cluster instead", stacklevel=2)
    return _clusters[binaries_glob].url


def create_database(server_url: str, prefix: str = "afas_test") -> TestDatabase:
    """Creates a uniquely named, empty database through the maintenance database at `server_url`."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}".lower()
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):  # longer names get truncated: `name` would lie
        raise ValueError(f"prefix {prefix!r} gives an invalid or over-long database name {name!r}")
    with psycopg.connect(server_url, **CONNECT) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        # Host, port and user as actually connected, so the conninfo is complete even for a terse URL.
        params = {"dbname": name, "host": conn.info.host, "port": str(conn.info.port), "user": conn.info.user}
    given = conninfo_to_dict(server_url)
    params.update({k: v for k, v in given.items() if k == "password"})  # only a password the URL itself carries
    extra = {k: v for k, v in given.items() if k not in params}  # sslmode and the like
    auth = quote(params["user"], safe="") + (f":{quote(params['password'], safe='')}" if "password" in params else "")
    host = f"[{params['host']}]" if ":" in params["host"] else quote(params["host"], safe="")  # IPv6; socket dirs
    url = f"postgresql://{auth}@{host}:{params['port']}/{name}" + (f"?{urlencode(extra)}" if extra else "")
    return TestDatabase(name, url, make_conninfo("", **params, **extra), server_url)


def drop_database(db: TestDatabase) -> None:
    """Drops `db`, disconnecting whatever a test left connected (``WITH (FORCE)`` needs PostgreSQL 13+)."""
    with psycopg.connect(db.server_url, **CONNECT) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db.name)))


@contextlib.contextmanager
def fresh_database(prefix: str = "afas_test", *, server_url: str | None = None,
                   binaries_glob: str = BINARIES_GLOB) -> Iterator[TestDatabase]:
    """Yields a new, empty database and drops it however the block ends; `server_url` defaults to
    `resolve_server(binaries_glob)`. Raises `PostgresUnavailable` when no server can be used or started."""
    db = create_database(server_url or resolve_server(binaries_glob), prefix)
    try:
        yield db
    finally:
        drop_database(db)
