"""An administration that vanishes from AFAS keeps its data until a user confirms it is gone.

AFAS gives no sign when an administration is deleted, or when the token's user loses its rights to
one: its slices simply load as 0 rows, which would replace its data in the lake with nothing. So
before a load replaces a slice the lake holds rows of with 0 rows, it asks AFAS whether the
administration is still there for this token (`afas.presence`: listed, and its ledger accounts
visible). If it is, the empty slice is real (every booking of a period deleted) and is written. If
not, nothing is written and the slice fails with `AdministrationVanishedError`, on every load, until
either the administration is back or a user confirms the removal:

    afas-pipeline confirm-removed o12345-3

which (`confirm_removed`) removes the administration's rows from every table in one lake commit,
with a row in `removed_administrations` saying who confirmed what AFAS showed. From then on nothing
is reported (the lake holds none of its rows, so no load can lose any) and its loads, if still
scheduled, write empty slices. Older lake snapshots keep the removed rows for time travel.

The confirmation lives in the lake, not in the environment store: the lake is where the pipeline's
load state is (`slice_load_history`, `reconciliation_history`), it is shared by every worker that
loads (each machine has its own environment store), and the confirmation and the removal of the data
it allows are then one commit.
"""

from __future__ import annotations

import datetime as dt
import getpass
import threading
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

import catalog
from catalog import Slicing
from catalog.slices import ADMINISTRATION_ID, ENVIRONMENT, SNAPSHOT_DATE
from afas.client import AfasClient
from afas.errors import AdministrationVanishedError
from afas.presence import Presence, administration_presence
from warehouse import SliceWrite, Warehouse
from warehouse.lookups import administration_names, held_administrations, held_slices, rows_held
from warehouse.tables import REMOVED_ADMINISTRATIONS

#: How long a "vanished" verdict is reused for the same client and administration, so a backfill of a
#: vanished administration's many periods asks AFAS once, not twice per period. A "present" verdict is
#: never reused: it allows a write.
VANISHED_TTL_S = 60.0

_verdicts: weakref.WeakKeyDictionary[AfasClient, dict[int, tuple[float, Presence]]] = weakref.WeakKeyDictionary()
_verdicts_lock = threading.Lock()


def _presence(client: AfasClient, administration_id: int) -> Presence:
    now = time.monotonic()
    with _verdicts_lock:
        cached = _verdicts.get(client, {}).get(administration_id)
    if cached and now - cached[0] < VANISHED_TTL_S:
        return cached[1]
    presence = administration_presence(client, administration_id)
    with _verdicts_lock:
        known = _verdicts.setdefault(client, {})
        if presence.present:
            known.pop(administration_id, None)
        else:
            known[administration_id] = (now, presence)
    return presence


def refuse_if_vanished(client: AfasClient, store: Warehouse, writes: Sequence[SliceWrite]) -> None:
    """Raise if these writes would empty slices of an administration that vanished from AFAS.

    Only slices of an administration that come back empty while the lake holds rows of them are
    looked at, so an ordinary load costs nothing here; those cost one lake query each and, once per
    load, two one-row AFAS calls.

    Raises:
        AdministrationVanishedError: nothing may be written; the lake keeps the administration's data.
        afas.errors.AfasError: AFAS could not be asked (nothing may be written either).
    """
    emptied = [w for w in writes if not w.frame.height and _administration(w) is not None
               and rows_held(store, _table(w), _without_snapshot(w.slice))]
    if not emptied:
        return
    environment, administration_id = _administration(emptied[0])
    presence = _presence(client, administration_id)
    if presence.present:
        return
    name = presence.name or administration_names(store).get((environment, administration_id))
    raise AdministrationVanishedError(environment, administration_id, listed=presence.listed, name=name)


