"""The simulator's clock and the integer time units the generator computes in.

AFAS shows Amsterdam local time without an offset, so the whole simulator works in *naive*
datetimes that mean Amsterdam local time. Summer time shows in them as AFAS's clock shows it: no
time in the hour the spring change skips (`off_the_spring_gap`), and the autumn's repeated hour
(02:00–03:00 on the last Sunday of October) twice as busy — it holds two real hours, which print
the same (the generator books the night's automatic entries in it, see `ledger.bulk`). The generator keeps times as integers (microseconds or
days since 1970-01-01, naive) so that a million rows cost one numpy array, not a million objects.
"""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
from catalog.clock import AMSTERDAM

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


def summer_time_changes(year: int) -> tuple[dt.date, dt.date]:
    """The last Sundays of March (clocks 02:00 → 03:00) and October (03:00 → 02:00) in Amsterdam."""
    def last_sunday(month: int) -> dt.date:
        day = dt.date(year, month, 31)
        return day - dt.timedelta(days=(day.weekday() + 1) % 7)

    return last_sunday(3), last_sunday(10)


def off_the_spring_gap(us: np.ndarray) -> np.ndarray:
    """Local times that fall in the hour the spring change skips (02:00–03:00) moved an hour on.

    AFAS's clock never shows such a time: a booking made in that real hour reads 03:xx. The generator
    draws times on the naive local clock, so it would produce some; this is the one place they are
    put right (every generated datetime column goes through `ledger.frames.datetimes`).
    """
    us = np.asarray(us, dtype=np.int64)
    if us.size == 0:
        return us
    first, last = from_us(int(us.min())).year, from_us(int(us.max())).year
    out = us
    for year in range(first, last + 1):
        spring, _ = summer_time_changes(year)
        start = to_us(dt.datetime.combine(spring, dt.time(2)))
        gap = (out >= start) & (out < start + 3_600 * US_PER_SECOND)
        if gap.any():
            out = np.where(gap, out + 3_600 * US_PER_SECOND, out)
    return out


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
