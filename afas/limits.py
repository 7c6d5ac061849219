"""At most N AFAS calls in flight per environment, across every client in this process.

AFAS allows about 5 simultaneous calls when splitting a load and fails beyond 8. Several clients,
threads and slices may talk to the same environment at once, so the cap belongs to the
environment, not to a client: `limiter_for` hands out one shared limiter per environment key.
"""

from __future__ import annotations

import contextlib
import threading
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
