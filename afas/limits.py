"""At most N AFAS calls in flight per environment: across every client in this process
(`InFlightLimiter`), across the processes of one machine (`FileSlots`, lock files) and across
machines (`PostgresSlots`, PostgreSQL advisory locks).

AFAS allows about 5 simultaneous calls when splitting a load and fails beyond 8. Several clients,
threads, runs and workers may talk to the same environment at once, so the cap belongs to the
environment, not to a client: `limiter_for` hands out one shared limiter per environment key, and a
shared slot is taken on top of it. Waiting for a shared slot is bounded: a paused or hung holder
makes waiters fail with `CallSlotsBusyError`, naming what to do, instead of blocking them forever.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator

from afas.errors import CallSlotsBusyError, ConfigurationError

#: How long a call waits for a shared slot before it fails (AFAS_SLOT_WAIT_S overrides it per run).
DEFAULT_SLOT_WAIT_S = 600.0


class InFlightLimiter:
    """A counting gate: at most `capacity` calls of an environment in flight in this process.

    One limiter serves every client of an environment; when a client is created with another cap, the
    newest setting holds for all of them (never more than AFAS's hard maximum of 8).
    """

    def __init__(self, capacity: int):
        self._capacity = capacity
        self._in_flight = 0
        self._cond = threading.Condition()

    @property
    def capacity(self) -> int:
        return self._capacity

    def set_capacity(self, capacity: int) -> None:
        with self._cond:
            self._capacity = capacity
            self._cond.notify_all()

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the environment's slots for the duration of a call."""
        with self._cond:
            while self._in_flight >= self._capacity:
                self._cond.wait()
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._cond.notify()


_registry: dict[str, InFlightLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(environment_key: str, capacity: int) -> InFlightLimiter:
    """The process-wide limiter of an environment (e.g. its base URL), created on first use."""
    with _registry_lock:
        limiter = _registry.get(environment_key)
        if limiter is None:
            limiter = _registry[environment_key] = InFlightLimiter(capacity)
        else:
            limiter.set_capacity(capacity)
        return limiter


def _poll_until(
    wait_s: float, try_once: Callable[[], object | None], *, sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> object | None:
    """Call `try_once` until it returns something, backing off from 2 ms to 50 ms; None after `wait_s`.

    Polling, not blocking: a slot is any one of N locks, and neither flock nor PostgreSQL can wait
    for "any of these". AFAS calls take hundreds of milliseconds, so a few milliseconds cost nothing.
    `sleep` and `clock` are injectable so tests can record the waits instead of waiting.
    """
    deadline = clock() + wait_s
    delay = 0.002
    while True:
        got = try_once()
        if got is not None:
            return got
        if clock() >= deadline:
            return None
        sleep(min(delay, max(0.0, deadline - clock())))
        delay = min(delay * 2, 0.05)


class FileSlots:
    """The cap across the processes of one machine (Dagster runs each step in its own process).

    Each slot is a lock file; holding `flock` on one is holding the slot. The kernel releases the
    lock when a process dies, so a crashed run never leaks a slot.

    Args:
        directory: a folder shared by every process that talks to this environment.
        environment: the environment's name, for messages.
        capacity: slots, 1..8.
        wait_s: the longest a call waits for a slot.

    `sleep` and `clock` (time.sleep, time.monotonic) are attributes tests may replace to record the waits.
    """

    sleep: Callable[[float], None] = staticmethod(time.sleep)
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, directory: "os.PathLike[str] | str", environment: str, capacity: int, wait_s: float):
        self._dir = os.fspath(directory)
        self._environment, self._capacity, self._wait_s = environment, capacity, wait_s
        os.makedirs(self._dir, exist_ok=True)

    def _try_any(self) -> int | None:
        for i in range(self._capacity):
            fd = os.open(os.path.join(self._dir, f"slot-{i}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return fd
        return None

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        fd = _poll_until(self._wait_s, self._try_any, sleep=self.sleep, clock=self.clock)
        if fd is None:
            raise CallSlotsBusyError(self._environment, self._capacity, self._wait_s, f"lock files in {self._dir}")
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


#: PostgreSQL ends a session of ours that has sent nothing for this long, which releases its slots.
#: Longer than any AFAS call can hold a slot (the client's read time-out, 930 s), so only a paused
#: or hung process loses its slots this way; a process that died loses them at once with its connection.
PG_IDLE_SESSION_TIMEOUT_MS = 20 * 60 * 1000


class _PostgresSession:
    """One autocommit connection per process and database, shared by every environment's slots.

    Advisory locks belong to a session and a session may take the same lock twice, so the keys this
    process holds are tracked here: a thread never "gets" a slot another thread of ours holds.
    """

    def __init__(self, conninfo: str):
        self._conninfo = conninfo
        self._connection = None
        self._held: set[tuple[int, int]] = set()
        self._lock = threading.Lock()

    def _connect(self):
        import psycopg

        if self._connection is None or self._connection.closed:
            try:
                self._connection = psycopg.connect(
                    self._conninfo, autocommit=True, application_name="afas-pipeline call slots",
                    # The server notices a vanished machine within about 90 s (keepalives) and a
                    # paused process after PG_IDLE_SESSION_TIMEOUT_MS.
                    options=f"-c idle_session_timeout={PG_IDLE_SESSION_TIMEOUT_MS} -c tcp_keepalives_idle=60 "
                            "-c tcp_keepalives_interval=10 -c tcp_keepalives_count=3",
                )
            except psycopg.Error as error:
                raise ConfigurationError(
                    "The PostgreSQL database that holds the AFAS call slots (AFAS_CALL_SLOTS, or the lake's "
                    f"catalog) cannot be reached: {_without_password(str(error), self._conninfo)}"
                ) from None
            self._held.clear()  # a new session holds nothing; the old one's locks ended with it
        return self._connection

    def try_any(self, classid: int, capacity: int) -> tuple[int, int] | None:
        import psycopg

        with self._lock:
            connection = self._connect()
            for objid in range(capacity):
                if (classid, objid) in self._held:
                    continue
                try:
                    (got,) = connection.execute("SELECT pg_try_advisory_lock(%s, %s)", [classid, objid]).fetchone()
                except psycopg.OperationalError:  # the server ended our session: reconnect next try
                    connection.close()
                    return None
                if got:
                    self._held.add((classid, objid))
                    return classid, objid
            return None

    def release(self, key: tuple[int, int]) -> None:
        import psycopg

        with self._lock:
            if key not in self._held:  # our session was replaced since: the lock went with it
                return
            self._held.discard(key)
            try:
                self._connection.execute("SELECT pg_advisory_unlock(%s, %s)", list(key))
            except psycopg.OperationalError:
                self._connection.close()


_sessions: dict[str, _PostgresSession] = {}
_sessions_lock = threading.Lock()


def _session_for(conninfo: str) -> _PostgresSession:
    with _sessions_lock:
        session = _sessions.get(conninfo)
        if session is None:
            session = _sessions[conninfo] = _PostgresSession(conninfo)
        return session


def _without_password(message: str, conninfo: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    try:
        password = conninfo_to_dict(conninfo).get("password")
    except Exception:  # an unparsable conninfo: say nothing of it
        return "the connection settings could not be parsed"
    return message.replace(str(password), "***") if password else message


class PostgresSlots:
    """The cap across machines: slot i of an environment is PostgreSQL advisory lock (hash(env), i).

    Every worker that talks to AFAS connects to the same database (by default the lake's PostgreSQL
    catalog), so the cap holds wherever a step runs. The two-number form of advisory locks is a key
    space of its own, apart from the lake's slice locks; two environments whose names hash alike
    (about 1 in 10^5 at 300 environments) would share their slots, which only lowers their cap.

    Args:
        conninfo: libpq conninfo or URL of the shared database.
        environment_key: identifies the environment across machines (its base URL).
        environment: the environment's name, for messages.
        capacity: slots, 1..8.
        wait_s: the longest a call waits for a slot.

    `sleep` and `clock` (time.sleep, time.monotonic) are attributes tests may replace to record the waits.
    """

    sleep: Callable[[float], None] = staticmethod(time.sleep)
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(self, conninfo: str, environment_key: str, environment: str, capacity: int, wait_s: float):
        self._session = _session_for(conninfo)
        self._classid = int.from_bytes(hashlib.sha256(environment_key.encode()).digest()[:4], "big", signed=True)
        self._environment, self._capacity, self._wait_s = environment, capacity, wait_s

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        key = _poll_until(self._wait_s, lambda: self._session.try_any(self._classid, self._capacity),
                          sleep=self.sleep, clock=self.clock)
        if key is None:
            raise CallSlotsBusyError(self._environment, self._capacity, self._wait_s, "PostgreSQL advisory locks")
        try:
            yield
        finally:
            self._session.release(key)


def shared_slots_for(
    *, directory: "os.PathLike[str] | str | None", postgres: str | None, environment_key: str, environment: str,
    capacity: int, wait_s: float,
) -> FileSlots | PostgresSlots | None:
    """The slots shared beyond this process: in PostgreSQL if given, else lock files under `directory`."""
    if postgres:
        return PostgresSlots(postgres, environment_key, environment, capacity, wait_s)
    if directory:
        digest = hashlib.sha1(environment_key.encode("utf-8")).hexdigest()[:16]
        return FileSlots(os.path.join(os.fspath(directory), digest), environment, capacity, wait_s)
    return None
