"""AFAS fiscal periods: which exist, how they are written, which can hold bookings on a day.

AFAS periods are not calendar months: period 0 holds opening balances, 1-12 are months (or
four-week periods), and 13 exists in four-weekly years. A period is written `YYYY-PP` (PP 00..13),
which is also its Dagster partition key.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from catalog.redaction import shown

OPENING_PERIOD = 0
LAST_PERIOD = 13
#: Every period number a fiscal year may have.
PERIODS = range(OPENING_PERIOD, LAST_PERIOD + 1)

_KEY = re.compile(r"^(?P<year>\d{4})-(?P<period>\d{2})$")


@dataclass(frozen=True, order=True)
class PeriodRef:
    """A fiscal year and period."""

    year: int
    period: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.period:02d}"

    @classmethod
    def parse(cls, key: str) -> PeriodRef:
        m = _KEY.match(key)
        if m is None or int(m.group("period")) not in PERIODS:
            raise ValueError(f"{shown(key, r'[0-9-]{1,10}')} is not a period (YYYY-PP, PP 00..13)")
        return cls(int(m.group("year")), int(m.group("period")))


def current_period(day: dt.date) -> PeriodRef:
    """The latest period that can hold bookings on `day`: its calendar month, or its four-weekly
    period (28 days each, 13 a year) where that is later — in late December, period 13."""
    four_weekly = min(LAST_PERIOD, math.ceil(day.timetuple().tm_yday / 28))
    return PeriodRef(day.year, max(day.month, four_weekly))


def periods_through(first_year: int, day: dt.date) -> list[PeriodRef]:
    """Every period from `first_year`'s opening through `day`'s current period, in time order."""
    last = current_period(day)
    return [PeriodRef(y, p) for y in range(first_year, last.year + 1) for p in PERIODS if PeriodRef(y, p) <= last]
