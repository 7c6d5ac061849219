import datetime as dt

import pytest

import dagster as dg

from assets.partitions import (
    AdministrationRef,
    PeriodRef,
    SliceRef,
    add_partitions,
    administration_period_partitions,
    parse_slice,
    period_keys,
    period_partition_changes,
)
from catalog.periods import current_period
from pipelines.schedules import open_and_previous_period

pytestmark = pytest.mark.usefixtures("live_defs_state_storage")


def test_keys_round_trip():
    ref = SliceRef(AdministrationRef("klant-bakker", 12), PeriodRef(2025, 0))
    assert str(ref.key) == "klant-bakker-12|2025-00"
    assert parse_slice(str(ref.key)) == ref
    assert parse_slice(ref.key) == ref


@pytest.mark.parametrize("bad", ["o12345", "o12345-x", "O12345-1", "-1"])
def test_bad_administration_keys(bad):
    with pytest.raises(ValueError, match="administration partition key"):
        AdministrationRef.parse(bad)


@pytest.mark.parametrize("bad", ["2025-14", "2025-1", "25-01"])
def test_bad_period_keys(bad):
    with pytest.raises(ValueError, match="is not a period"):
        PeriodRef.parse(bad)


def test_period_keys_cover_opening_and_thirteenth_period_and_stop_at_today():
    keys = period_keys(2025, until=dt.date(2026, 3, 10))
    assert keys[0] == "2025-00" and keys[13] == "2025-13" and keys[-1] == "2026-03" and len(keys) == 18


@pytest.mark.parametrize("day, period", [
    (dt.date(2026, 1, 1), PeriodRef(2026, 1)),
    (dt.date(2026, 3, 31), PeriodRef(2026, 4)),   # day 90: the fourth four-weekly period has begun
    (dt.date(2026, 12, 1), PeriodRef(2026, 12)),
    (dt.date(2026, 12, 30), PeriodRef(2026, 13)),  # four-weekly years book into 13 from day 337
])
def test_current_period_is_the_latest_that_can_hold_bookings(day, period):
    assert current_period(day) == period


def test_new_periods_are_appended_and_an_earlier_first_year_reorders(monkeypatch):
    monkeypatch.setenv("AFAS_FIRST_YEAR", "2025")
    existing = period_keys(until=dt.date(2026, 1, 20))
    assert period_partition_changes(existing, dt.date(2026, 2, 3)) == ([], ["2026-02"])
    assert period_partition_changes(existing, dt.date(2026, 1, 28)) == ([], [])
    monkeypatch.setenv("AFAS_FIRST_YEAR", "2024")
    delete, add = period_partition_changes(existing, dt.date(2026, 1, 20))
    assert delete == existing and add == period_keys(until=dt.date(2026, 1, 20)) and add[0] == "2024-00"


def test_partitions_follow_today_and_never_hold_the_future(monkeypatch):
    monkeypatch.setenv("AFAS_FIRST_YEAR", "2025")
    with dg.instance_for_test() as instance:
        add_partitions(instance, ["o12345-1"], day=dt.date(2026, 5, 2))
        add_partitions(instance, ["o12345-1", "o12345-2"], day=dt.date(2026, 6, 1))
        periods = instance.get_dynamic_partitions("afas_period")
        assert periods == period_keys(until=dt.date(2026, 6, 1)) and periods[-1] == "2026-06"
        keys = administration_period_partitions.get_partition_keys(dynamic_partitions_store=instance)
        assert len(keys) == 2 * len(periods)


def test_open_and_previous_period():
    assert open_and_previous_period(dt.date(2026, 1, 5)) == [PeriodRef(2025, 12), PeriodRef(2026, 1)]
    assert open_and_previous_period(dt.date(2026, 11, 24)) == [PeriodRef(2026, 10), PeriodRef(2026, 11)]
