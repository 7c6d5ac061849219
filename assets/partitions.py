"""Partition keys, built and parsed here and nowhere else.

- administration (dynamic): `<environment>-<administration id>`, e.g. `o12345-1` — unique across AFAS
  environments (administration ids repeat between them) and readable in the UI.
- period (dynamic): `YYYY-PP`, PP 00..13 — AFAS periods are not calendar months: 00 holds opening
  balances, 13 exists in four-weekly years. Only periods that can hold bookings exist: from
  `AFAS_FIRST_YEAR` through today's period (`current_period`). The administrations sensor adds each
  new period when it begins, so the future neither shows as "missing" nor is loaded by a backfill
  of failed and missing partitions.
- administration × period (multi): Dagster writes it `<administration>|<period>`.

Partition count: administrations × periods since AFAS_FIRST_YEAR (14 a year). 300 environments × 3
administrations from 2020 is 87,300 in December 2026 (`make bench-scale` measures it), under the
100,000 Dagster documents as its ceiling per asset; it grows by 14 × administrations a year, so a
firm that size should move AFAS_FIRST_YEAR on after a few years (older periods stay in the lake).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import dagster as dg

from catalog.clock import AMSTERDAM
from catalog.periods import PeriodRef, periods_through
from catalog.slices import AdministrationRef
from settings import Settings

ADMINISTRATION_PARTITIONS_NAME = "afas_administration"  # dynamic partition names are global: prefixed
PERIOD_PARTITIONS_NAME = "afas_period"

@dataclass(frozen=True, order=True)
class SliceRef:
    """One administration × period partition."""

    administration: AdministrationRef
    period: PeriodRef

    @property
    def key(self) -> str:
        return dg.MultiPartitionKey({"administration": self.administration.key, "period": self.period.key})


def first_year() -> int:
    """`AFAS_FIRST_YEAR`, read when a sensor, schedule or command asks (never at import)."""
    return Settings.from_environment().first_year


def today() -> dt.date:
    """Today in Amsterdam, where AFAS's periods turn."""
    return dt.datetime.now(AMSTERDAM).date()


def period_keys(start: int | None = None, until: dt.date | None = None) -> list[str]:
    """Every period key from `start` (AFAS_FIRST_YEAR, default 2020) through `until`'s period (today)."""
    return [p.key for p in periods_through(start or first_year(), until or today())]


def period_partition_changes(existing: list[str], day: dt.date | None = None) -> tuple[list[str], list[str]]:
    """(to delete, to add) so that Dagster's period partitions are `period_keys()`, in time order.

    New periods are simply appended. A period earlier than the last existing one (AFAS_FIRST_YEAR
    moved back) would land at the end of Dagster's order, which is what partition ranges follow, so
    then every existing key is deleted and all are added again in order: no run or materialization is
    lost by that, Dagster keeps them by key. Periods no longer wanted are left alone.
    """
    wanted = period_keys(until=day)
    have = set(existing)
    missing = [k for k in wanted if k not in have]
    if missing and existing and missing[0] < max(existing):
        return list(existing), sorted(set(wanted) | have)
    return [], missing


administration_partitions = dg.DynamicPartitionsDefinition(name=ADMINISTRATION_PARTITIONS_NAME)
period_partitions = dg.DynamicPartitionsDefinition(name=PERIOD_PARTITIONS_NAME)
administration_period_partitions = dg.MultiPartitionsDefinition(
    {"administration": administration_partitions, "period": period_partitions}
)


def add_partitions(instance: dg.DagsterInstance, administration_keys: list[str], day: dt.date | None = None) -> None:
    """Adds administrations and brings the periods up to date, as the administrations sensor does
    (for the demo, scripts and tests that load without the daemon)."""
    known = set(instance.get_dynamic_partitions(ADMINISTRATION_PARTITIONS_NAME))
    new = [k for k in administration_keys if k not in known]
    if new:
        instance.add_dynamic_partitions(ADMINISTRATION_PARTITIONS_NAME, new)
    delete, add = period_partition_changes(instance.get_dynamic_partitions(PERIOD_PARTITIONS_NAME), day)
    for key in delete:
        instance.delete_dynamic_partition(PERIOD_PARTITIONS_NAME, key)
    if add:
        instance.add_dynamic_partitions(PERIOD_PARTITIONS_NAME, add)


def parse_slice(key: str | dg.MultiPartitionKey) -> SliceRef:
    """`o12345-1|2025-03` (or a MultiPartitionKey) → SliceRef."""
    if isinstance(key, dg.MultiPartitionKey):
        dims = key.keys_by_dimension
        return SliceRef(AdministrationRef.parse(dims["administration"]), PeriodRef.parse(dims["period"]))
    admin, _, period = key.partition("|")
    return SliceRef(AdministrationRef.parse(admin), PeriodRef.parse(period))


#: The run tag that names the AFAS environment a run loads: the run queue limits runs per value
#: (deploy/dagster.yaml), and a user filters runs by it in the UI.
ENVIRONMENT_TAG = "afas/environment"


#: Run tags naming the one administration a run loads and its company (added by the run itself).
ADMINISTRATION_TAG = "afas/administration"
COMPANY_TAG = "afas/company"


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
    periods = period_keys()
    return period_range_tags(admin, PeriodRef.parse(periods[0]), PeriodRef.parse(periods[-1]))
