"""Is an administration still there for this token? Two one-row calls answer it.

An administration is there when `Visionplanner_administrations` lists it AND the token's user sees
its chart of accounts (`Visionplanner_changed_description_general_ledger`): a real administration
always has ledger accounts, while a user without rights to it sees none of its rows [S: an authorised
connector silently returns fewer rows for a user with fewer rights]. Loads ask this before they
replace an administration's data in the lake with nothing (see `assets.vanished`).
"""

from __future__ import annotations

from dataclasses import dataclass

import catalog
from afas.client import AfasClient
from afas.filters import Condition, Filter, Op


@dataclass(frozen=True)
class Presence:
    """What AFAS shows of one administration to this token.

    Attributes:
        listed: `Visionplanner_administrations` lists it.
        name: its name there (None when not listed).
        has_accounts: the token's user sees at least one of its ledger accounts.
    """

    listed: bool
    name: str | None
    has_accounts: bool

    @property
    def present(self) -> bool:
        return self.listed and self.has_accounts


def administration_presence(client: AfasClient, administration_id: int) -> Presence:
    """Ask AFAS whether it still shows the administration: one call of one row per connector
    (take=1, no order: existence needs any row), the second only when the first lists it.

    Raises:
        afas.errors.AfasError: AFAS could not be asked.
    """
    listed = client.page(catalog.ADMINISTRATIONS.id, order=(), take=1,
                         filter=Filter.where(Condition(catalog.ADMIN_ID, Op.EQ, administration_id)))
    if not listed.height:
        return Presence(listed=False, name=None, has_accounts=False)
    name = listed["AdminNm"][0] if "AdminNm" in listed.columns else None
    accounts = client.page(catalog.ACCOUNTS.id, order=(), take=1,
                           filter=Filter.where(Condition(catalog.UNIT_ID, Op.EQ, administration_id)))
    return Presence(listed=True, name=name or None, has_accounts=accounts.height > 0)
