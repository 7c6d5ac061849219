"""The seam between the simulator's data (ledger/) and its HTTP front (server.py).

The server only ever asks an environment's data for a connector's rows restricted to an
administration, year and period, and answers everything else (filters, ordering, paging, wire
format) itself. Scenarios change the data through the same object.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

import polars as pl


@dataclass(frozen=True)
class SubjectFile:
    """A file attached to a dossier item, as the subject connector returns it."""

    filename: str
    mimetype: str
    data: bytes


class Clock(Protocol):
    """The simulator's notion of "now" (Amsterdam local, naive)."""

    def now(self) -> dt.datetime: ...

    def advance(self, seconds: float) -> dt.datetime: ...


class EnvironmentData(Protocol):
    """All data of one AFAS environment, generated on demand from a seed.

    Frames returned by `frame` have exactly the catalog's field ids as columns, in catalog order, with
    these polars types: INT → Int64, TEXT → String, MONEY → Decimal(18, 2), DATE → Date,
    DATETIME → Datetime("us") (naive, Amsterdam local, sub-second precision kept), BOOL → Boolean.
    Rows come in the connector's key order. Callers must not mutate them.
    """

    def administrations(self) -> list[int]:
        """UnitIds of the administrations that exist now."""
        ...

    def years(self, unit_id: int) -> list[int]:
        """Fiscal years with data for an administration."""
        ...

    def frame(
        self,
        connector_id: str,
        unit_id: int | None = None,
        year: int | None = None,
        period: int | None = None,
    ) -> pl.DataFrame:
        """Rows of a connector, restricted to the given administration/year/period when not None.

        Restrictions that don't apply to a connector (year on dossier items) are ignored.
        Raises KeyError for a connector this environment has no data for.
        """
        ...

    def subject_file(self, subject_id: int, file_id: str) -> SubjectFile | None:
        """The attachment of a dossier item, or None when it does not exist."""
        ...
