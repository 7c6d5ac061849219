import datetime as dt

import pytest

from pipelines.partitions import AdministrationRef, PeriodRef, SliceRef, parse_slice, period_keys
from pipelines.schedules import open_and_previous_period


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
    with pytest.raises(ValueError, match="period partition key"):
        PeriodRef.parse(bad)


def test_period_keys_cover_opening_and_thirteenth_period():
    keys = period_keys(2025, 2026)
    assert keys[0] == "2025-00" and keys[13] == "2025-13" and keys[-1] == "2026-13" and len(keys) == 28


def test_open_and_previous_period():
    assert open_and_previous_period(dt.date(2026, 1, 5)) == [PeriodRef(2025, 12), PeriodRef(2026, 1)]
    assert open_and_previous_period(dt.date(2026, 11, 24)) == [PeriodRef(2026, 10), PeriodRef(2026, 11)]
