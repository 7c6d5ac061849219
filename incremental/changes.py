"""Find the slices that changed in AFAS since a cursor, reading as little as AFAS allows.

Sources, best first:
- `Profit_Fin_ChangedEntrydate` (when the App Connector has it): every booking date on which an
  entry was added, changed or deleted, with the time of the last change. A date maps to the periods
  the warehouse already holds entries of that date in (so deletions are found) and to the calendar
  period of the date (for entries that are new).
- otherwise the transactions' own `Modified` date. Deletions leave no trace there; the
  reconciliation checks catch them.
AFAS keeps only the last change and rounds `Modified` to whole seconds, so each look reaches back a
few seconds before the cursor; the cursor remembers the changes it saw in that window, so a change
is reported once, and one stamped in the same second as an earlier one is still found.
Also looked at: renamed accounts (`Modified` of the chart of accounts) and new administrations.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import polars as pl

import catalog
from catalog.slices import Slice
from afas.client import AfasClient
from afas.filters import Condition, Filter, Op
from warehouse.lookups import known_administrations, periods_of_entry_dates
from warehouse.store import Warehouse

DEFAULT_LOOKBACK = dt.timedelta(seconds=5)


@dataclass(frozen=True)
class Cursor:
    """Where the last look ended: the latest change, and the changes seen in the lookback window."""

    modified: dt.datetime | None = None
    seen: frozenset[str] = frozenset()

    def to_json(self) -> str:
        return json.dumps({"modified": self.modified.isoformat() if self.modified else None, "seen": sorted(self.seen)})

    @classmethod
    def from_json(cls, text: str | None) -> "Cursor":
        if not text:
            return cls()
        raw = json.loads(text)
        modified = dt.datetime.fromisoformat(raw["modified"]) if raw.get("modified") else None
        return cls(modified, frozenset(raw.get("seen", ())))


@dataclass
class ChangeSet:
    """What changed in one environment since the cursor.

    Attributes:
        period_slices: a period's slice of the books → the latest change seen in it.
        administrations: administrations whose master data or open items may have changed → latest change.
        renamed_accounts: administrations with renamed accounts → latest rename; period values
            carry the account description, so all their periods need it again.
        new_administrations: administration ids AFAS has that the warehouse does not.
        cursor: where the next look starts.
        source: "changed_entry_dates", "modified" or "baseline" (first look: cursor only).
        requests: AFAS calls this look made.
    """

    period_slices: dict[Slice, dt.datetime] = field(default_factory=dict)
    administrations: dict[int, dt.datetime] = field(default_factory=dict)
    renamed_accounts: dict[int, dt.datetime] = field(default_factory=dict)
    new_administrations: list[int] = field(default_factory=list)
    cursor: Cursor = field(default_factory=Cursor)
    source: str = "baseline"
    requests: int = 0

    @property
    def empty(self) -> bool:
        return not (self.period_slices or self.administrations or self.renamed_accounts or self.new_administrations)


def _latest(frame: pl.DataFrame, column: str = "Modified") -> dt.datetime | None:
    return frame[column].max() if frame.height and column in frame.columns else None


def _since(cursor: Cursor, lookback: dt.timedelta) -> Filter:
    assert cursor.modified is not None
    return Filter.where(Condition("Modified", Op.GE, cursor.modified - lookback))


def _fresh(frame: pl.DataFrame, key: list[str], cursor: Cursor, seen: set[str]) -> pl.DataFrame:
    """Rows not reported before; every row's identity goes into `seen`."""
    ids = [f"{frame.width}:" + "|".join(str(v) for v in row) for row in frame.select([*key, "Modified"]).iter_rows()]
    seen.update(ids)
    return frame.filter(pl.Series([i not in cursor.seen for i in ids], dtype=pl.Boolean))


def _newest(client: AfasClient, connector: catalog.Connector) -> tuple[dt.datetime | None, int]:
    page = client.page(connector.id, order=("-Modified",), take=1)
    return _latest(page), 1


