"""What a change set reloads (the rules the change sensor only turns into runs)."""

from __future__ import annotations

import datetime as dt

from catalog.slices import Slice
from incremental import BalanceRange, ChangeSet, plan_reloads

ENV = "o12345"

T = [dt.datetime(2026, 3, d, 12, tzinfo=dt.timezone.utc) for d in range(1, 6)]


def test_a_change_reloads_its_period_and_the_later_balances_of_its_year():
    plan = plan_reloads(ChangeSet(period_slices={Slice(ENV, 1, 2026, 5): T[1], Slice(ENV, 1, 2026, 3): T[0], Slice(ENV, 2, 2025, 13): T[2]}))
    assert list(plan.periods) == [Slice(ENV, 1, 2026, 3), Slice(ENV, 1, 2026, 5), Slice(ENV, 2, 2025, 13)]
    # From the earliest change of the year on, stamped with the latest; nothing after period 13.
    assert plan.later_balances == [BalanceRange(1, 2026, 4, 13, T[1])]


def test_a_renamed_account_reloads_every_periods_values_instead_of_later_balances():
    plan = plan_reloads(ChangeSet(period_slices={Slice(ENV, 1, 2026, 3): T[0]}, renamed_accounts={1: T[3]}))
    assert plan.later_balances == [] and plan.descriptions == {1: T[3]} and list(plan.periods) == [Slice(ENV, 1, 2026, 3)]


def test_master_data_new_administrations_and_nothing():
    plan = plan_reloads(ChangeSet(administrations={2: T[4]}, new_administrations=[9, 4]))
    assert plan.administrations == {2: T[4]} and plan.new_administrations == [4, 9] and not plan.empty
    assert plan_reloads(ChangeSet()).empty
