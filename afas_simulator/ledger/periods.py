"""The fiscal calendar: which dates belong to which AFAS period.

Calendar-month administrations have periods 1-12. Four-weekly administrations have 13 periods of 28
days starting on 1 January; period 13 also takes the one or two days left at the end of the year.
Period 0 holds opening balances and is dated 1 January.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from catalog.periods import OPENING_PERIOD

from .clock import to_days
_FOUR_WEEKS = 28


def period_count(four_weekly: bool) -> int:
    """Regular periods in a fiscal year: 12 (months) or 13 (four weeks)."""
    return 13 if four_weekly else 12


def period_bounds(year: int, period: int, four_weekly: bool) -> tuple[dt.date, dt.date]:
    """First and last date (inclusive) of a period; period 0 is 1 January only.

    Raises:
        ValueError: for a period outside 0..12 (0..13 when four-weekly).
    """
    last = period_count(four_weekly)
    if not 0 <= period <= last:
        raise ValueError(f"period {period} does not exist (0..{last})")
    if period == OPENING_PERIOD:
        day = dt.date(year, 1, 1)
        return day, day
    if four_weekly:
        start = dt.date(year, 1, 1) + dt.timedelta(days=_FOUR_WEEKS * (period - 1))
        end = dt.date(year, 12, 31) if period == last else start + dt.timedelta(days=_FOUR_WEEKS - 1)
        return start, end
    start = dt.date(year, period, 1)
    end = dt.date(year + 1, 1, 1) if period == 12 else dt.date(year, period + 1, 1)
    return start, end - dt.timedelta(days=1)


def period_of(day: dt.date, four_weekly: bool) -> int:
    """The regular period (1..12 or 1..13) a date falls in; never 0."""
    if four_weekly:
        return min(13, (day.timetuple().tm_yday - 1) // _FOUR_WEEKS + 1)
    return day.month


def periods_of_days(days: np.ndarray, four_weekly: bool) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised `period_of` for days since 1970-01-01: (fiscal years, periods) as int arrays."""
    d = np.asarray(days, dtype="int64").astype("datetime64[D]")
    year_start = d.astype("datetime64[Y]")
    years = year_start.astype(np.int64) + 1970
    if four_weekly:
        doy = (d - year_start.astype("datetime64[D]")).astype(np.int64)
        periods = np.minimum(13, doy // _FOUR_WEEKS + 1)
    else:
        periods = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return years, periods


def bounds_days(year: int, period: int, four_weekly: bool) -> tuple[int, int]:
    """`period_bounds` as days since 1970-01-01."""
    start, end = period_bounds(year, period, four_weekly)
    return to_days(start), to_days(end)
