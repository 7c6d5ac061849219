"""A slice: the unit a load fetches from AFAS and replaces in the lake, defined here once.

| connector slicing | a slice is | AFAS filter | lake columns | partition key |
|---|---|---|---|---|
| `NONE` (administrations) | an environment | none | environment | the environment's name |
| `ADMINISTRATION` | + an administration | `UnitId` | + administration_id | `o12345-1` |
| `ADMINISTRATION_PERIOD` | + a fiscal year and period | + `Year`, `Period` | + fiscal_year, period | `o12345-1\\|2025-03` |

Snapshot connectors (open items) add `snapshot_date` to their lake columns (after the
administration), so every load day keeps its own copy. `environment` is always part of a slice:
administration ids repeat across AFAS environments. One `Slice` serves every connector of its
level: a period's slice also names its administration's and its environment's slice.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from catalog.connectors import ADMIN_ID, ADMINISTRATIONS, PERIOD, UNIT_ID, YEAR, Connector, Slicing
from catalog.periods import PeriodRef
from catalog.redaction import shown

ENVIRONMENT = "environment"
ADMINISTRATION_ID = "administration_id"
FISCAL_YEAR = "fiscal_year"
PERIOD_COLUMN = "period"
SNAPSHOT_DATE = "snapshot_date"

_COLUMNS: dict[Slicing, tuple[str, ...]] = {
    Slicing.NONE: (ENVIRONMENT,),
    Slicing.ADMINISTRATION: (ENVIRONMENT, ADMINISTRATION_ID),
    Slicing.ADMINISTRATION_PERIOD: (ENVIRONMENT, ADMINISTRATION_ID, FISCAL_YEAR, PERIOD_COLUMN),
}

#: Administration keys: `<environment>-<administration id>`, unique across environments.
_ADMINISTRATION_KEY = re.compile(r"^(?P<env>[a-z0-9][a-z0-9_-]*)-(?P<admin>\d+)$")


def slice_columns(connector: Connector) -> tuple[str, ...]:
    """The lake columns that identify a slice of this connector's table, in path order."""
    columns = _COLUMNS[connector.slicing]
    if connector.snapshots:
        columns = columns[:2] + (SNAPSHOT_DATE,) + columns[2:]
    return columns


def afas_conditions(connector: Connector | None, administration_id: int | None = None, fiscal_year: int | None = None,
                    period: int | None = None) -> tuple[tuple[str, int], ...]:
    """The AFAS fields a slice pins, with their values (each an equality), in filter order.

    The administrations connector names its administration `AdminId`; every other one (also a
    connector outside the catalog, `None`) `UnitId`.
    """
    pins: list[tuple[str, int]] = []
    if administration_id is not None:
        pins.append((ADMIN_ID if connector is ADMINISTRATIONS else UNIT_ID, administration_id))
    if fiscal_year is not None:
        pins.append((YEAR, fiscal_year))
    if period is not None:
        pins.append((PERIOD, period))
    return tuple(pins)


# AdministrationRef, PeriodRef (catalog.periods) and SliceRef (assets.partitions) are alike in shape
# (`duplicates` pairs them): each is a key type with its own format, `key` and `parse`.
@dataclass(frozen=True, order=True)
class AdministrationRef:
    """An administration of a configured environment; its key is its administration partition key."""

    environment: str
    administration_id: int

    @property
    def key(self) -> str:
        return f"{self.environment}-{self.administration_id}"

    @classmethod
    def parse(cls, key: str) -> AdministrationRef:
        m = _ADMINISTRATION_KEY.match(key)
        if m is None:
            raise ValueError(f"{shown(key, r'[a-z0-9_-]{1,60}')} is not an administration partition key "
                             "(<environment>-<id>, e.g. o12345-1)")
        return cls(m.group("env"), int(m.group("admin")))


@dataclass(frozen=True, order=True)
class Slice:
    """Which rows a load reads and replaces: an environment and, as deep as the connector is sliced,
    an administration, a fiscal year and a period."""

    environment: str
    administration_id: int | None = None
    fiscal_year: int | None = None
    period: int | None = None

    def __str__(self) -> str:
        """How messages name the slice: `o12345`, `o12345 administration 1`, `o12345 administration 1 2025-04`."""
        words = [self.environment]
        if self.administration_id is not None:
            words.append(f"administration {self.administration_id}")
        if self.fiscal_year is not None:
            words.append(f"{self.fiscal_year}-{self.period:02d}")
        return " ".join(words)

    @classmethod
    def of_administration(cls, admin: AdministrationRef, period: PeriodRef | None = None) -> Slice:
        if period is None:
            return cls(admin.environment, admin.administration_id)
        return cls(admin.environment, admin.administration_id, period.year, period.period)

    @classmethod
    def from_partition_key(cls, connector: Connector, key: str) -> Slice:
        """The slice a connector's partition key names (for `NONE`: the environment's name)."""
        if connector.slicing is Slicing.NONE:
            return cls(key)
        admin_key, _, period_key = key.partition("|")
        admin = AdministrationRef.parse(admin_key)
        if connector.slicing is Slicing.ADMINISTRATION:
            return cls.of_administration(admin)
        return cls.of_administration(admin, PeriodRef.parse(period_key))

    @property
    def administration(self) -> AdministrationRef | None:
        if self.administration_id is None:
            return None
        return AdministrationRef(self.environment, self.administration_id)

    @property
    def period_ref(self) -> PeriodRef | None:
        return None if self.fiscal_year is None else PeriodRef(self.fiscal_year, self.period)

    def partition_key(self, connector: Connector) -> str:
        """This slice's partition key for the connector (`o12345`, `o12345-1`, `o12345-1|2025-03`)."""
        own = self.for_connector(connector)
        if own.administration is None:
            return own.environment
        if own.period_ref is None:
            return own.administration.key
        return f"{own.administration.key}|{own.period_ref.key}"

    def for_connector(self, connector: Connector) -> Slice:
        """The connector's own slice within this one (a period's slice names its administration's too).

        Raises:
            ValueError: this slice is not as deep as the connector is sliced.
        """
        depth = len(_COLUMNS[connector.slicing])
        values = (self.environment, self.administration_id, self.fiscal_year, self.period)[:depth]
        if any(v is None for v in values) or not self.environment:
            raise ValueError(f"{connector.table} is sliced by {', '.join(_COLUMNS[connector.slicing])}; "
                             f"the slice {self} does not name them all")
        return Slice(*values)

    def afas_conditions(self, connector: Connector) -> tuple[tuple[str, int], ...]:
        """The AFAS fields (and values) that select this slice of the connector."""
        own = self.for_connector(connector)
        return afas_conditions(connector, own.administration_id, own.fiscal_year, own.period)

    def columns(self, connector: Connector, snapshot_date: dt.date | None = None) -> dict[str, object]:
        """The slice as the lake's columns name it, in `slice_columns` order."""
        own = self.for_connector(connector)
        values = {ENVIRONMENT: own.environment, ADMINISTRATION_ID: own.administration_id,
                  FISCAL_YEAR: own.fiscal_year, PERIOD_COLUMN: own.period, SNAPSHOT_DATE: snapshot_date}
        return {c: values[c] for c in slice_columns(connector)}
