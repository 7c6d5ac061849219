"""The simulator's clock and the integer time units the generator computes in.

AFAS shows Amsterdam local time without an offset, so the whole simulator works in *naive*
datetimes that mean Amsterdam local time. The generator keeps times as integers (microseconds or
days since 1970-01-01, naive) so that a million rows cost one numpy array, not a million objects.
"""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
EPOCH = dt.datetime(1970, 1, 1)
EPOCH_DATE = EPOCH.date()
US_PER_SECOND = 1_000_000
US_PER_DAY = 86_400 * US_PER_SECOND


def to_local_naive(when: dt.datetime) -> dt.datetime:
    """Amsterdam local time without tzinfo; an aware datetime is converted first."""
    if when.tzinfo is not None:
        return when.astimezone(AMSTERDAM).replace(tzinfo=None)
    return when


def to_us(when: dt.datetime) -> int:
    """Microseconds since 1970-01-01 00:00 (naive, Amsterdam local)."""
    delta = to_local_naive(when) - EPOCH
    return (delta.days * 86_400 + delta.seconds) * US_PER_SECOND + delta.microseconds


def from_us(us: int) -> dt.datetime:
    """Inverse of `to_us`."""
    return EPOCH + dt.timedelta(microseconds=int(us))


def to_days(day: dt.date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH_DATE).days


def from_days(days: int) -> dt.date:
    """Inverse of `to_days`."""
    return EPOCH_DATE + dt.timedelta(days=int(days))


class SimClock:
    """A manual, thread-safe clock: time only moves when a scenario advances it.

    Args:
        start: the initial "now" (naive = Amsterdam local; an aware datetime is converted).

    Example:
        >>> clock = SimClock(dt.datetime(2026, 11, 16, 9, 0))
        >>> clock.advance(1.5)
        datetime.datetime(2026, 11, 16, 9, 0, 1, 500000)
    """

    def __init__(self, start: dt.datetime) -> None:
        self._now = to_local_naive(start)
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        """The current simulated time (naive, Amsterdam local, microseconds kept)."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> dt.datetime:
        """Move time forward by `seconds` (≥ 0, fractions allowed) and return the new now."""
        if seconds < 0:
            raise ValueError(f"the clock only moves forward, got {seconds} s")
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)
            return self._now

    def set(self, when: dt.datetime) -> dt.datetime:
        """Jump to `when`, which must not lie before the current now."""
        when = to_local_naive(when)
        with self._lock:
            if when < self._now:
                raise ValueError(f"the clock only moves forward: {when} is before {self._now}")
            self._now = when
            return self._now