def detect_changes(
    client: AfasClient,
    store: Warehouse,
    environment: str,
    cursor: Cursor,
    *,
    lookback: dt.timedelta = DEFAULT_LOOKBACK,
) -> ChangeSet:
    """What changed in `environment` since `cursor` (None: only establish the cursor).

    Args:
        client: the environment's AFAS client.
        store: the warehouse, to map booking dates to the periods already loaded.
        environment: the environment's name in the warehouse.
        cursor: where the last look ended (`Cursor()` the first time: only the cursor is set).
        lookback: how far before the cursor to look again (second rounding, late commits).
    """
    before = client.requests
    feed = catalog.CHANGED_ENTRY_DATES.id in client.app_info().get_connectors
    source = catalog.CHANGED_ENTRY_DATES if feed else catalog.TRANSACTIONS
    if cursor.modified is None:
        # First look: start from now, remembering what sits in the window so it is not reported.
        newest, _ = _newest(client, source)
        seen_now: set[str] = set()
        if newest is not None:
            start = Cursor(newest)
            _fresh(client.fetch(source, filter=_since(start, lookback)).frame, list(source.key), start, seen_now)
            _fresh(client.fetch(catalog.ACCOUNTS, filter=_since(start, lookback)).frame,
                   list(catalog.ACCOUNTS.key), start, seen_now)
        return ChangeSet(cursor=Cursor(newest, frozenset(seen_now)), source="baseline",
                         requests=client.requests - before)

    changes = ChangeSet(cursor=cursor, source="changed_entry_dates" if feed else "modified")
    seen: set[str] = set()
    all_rows = client.fetch(source, filter=_since(cursor, lookback)).frame
    rows = _fresh(all_rows, list(source.key), cursor, seen)
    if feed:
        _periods_from_dates(store, environment, rows, changes)
    else:
        for unit, year, period, modified in rows.select("UnitId", "Year", "Period", "Modified").iter_rows():
            _note(changes.period_slices, Slice(environment, unit, year, period), modified)
    for changed, modified in list(changes.period_slices.items()):
        # Payments and new invoices change open items; refresh the administration's snapshots.
        _note(changes.administrations, changed.administration_id, modified)
    all_accounts = client.fetch(catalog.ACCOUNTS, filter=_since(cursor, lookback)).frame
    accounts = _fresh(all_accounts, list(catalog.ACCOUNTS.key), cursor, seen)
    for unit, modified in accounts.select("UnitId", "Modified").iter_rows():
        _note(changes.administrations, unit, modified)
        _note(changes.renamed_accounts, unit, modified)
    administrations = client.fetch(catalog.ADMINISTRATIONS).frame
    known = {admin for env, admin in known_administrations(store) if env == environment}
    changes.new_administrations = sorted(set(administrations[catalog.ADMIN_ID].to_list()) - known)
    latest = max([m for m in (_latest(all_rows), _latest(all_accounts), cursor.modified) if m is not None])
    # Remember what lies inside the next look's window, so it is not reported twice.
    window = [i for i in seen | set(cursor.seen)]
    changes.cursor = Cursor(latest, frozenset(window) if latest == cursor.modified else frozenset(seen))
    changes.requests = client.requests - before
    return changes


def _note(target: dict, key: object, modified: dt.datetime) -> None:
    if key not in target or modified > target[key]:
        target[key] = modified


def _periods_from_dates(store: Warehouse, environment: str, rows: pl.DataFrame, changes: ChangeSet) -> None:
    pairs = rows.select("UnitId", "EntryDate", "Modified")
    loaded = periods_of_entry_dates(store, environment, [(u, d) for u, d, _ in pairs.iter_rows()])
    for unit, entry_date, modified in pairs.iter_rows():
        periods = set(loaded.get((unit, entry_date), ()))
        periods.add((entry_date.year, entry_date.month))  # where a new entry of that date would be
        for year, period in periods:
            _note(changes.period_slices, Slice(environment, unit, year, period), modified)
