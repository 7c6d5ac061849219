"""What a token's user may see: the rows of the administrations it has rights to.

AFAS: "an authorised connector may silently return fewer rows for a user with fewer rights" [S].
The model is our guess [G]: a user without rights to an administration (`TokenSpec.hidden_units`)
gets every GetConnector with a `UnitId` field as if that administration's rows did not exist —
no error, filters, paging and page lengths as over the remaining rows — and a 404 for its documents,
the answer AFAS gives when "the user lacks rights" to a file [C]. The administrations connector has
no `UnitId` field and is not restricted [G: the list of administrations is not guarded by finance
rights], so a restricted user still sees every administration listed.
"""

from __future__ import annotations

import polars as pl

from catalog import DOSSIER_ITEMS, UNIT_ID
from afas_simulator.dataset import EnvironmentData


def visible_rows(frame: pl.DataFrame, hidden_units: frozenset[int]) -> pl.DataFrame:
    """The rows of a connector frame the user may see: those outside `hidden_units`.

    Args:
        frame: rows of one connector (catalog field ids as columns).
        hidden_units: administrations the user has no rights to.
    """
    if not hidden_units or UNIT_ID not in frame.columns:
        return frame
    return frame.filter(~pl.col(UNIT_ID).is_in(sorted(hidden_units)))


def may_open_subject(data: EnvironmentData, subject_id: int, hidden_units: frozenset[int]) -> bool:
    """Whether the user may open the files of a dossier item: it is not in a hidden administration."""
    return not any(
        (data.frame(DOSSIER_ITEMS.id, unit_id=unit)["SubjectId"] == subject_id).any() for unit in sorted(hidden_units)
    )