def observation_metadata(store: Warehouse, exc: Exception) -> dict[str, str]:
    """For a failed partition's observation: "vanished from AFAS, data kept since …" (nothing otherwise)."""
    if not isinstance(exc, AdministrationVanishedError):
        return {}
    since = _last_loaded(store, exc.environment, exc.administration_id)
    seen = "still listed, but none of its rows visible to this token" if exc.listed else "no longer listed"
    kept = f"data kept since its last load on {since.isoformat(timespec='seconds')}" if since else "data kept"
    return {
        "vanished_from_afas": f"vanished from AFAS ({seen}); {kept}; loads write nothing for it until the "
                              "removal is confirmed",
        "confirm_removal": f"afas-pipeline confirm-removed {exc.environment}-{exc.administration_id}",
    }


@dataclass(frozen=True)
class Removal:
    """What `confirm_removed` did."""

    environment: str
    administration_id: int
    name: str | None
    slices: int
    rows: int
    snapshot_id: int


class StillPresentError(Exception):
    """AFAS still shows the administration with its rows: nothing was removed."""


def confirm_removed(client: AfasClient, store: Warehouse, environment: str, administration_id: int) -> Removal:
    """A user confirms that an administration is gone from AFAS: remove its rows from every table.

    One lake commit empties each of its slices that holds rows (the open-item snapshots included) and
    appends the confirmation to `removed_administrations`. Safe to repeat: with nothing held it
    removes nothing.

    Raises:
        StillPresentError: AFAS still lists it and the token's user sees its rows (nothing removed).
        afas.errors.AfasError: AFAS could not be asked (nothing removed).
    """
    presence = administration_presence(client, administration_id)
    if presence.present:
        raise StillPresentError(
            f"AFAS still lists administration {administration_id} of {environment} ('{presence.name}') and this "
            "token's user sees its rows: nothing was removed. Its loads should succeed; if one failed as vanished, "
            "run it again."
        )
    held = held_slices(store, environment, administration_id)
    name = presence.name or administration_names(store).get((environment, administration_id))
    if not held:
        return Removal(environment, administration_id, name, 0, 0, 0)
    now = dt.datetime.now(dt.timezone.utc)
    record = pl.DataFrame([{
        "environment": environment, "administration_id": administration_id, "administration_name": name,
        "afas_showed": "listed_without_rows" if presence.listed else "not_listed",
        "slices_removed": len(held), "rows_removed": sum(rows for _, _, rows in held),
        "last_loaded_at": _last_loaded(store, environment, administration_id), "confirmed_at": now,
        "confirmed_by": _user(),
    }])
    writes = [SliceWrite(catalog.by_table(table), values, _empty(table)) for table, values, _ in held]
    written = store.replace_slices(writes, loaded_at=now, appends={REMOVED_ADMINISTRATIONS: record})
    return Removal(environment, administration_id, name, len(held), sum(rows for _, _, rows in held),
                   written[0].snapshot_id)


# --- helpers ----------------------------------------------------------------------------------------


def _table(write: SliceWrite) -> str:
    return catalog.resolve(write.connector).table


def _administration(write: SliceWrite) -> tuple[str, int] | None:
    if catalog.resolve(write.connector).slicing is Slicing.NONE or write.slice.get(ADMINISTRATION_ID) is None:
        return None
    return str(write.slice[ENVIRONMENT]), int(write.slice[ADMINISTRATION_ID])


def _without_snapshot(values) -> dict[str, object]:
    return {k: v for k, v in values.items() if k != SNAPSHOT_DATE}


def _empty(table: str) -> pl.DataFrame:
    """No rows, with one column of the table (the lake cannot read a frame without columns)."""
    connector = catalog.by_table(table)
    column = next(f.column for f in connector.fields if f.column not in (ENVIRONMENT, ADMINISTRATION_ID))
    return pl.DataFrame(schema={column: pl.Null})


def _last_loaded(store: Warehouse, environment: str, administration_id: int) -> dt.datetime | None:
    """When the administration's data in the lake was last loaded (None: it holds none)."""
    return held_administrations(store, environment, administration_id).get((environment, administration_id))


def _user() -> str | None:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container without one
        return None
