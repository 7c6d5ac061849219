"""Partition keys, built and parsed here and nowhere else.

- administration (dynamic): `<environment>-<administration id>`, e.g. `o12345-1` — unique across AFAS
  environments (administration ids repeat between them) and readable in the UI.
- period (static): `YYYY-PP`, PP 00..13 — AFAS periods are not calendar months: 00 holds opening
  balances, 13 exists in four-weekly years.
- administration × period (multi): Dagster writes it `<administration>|<period>`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

import dagster as dg

ADMINISTRATION_PARTITIONS_NAME = "afas_administration"  # dynamic partition names are global: prefixed
FIRST_YEAR_VARIABLE = "AFAS_FIRST_YEAR"
DEFAULT_FIRST_YEAR = 2020
PERIODS = range(0, 14)

_ADMIN_KEY = re.compile(r"^(?P<env>[a-z0-9][a-z0-9_-]*)-(?P<admin>\d+)$")
_PERIOD_KEY = re.compile(r"^(?P<year>\d{4})-(?P<period>\d{2})$")


@dataclass(frozen=True, order=True)
class AdministrationRef:
    """An administration of a configured environment."""

    environment: str
    administration_id: int

    @property
    def key(self) -> str:
        return f"{self.environment}-{self.administration_id}"

    @classmethod
    def parse(cls, key: str) -> "AdministrationRef":
        m = _ADMIN_KEY.match(key)
        if m is None:
            raise ValueError(f"{key!r} is not an administration partition key (<environment>-<id>, e.g. o12345-1)")
        return cls(m.group("env"), int(m.group("admin")))


@dataclass(frozen=True, order=True)
class PeriodRef:
    """A fiscal year and period."""

    year: int
    period: int

    @property
    def key(self) -> str:
        return f"{self.year:04d}-{self.period:02d}"

    @classmethod
    def parse(cls, key: str) -> "PeriodRef":
        m = _PERIOD_KEY.match(key)
        if m is None or int(m.group("period")) not in PERIODS:
            raise ValueError(f"{key!r} is not a period partition key (YYYY-PP, PP 00..13)")
        return cls(int(m.group("year")), int(m.group("period")))


@dataclass(frozen=True, order=True)
class SliceRef:
    """One administration × period partition."""

    administration: AdministrationRef
    period: PeriodRef

    @property
    def key(self) -> str:
        return dg.MultiPartitionKey({"administration": self.administration.key, "period": self.period.key})


def first_year() -> int:
    return int(os.environ.get(FIRST_YEAR_VARIABLE) or DEFAULT_FIRST_YEAR)


def period_keys(start: int | None = None, end: int | None = None) -> list[str]:
    """Every period key from `start` (AFAS_FIRST_YEAR, default 2020) through next year."""
    start = start or first_year()
    end = end or dt.date.today().year + 1
    return [PeriodRef(y, p).key for y in range(start, end + 1) for p in PERIODS]


administration_partitions = dg.DynamicPartitionsDefinition(name=ADMINISTRATION_PARTITIONS_NAME)
period_partitions = dg.StaticPartitionsDefinition(period_keys())
administration_period_partitions = dg.MultiPartitionsDefinition(
    {"administration": administration_partitions, "period": period_partitions}
)


def parse_slice(key: str | dg.MultiPartitionKey) -> SliceRef:
    """`o12345-1|2025-03` (or a MultiPartitionKey) → SliceRef."""
    if isinstance(key, dg.MultiPartitionKey):
        dims = key.keys_by_dimension
        return SliceRef(AdministrationRef.parse(dims["administration"]), PeriodRef.parse(dims["period"]))
    admin, _, period = key.partition("|")
    return SliceRef(AdministrationRef.parse(admin), PeriodRef.parse(period))


def loaded_period_keys() -> list[str]:
    """Period keys up to this year (next year's partitions exist for the schedule but hold nothing yet)."""
    return [k for k in period_keys() if int(k[:4]) <= dt.date.today().year]


#: The run tag that names the AFAS environment a run loads: the run queue limits runs per value
#: (deploy/dagster.yaml), and a user filters runs by it in the UI.
ENVIRONMENT_TAG = "afas/environment"


def environment_tags(environment: str) -> dict[str, str]:
    return {ENVIRONMENT_TAG: environment}


def range_tags(first: str, last: str) -> dict[str, str]:
    """Tags for one run over a range of partition keys (how a UI backfill runs it too)."""
    return {"dagster/asset_partition_range_start": str(first), "dagster/asset_partition_range_end": str(last)}


def period_range_tags(admin: AdministrationRef, first: PeriodRef, last: PeriodRef) -> dict[str, str]:
    """Tags for one run over a range of an administration's periods."""
    return range_tags(SliceRef(admin, first).key, SliceRef(admin, last).key)


def history_range_tags(admin: AdministrationRef) -> dict[str, str]:
    """Tags for one run over every period of an administration up to this year."""
    periods = loaded_period_keys()
    return period_range_tags(admin, PeriodRef.parse(periods[0]), PeriodRef.parse(periods[-1]))
