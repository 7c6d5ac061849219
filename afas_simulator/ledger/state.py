"""What scenarios have changed in one environment, kept apart from the generated data.

The owning `Ledger` guards every call with its lock. Version counters let caches key computed
frames on the state they were computed from: a slice's version moves when its entries change, an
administration's version when anything in it changes (entries, account names).
"""

from __future__ import annotations

from .batch import LineBatch
from .overlay import SliceOverlay

SliceKey = tuple[int, int, int]  # (UnitId, Year, Period)


class ScenarioState:
    """Overlays, version counters, renamed accounts, touched dates and numbering of one environment."""

    def __init__(self) -> None:
        self._overlays: dict[SliceKey, SliceOverlay] = {}
        self._slice_version: dict[SliceKey, int] = {}
        self._unit_version: dict[int, int] = {}
        self._renames: dict[int, dict[int, tuple[str, int]]] = {}
        self._touched: dict[int, dict[int, int]] = {}
        self._new_entries: dict[int, dict[int, tuple[int, int]]] = {}
        self._next_entry: dict[int, int] = {}
        self._next_voucher: dict[tuple[int, int, int], int] = {}
        self.mutations = 0

    # -- reading

    def snapshot(self, key: SliceKey) -> tuple[int, SliceOverlay]:
        """(version, overlay) of a slice; the overlay is immutable, so it can be used unlocked."""
        return self._slice_version.get(key, 0), self._overlays.get(key, SliceOverlay())

    def unit_version(self, unit_id: int) -> int:
        return self._unit_version.get(unit_id, 0)

    def renames(self, unit_id: int) -> dict[int, tuple[str, int]]:
        """Account position → (description, renamed at µs)."""
        return dict(self._renames.get(unit_id, {}))

    def touched(self, unit_id: int) -> dict[int, int]:
        """Booking date (days) → latest scenario change on it (µs)."""
        return dict(self._touched.get(unit_id, {}))

    def slices_with_new_entries(self, unit_id: int) -> set[tuple[int, int]]:
        return {(y, p) for (u, y, p), ov in self._overlays.items() if u == unit_id and ov.upserts}

    def unit_overlays(self, unit_id: int) -> list[SliceOverlay]:
        return [ov for (u, _, _), ov in self._overlays.items() if u == unit_id and ov]

    def new_entry_slice(self, unit_id: int, entry_no: int) -> tuple[int, int] | None:
        """The slice of an entry a scenario booked (and did not delete since)."""
        return self._new_entries.get(unit_id, {}).get(entry_no)

    def is_deleted(self, key: SliceKey, entry_no: int) -> bool:
        ov = self._overlays.get(key)
        return ov is not None and entry_no in ov.deleted

    # -- numbering

    def take_entry_no(self, unit_id: int, first_free: int) -> int:
        """The next EntryNo; `first_free` is the first number after the generated ones."""
        number = self._next_entry.get(unit_id, first_free)
        self._next_entry[unit_id] = number + 1
        return number

    def take_voucher(self, unit_id: int, year: int, journal: int, first_free: int) -> int:
        """The next voucher sequence of (year, journal); `first_free` as generated."""
        key = (unit_id, year, journal)
        number = self._next_voucher.get(key, first_free)
        self._next_voucher[key] = number + 1
        return number

    # -- changing

    def upsert(self, key: SliceKey, entry_no: int, lines: LineBatch, new: bool) -> None:
        """Set an entry's lines (changed or newly booked)."""
        self._overlays[key] = self._overlays.get(key, SliceOverlay()).upsert(entry_no, lines)
        if new:
            self._new_entries.setdefault(key[0], {})[entry_no] = key[1:]
        self._touch(key, int(lines.date[0]), int(lines.modified.max()))

    def delete(self, key: SliceKey, entry_no: int, generated: bool, day: int, at_us: int) -> None:
        """Remove an entry; its booking date is reported as changed at `at_us`."""
        self._overlays[key] = self._overlays.get(key, SliceOverlay()).delete(entry_no, generated)
        self._new_entries.get(key[0], {}).pop(entry_no, None)
        self._touch(key, day, at_us)

    def rename(self, unit_id: int, account: int, description: str, at_us: int) -> None:
        self._renames.setdefault(unit_id, {})[account] = (description, at_us)
        self._unit_version[unit_id] = self.unit_version(unit_id) + 1

    def _touch(self, key: SliceKey, day: int, at_us: int) -> None:
        days = self._touched.setdefault(key[0], {})
        days[day] = max(at_us, days.get(day, at_us))
        self._slice_version[key] = self._slice_version.get(key, 0) + 1
        self._unit_version[key[0]] = self.unit_version(key[0]) + 1
