"""What the simulator saw: requests per endpoint and connector, a request log, calls in flight.

Tests read these to prove client behaviour that is invisible in the data: that pages were ordered,
that no more than five calls ran at once, that a re-load fetched only what changed.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RequestRecord:
    """One request as the simulator answered it.

    Attributes:
        method: HTTP method.
        path: the path as sent (without the query string).
        query: the raw query string ("" when none).
        status: the HTTP status answered (0 when the connection was reset).
        endpoint: the counter key, e.g. "connectors/Visionplanner_transactions" or "metainfo".
        rows: rows returned (GetConnector pages only).
        seconds: time spent answering, including simulated latency.
        at: wall-clock time the request arrived (`time.time()`).
    """

    method: str
    path: str
    query: str
    status: int
    endpoint: str
    rows: int = 0
    seconds: float = 0.0
    at: float = 0.0


class EnvironmentStats:
    """Counters of one environment. Thread-safe: request threads write while tests read.

    Args:
        log_size: how many `RequestRecord`s to keep; older ones are dropped.
    """

    def __init__(self, log_size: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._log: deque[RequestRecord] = deque(maxlen=log_size)
        self._counts: Counter[str] = Counter()
        self._in_flight = 0
        self._max_in_flight = 0

    def enter(self) -> int:
        """Count a request as started; returns how many are in flight now, this one included."""
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            return self._in_flight

    def leave(self) -> None:
        """Count a request as finished."""
        with self._lock:
            self._in_flight -= 1

    def record(self, record: RequestRecord) -> None:
        """Log a finished request and count it under its endpoint."""
        with self._lock:
            self._log.append(record)
            self._counts[record.endpoint] += 1

    def reset(self) -> None:
        """Forget counts and the log; the maximum restarts from the calls in flight now."""
        with self._lock:
            self._log.clear()
            self._counts.clear()
            self._max_in_flight = self._in_flight

    @property
    def in_flight(self) -> int:
        """Requests being answered right now."""
        with self._lock:
            return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """The most requests seen in flight at once since the last reset."""
        with self._lock:
            return self._max_in_flight

    def count(self, endpoint: str | None = None) -> int:
        """Requests counted under `endpoint` (e.g. "connectors/Visionplanner_transactions"), or all."""
        with self._lock:
            return sum(self._counts.values()) if endpoint is None else self._counts[endpoint]

    def counts(self) -> dict[str, int]:
        """Requests per endpoint key."""
        with self._lock:
            return dict(self._counts)

    def requests(self) -> list[RequestRecord]:
        """The kept request log, oldest first."""
        with self._lock:
            return list(self._log)

    def snapshot(self) -> dict:
        """Everything as plain JSON-ready data."""
        with self._lock:
            return {
                "counts": dict(self._counts),
                "in_flight": self._in_flight,
                "max_in_flight": self._max_in_flight,
                "requests": [asdict(r) for r in self._log],
            }


class Stats:
    """Statistics of every environment, keyed by member number.

    Requests that cannot be tied to an environment (an unknown member, a wrong URL) are kept under
    the member "" so that tests can still see them.

    Args:
        log_size: requests kept per environment.
    """

    def __init__(self, log_size: int = 10_000) -> None:
        self._log_size = log_size
        self._lock = threading.Lock()
        self._by_member: dict[str, EnvironmentStats] = {}

    def environment(self, member: str) -> EnvironmentStats:
        """The statistics of one environment (created on first use)."""
        with self._lock:
            stats = self._by_member.get(member)
            if stats is None:
                stats = self._by_member[member] = EnvironmentStats(self._log_size)
            return stats

    def __getitem__(self, member: str) -> EnvironmentStats:
        return self.environment(member)

    def members(self) -> list[str]:
        """Members with statistics."""
        with self._lock:
            return sorted(self._by_member)

    def reset(self, member: str | None = None) -> None:
        """Reset one environment's statistics, or all of them."""
        for m in [member] if member is not None else self.members():
            self.environment(m).reset()

    def snapshot(self, member: str | None = None) -> dict:
        """JSON-ready statistics of one environment, or `{member: …}` for all."""
        if member is not None:
            return self.environment(member).snapshot()
        return {m: self.environment(m).snapshot() for m in self.members()}

