"""What a set of changes reloads: the business rules, apart from the sensor that turns them into runs.

- A changed (administration, year, period) reloads that period's books.
- Period values carry the running balance through the fiscal year: a change in a period also
  reloads the period values of every later period of that year (from the earliest change on).
- A renamed account reloads the period values of every period of its administration (they carry
  the account description); that covers its later balances too.
- An administration whose master data or open items may have changed refreshes them.
- An administration AFAS has and the warehouse does not: load the administrations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from catalog.periods import LAST_PERIOD  # 13, in four-weekly years; an empty period 13 costs one call
from catalog.slices import Slice
from incremental.changes import ChangeSet


@dataclass(frozen=True)
class BalanceRange:
    """Period values of `first_period`..`last_period` of one administration's fiscal year."""

    administration_id: int
    fiscal_year: int
    first_period: int
    last_period: int
    modified: dt.datetime


@dataclass
class ReloadPlan:
    """The reloads one environment's changes call for (all keyed by AFAS administration id).

    Attributes:
        periods: a period's slice of the books → latest change: reload the period's books.
        later_balances: period values to reload because an earlier period of their year changed.
        administrations: administration → latest change: refresh master data and open items.
        descriptions: administration → latest rename: reload the period values of every period.
        new_administrations: ids to add (load the administrations).
    """

    periods: dict[Slice, dt.datetime] = field(default_factory=dict)
    later_balances: list[BalanceRange] = field(default_factory=list)
    administrations: dict[int, dt.datetime] = field(default_factory=dict)
    descriptions: dict[int, dt.datetime] = field(default_factory=dict)
    new_administrations: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.periods or self.later_balances or self.administrations or self.descriptions
                    or self.new_administrations)


def plan_reloads(changes: ChangeSet) -> ReloadPlan:
    """The reloads `changes` call for (see the module docstring for the rules)."""
    earliest: dict[tuple[int, int], tuple[int, dt.datetime]] = {}
    for changed, modified in changes.period_slices.items():
        unit, year, period = changed.administration_id, changed.fiscal_year, changed.period
        if unit in changes.renamed_accounts:
            continue  # all its period values are reloaded for the new description anyway
        current = earliest.get((unit, year))
        latest = max(modified, current[1]) if current else modified
        earliest[(unit, year)] = (min(period, current[0]) if current else period, latest)
    later = [
        BalanceRange(unit, year, period + 1, LAST_PERIOD, modified)
        for (unit, year), (period, modified) in sorted(earliest.items())
        if period < LAST_PERIOD
    ]
    return ReloadPlan(
        periods=dict(sorted(changes.period_slices.items())),
        later_balances=later,
        administrations=dict(sorted(changes.administrations.items())),
        descriptions=dict(sorted(changes.renamed_accounts.items())),
        new_administrations=sorted(changes.new_administrations),
    )
