"""At most N AFAS calls in flight per environment, across every client in this process and,
with `SharedSlots`, across processes.

AFAS allows about 5 simultaneous calls when splitting a load and fails beyond 8. Several clients,
threads and slices may talk to the same environment at once, so the cap belongs to the
environment, not to a client: `limiter_for` hands out one shared limiter per environment key.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator


class InFlightLimiter:
    """A counting gate with an observable high-water mark.

    One limiter serves every client of an environment; when a client is created with another cap, the
    newest setting holds for all of them (never more than AFAS's hard maximum of 8).
    """

    def __init__(self, capacity: int):
        self._capacity = capacity
        self._in_flight = 0
        self._max_observed = 0
        self._cond = threading.Condition()

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def max_observed(self) -> int:
        return self._max_observed

    def set_capacity(self, capacity: int) -> None:
        with self._cond:
            self._capacity = capacity
            self._cond.notify_all()

    def reset_observed(self) -> None:
        with self._cond:
            self._max_observed = self._in_flight

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the environment's slots for the duration of a call."""
        with self._cond:
            while self._in_flight >= self._capacity:
                self._cond.wait()
            self._in_flight += 1
            self._max_observed = max(self._max_observed, self._in_flight)
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


class SharedSlots:
    """The same cap across processes (Dagster runs each step in its own process).

    Each slot is a lock file; holding `flock` on one is holding the slot. The kernel releases the
    lock when a process dies, so a crashed run never leaks a slot. Waiters poll briefly: AFAS calls
    take hundreds of milliseconds, so a few milliseconds of polling cost nothing.

    Args:
        directory: a folder shared by every process that talks to this environment.
        capacity: slots, 1..8.
    """

    def __init__(self, directory: "os.PathLike[str] | str", capacity: int):
        self._dir = os.fspath(directory)
        self._capacity = capacity
        os.makedirs(self._dir, exist_ok=True)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        delay = 0.002
        while True:
            for i in range(self._capacity):
                fd = os.open(os.path.join(self._dir, f"slot-{i}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
                return
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


def shared_slots_for(directory: "os.PathLike[str] | str", environment_key: str, capacity: int) -> SharedSlots:
    """The cross-process slots of an environment under `directory`."""
    digest = hashlib.sha1(environment_key.encode("utf-8")).hexdigest()[:16]
    return SharedSlots(os.path.join(os.fspath(directory), digest), capacity)
