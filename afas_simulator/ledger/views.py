"""What a ledger computes: connector frames from generated slices plus a snapshot of scenario state.

`LedgerViews` never touches the ledger's lock. The ledger takes a consistent snapshot of the
scenario state under its lock and passes it in; results are cached under keys that carry the
snapshot's version counters, so a frame computed from an older state is never served for a newer
one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from catalog import (
    ACCOUNTS,
    ALLOCATION_CODES,
    CHANGED_ENTRY_DATES,
    DOSSIER_ITEMS,
    PAYABLES,
    PERIOD_VALUES,
    RECEIVABLES,
    TRANSACTIONS,
    Connector,
)

from . import balances, documents, frames, invoices, registers
from .batch import LineBatch
from .cache import LruCache
from .overlay import SliceOverlay
from .unit import Context, UnitBase, build_unit, slice_lines


@dataclass(frozen=True)
class UnitSnapshot:
    """Scenario state of one administration at one moment.

    Attributes:
        version: the administration's version counter.
        overlays: the overlays of its changed slices.
        touched: booking date (days) → latest scenario change (µs).
        renames: account position → (description, renamed at µs).
    """

    version: int
    overlays: tuple[SliceOverlay, ...]
    touched: dict[int, int]
    renames: dict[int, tuple[str, int]]


class _Namespaced:
    """A view of a shared cache whose keys are prefixed, so ledgers never see each other's values."""

    def __init__(self, cache: LruCache, namespace: object) -> None:
        self.inner = cache
        self._ns = namespace

    def get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        return self.inner.get((self._ns, *key), compute)

    def discard(self, stale: Callable[[tuple], bool]) -> int:
        ns = self._ns
        return self.inner.discard(lambda k: isinstance(k, tuple) and k[0] is ns and stale(k[1:]))


class LedgerViews:
    """Generated slices and the frames built from them, cached.

    Args:
        ctx: seed, environment key, spec and horizon.
        cache: the LRU cache for slices and frames (shared by ledgers; keys are kept apart).
            Administration skeletons (small) are kept separately and never evicted.
    """

    def __init__(self, ctx: Context, cache: LruCache) -> None:
        self.ctx = ctx
        self.cache = _Namespaced(cache, object())
        self._skeletons = LruCache(None)

    def forget_slice(self, unit_id: int, year: int, period: int) -> None:
        """Drop a changed slice's versioned values now rather than waiting for the LRU: after a
        change to a million-line slice they would hold hundreds of MB nobody asks for again."""
        self.cache.discard(lambda k: len(k) == 5 and k[1:4] == (unit_id, year, period))

    def base(self, unit_id: int) -> UnitBase:
        """The administration's skeleton (built once)."""
        return self._skeletons.get(("unit", unit_id), lambda: build_unit(self.ctx, unit_id))

    def generated(self, unit_id: int, year: int, period: int) -> LineBatch:
        """A slice's generated lines, without scenario changes."""
        base = self.base(unit_id)
        return self.cache.get(("lines", unit_id, year, period), lambda: slice_lines(self.ctx, base, year, period))

    def lines(self, unit_id: int, year: int, period: int, version: int, ov: SliceOverlay) -> LineBatch:
        """A slice's current lines: generated lines with the overlay applied."""
        if not ov:
            return self.generated(unit_id, year, period)
        return self.cache.get(
            ("current", unit_id, year, period, version), lambda: ov.apply(self.generated(unit_id, year, period))
        )

    def slice_frame(
        self, conn: Connector, unit_id: int, year: int, period: int, version: int, ov: SliceOverlay
    ) -> pl.DataFrame:
        """Transactions or allocated transactions of one slice."""
        build = frames.transactions if conn is TRANSACTIONS else frames.allocated
        numbers = self.base(unit_id).invoices.numbers

        def compute() -> pl.DataFrame:
            return build(self.lines(unit_id, year, period, version, ov), unit_id, numbers)

        return self.cache.get((conn.id, unit_id, year, period, version), compute)

    def period_values(
        self,
        unit_id: int,
        year: int,
        period: int,
        unit: UnitSnapshot,
        slices: list[tuple[int, SliceOverlay]],
    ) -> pl.DataFrame:
        """Period values of one slice; `slices` are (version, overlay) of periods 0..period."""

        def sums(p: int, version: int, ov: SliceOverlay) -> pl.DataFrame:
            def compute() -> pl.DataFrame:
                return frames.period_sums(self.lines(unit_id, year, p, version, ov))

            return self.cache.get(("sums", unit_id, year, p, version), compute)

        def compute() -> pl.DataFrame:
            earlier = [sums(p, version, ov) for p, (version, ov) in enumerate(slices)]
            return balances.period_values(
                unit_id,
                year,
                period,
                earlier[-1],
                balances.cumulate(earlier),
                self.descriptions(unit_id, unit),
                self.ctx.rng(unit_id, year, "budget"),
                self.ctx.four_weekly(unit_id),
            )

        return self.cache.get((PERIOD_VALUES.id, unit_id, year, period, unit.version), compute)

    def descriptions(self, unit_id: int, unit: UnitSnapshot) -> list[str]:
        """Current account descriptions by account position."""
        names = registers.base_descriptions(self.ctx, unit_id)
        for i, (text, _) in unit.renames.items():
            names[i] = text
        return names

    def doc_lines(self, unit_id: int, unit: UnitSnapshot) -> LineBatch:
        """Invoice and payment lines of the whole administration as they are now."""
        base = self.base(unit_id)

        def compute() -> LineBatch:
            gone: set[int] = set()
            added: list[LineBatch] = []
            for ov in unit.overlays:
                gone |= ov.deleted | set(ov.upserts)
                added += list(ov.upserts.values())
            lines = base.all_doc_lines()
            kept = lines.take(~np.isin(lines.entry, np.fromiter(gone, dtype=np.int64)))
            return LineBatch.concat([kept, *added])

        return self.cache.get(("doc", unit_id, unit.version), compute)

    def unit_frame(self, conn: Connector, unit_id: int, unit: UnitSnapshot) -> pl.DataFrame:
        """Rows of a connector sliced by administration only."""
        base = self.base(unit_id)
        ctx = self.ctx
        if conn is DOSSIER_ITEMS:
            return self.cache.get((conn.id, unit_id), lambda: documents.dossier_items(ctx, base))
        if conn is ALLOCATION_CODES:
            return self.cache.get((conn.id, unit_id), lambda: registers.allocation_codes(unit_id))
        if conn is CHANGED_ENTRY_DATES:
            return self.cache.get(
                (conn.id, unit_id, unit.version),
                lambda: registers.changed_entry_dates(unit_id, base.changed_days, base.changed_us, unit.touched),
            )
        if conn is ACCOUNTS:

            def accounts() -> pl.DataFrame:
                modified = registers.base_account_modified(ctx, unit_id)
                for i, (_, us) in unit.renames.items():
                    modified[i] = us
                return registers.accounts(unit_id, self.descriptions(unit_id, unit), modified)

            return self.cache.get((conn.id, unit_id, unit.version), accounts)
        if conn in (RECEIVABLES, PAYABLES):
            kind = invoices.SALE if conn is RECEIVABLES else invoices.PURCHASE_KIND
            return self.cache.get(
                (conn.id, unit_id, unit.version),
                lambda: invoices.open_items(kind, unit_id, base.invoices, base.parties, self.doc_lines(unit_id, unit)),
            )
        raise KeyError(f"this environment has no data for {conn.id!r}")
