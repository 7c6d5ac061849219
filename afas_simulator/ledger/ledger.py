"""`Ledger`: one AFAS environment's books, generated on demand and changed by scenarios.

The generated state is a pure function of (seed, environment key, spec, the clock's time at
creation): slices are generated lazily and may be evicted from the cache at any time. Scenario
mutations are kept as overlays beside them (see `overlay.py`), so a regenerated slice still shows
them. Nothing is generated after the creation time (the *horizon*); later data only comes from
mutations, which the clock stamps as they happen.

Thread safety: one re-entrant lock guards the overlay state and version counters; frames are
computed outside it from a snapshot, and the cache computes each value once even when several
server threads ask for it at the same time.
"""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal, InvalidOperation

import polars as pl

from catalog import (
    ADMINISTRATIONS,
    DOSSIER_ITEMS,
    PAYABLES,
    PERIOD_VALUES,
    RECEIVABLES,
    Connector,
    Slicing,
    connector,
)
from afas_simulator.config import LedgerSpec
from afas_simulator.dataset import Clock, SubjectFile

from . import documents, frames, invoices, overlay, registers
from .batch import LineBatch
from .cache import LruCache, shared_cache
from .chart import ACCOUNT_INDEX, BANK_JOURNAL, JOURNALS
from .clock import from_days, to_days, to_us
from .periods import OPENING_PERIOD, bounds_days, period_count, period_of
from .state import ScenarioState
from .unit import Context, Slice, UnitBase
from .views import LedgerViews, UnitSnapshot

_KINDS = {"receivable": invoices.SALE, "payable": invoices.PURCHASE_KIND}


class Ledger:
    """The data of one AFAS environment (implements `dataset.EnvironmentData`).

    Args:
        spec: how many administrations, years and lines.
        seed: the simulator seed.
        clock: the simulator clock; its time now is the generation horizon.
        env_key: identifies the environment (e.g. the member number); part of every random stream.
        cache_bytes: give this ledger its own slice/frame cache of this many bytes; by default all
            ledgers of the process share one cache of 1 GiB (`cache.shared_cache`).
    """

    def __init__(
        self, spec: LedgerSpec, seed: int, clock: Clock, env_key: str, *, cache_bytes: int | None = None
    ) -> None:
        self._ctx = Context(seed, str(env_key), spec, clock.now())
        self._clock = clock
        self._lock = threading.RLock()
        self._units: dict[int, tuple[str, str]] = {
            u: registers.administration_names(self._ctx, u) for u in range(1, spec.administrations + 1)
        }
        self._state = ScenarioState()
        cache = shared_cache() if cache_bytes is None else LruCache(cache_bytes)
        self._views = LedgerViews(self._ctx, cache)

    # ------------------------------------------------------------------ EnvironmentData

    @property
    def horizon(self) -> dt.datetime:
        """The clock's time when the ledger was created: generated data ends here."""
        return self._ctx.horizon

    def administrations(self) -> list[int]:
        """UnitIds that exist now, ascending."""
        with self._lock:
            return sorted(self._units)

    def years(self, unit_id: int) -> list[int]:
        """Fiscal years from `spec.first_year` to the clock's current year. KeyError for an unknown unit."""
        self._require_unit(unit_id)
        return list(range(self._ctx.spec.first_year, self._clock.now().year + 1))

    def frame(
        self, connector_id: str, unit_id: int | None = None, year: int | None = None, period: int | None = None
    ) -> pl.DataFrame:
        """Rows of a connector restricted to administration/year/period where given (see the protocol)."""
        conn = connector(connector_id)
        with self._lock:
            units = sorted(self._units) if unit_id is None else [u for u in self._units if u == unit_id]
            admin_rows = {u: self._units[u] for u in units}
        if conn is ADMINISTRATIONS:
            return registers.administrations(admin_rows)
        parts: list[pl.DataFrame] = []
        for unit in units:
            if conn.slicing is Slicing.ADMINISTRATION_PERIOD:
                for y, p in self._slices(unit, year, period):
                    parts.append(self._slice_frame(conn, unit, y, p))
            else:
                parts.append(self._unit_frame(conn, unit))
        parts = [p for p in parts if p.height]
        if not parts:
            return frames.empty(conn)
        if len(parts) == 1:
            return parts[0]
        return pl.concat(parts).sort(list(conn.key))

    def subject_file(self, subject_id: int, file_id: str) -> SubjectFile | None:
        """The PDF attached to a dossier item, or None when the item or file does not exist."""
        try:
            subject_id = int(subject_id)
        except (TypeError, ValueError):
            return None
        unit_id = subject_id // documents.SUBJECT_BLOCK
        with self._lock:
            if unit_id not in self._units:
                return None
        items = self._unit_frame(DOSSIER_ITEMS, unit_id)
        hit = items.filter((pl.col("SubjectId") == subject_id) & (pl.col("FileId") == file_id))
        if hit.height == 0:
            return None
        row = hit.row(0, named=True)
        data = documents.pdf(documents.file_text(row, self._base(unit_id)))
        return SubjectFile(filename=row["FileName"], mimetype="application/pdf", data=data)

    # ------------------------------------------------------------------ helpers for scenarios/tests

    def find_entries(self, unit_id: int, year: int, period: int) -> list[int]:
        """EntryNos currently booked in a slice, ascending."""
        self._require_unit(unit_id)
        with self._lock:
            version, ov = self._snapshot(unit_id, year, period)
        return self._lines(unit_id, year, period, version, ov).entry_numbers().tolist()

    def open_invoices(self, unit_id: int, kind: str = "receivable") -> list[str]:
        """Invoice numbers with an open balance now; kind is "receivable" or "payable"."""
        if kind not in _KINDS:
            raise ValueError(f"kind must be 'receivable' or 'payable', got {kind!r}")
        self._require_unit(unit_id)
        conn = RECEIVABLES if kind == "receivable" else PAYABLES
        return self._unit_frame(conn, unit_id)["InvoiceNr"].to_list()

    # ------------------------------------------------------------------ mutations

    def book_entry(
        self, unit_id: int, year: int | None = None, period: int | None = None, n_lines: int = 4, journal: str = "70"
    ) -> int:
        """Book a new balanced entry; by default in the open period (the one containing now).

        Its EntryDate is today when the period contains today, else the period's last day. Returns
        the new EntryNo. Raises KeyError for an unknown unit, ValueError for a period in the future,
        an unknown journal or fewer than 2 lines.
        """
        if journal not in JOURNALS:
            raise ValueError(f"unknown journal {journal!r}; expected one of {JOURNALS}")
        if n_lines < 2:
            raise ValueError(f"an entry needs at least 2 lines, got {n_lines}")
        with self._lock:
            self._require_unit(unit_id)
            now = self._tick()
            year, period, day = self._booking_target(unit_id, year, period, now)
            j = JOURNALS.index(journal)
            entry_no = self._take_entry_no(unit_id)
            rng = self._ctx.rng(unit_id, "book", entry_no)
            voucher = self._take_voucher(unit_id, year, j)
            month = from_days(day).month
            lines = overlay.new_entry(rng, entry_no, year, period, j, n_lines, day, month, voucher, to_us(now))
            self._state.upsert((unit_id, year, period), entry_no, lines, new=True)
            self._views.forget_slice(unit_id, year, period)
            return entry_no

    def change_entry(
        self,
        unit_id: int,
        entry_no: int,
        factor: Decimal | str | float = Decimal("1.1"),
        description: str | None = None,
    ) -> None:
        """Scale an entry's amounts by `factor` (> 0; the entry stays balanced) and/or set its description.

        Modified becomes now. Raises KeyError for an unknown unit or entry.
        """
        try:
            factor = Decimal(str(factor))
        except InvalidOperation:
            raise ValueError(f"factor must be a number, got {factor!r}") from None
        if factor <= 0:
            raise ValueError(f"factor must be positive, got {factor}")
        with self._lock:
            (year, period), _ = self._locate(unit_id, entry_no)
            current = self._entry_lines(unit_id, year, period, entry_no)
            now = self._tick()
            changed = overlay.scaled(current, factor, description, to_us(now))
            self._state.upsert((unit_id, year, period), entry_no, changed, new=False)
            self._views.forget_slice(unit_id, year, period)

    def delete_entry(self, unit_id: int, entry_no: int) -> None:
        """Delete an entry for good (no tombstone); its booking date shows up in the change feed.

        Raises KeyError for an unknown unit or entry.
        """
        with self._lock:
            (year, period), generated = self._locate(unit_id, entry_no)
            day = int(self._entry_lines(unit_id, year, period, entry_no).date[0])
            now = self._tick()
            self._state.delete((unit_id, year, period), entry_no, generated, day, to_us(now))
            self._views.forget_slice(unit_id, year, period)

    def rename_account(self, unit_id: int, account_no: str, description: str) -> None:
        """Give a ledger account a new description (Modified = now); period values show it too.

        Raises KeyError for an unknown unit or account.
        """
        if account_no not in ACCOUNT_INDEX:
            raise KeyError(f"administration {unit_id} has no account {account_no!r}")
        with self._lock:
            self._require_unit(unit_id)
            now = self._tick()
            self._state.rename(unit_id, ACCOUNT_INDEX[account_no], description, to_us(now))

    def add_administration(self, name: str | None = None) -> int:
        """Add an administration with generated history like the others; returns its UnitId."""
        with self._lock:
            self._tick()
            unit_id = max(self._units, default=0) + 1
            default_name, code = registers.administration_names(self._ctx, unit_id)
            self._units[unit_id] = (name or default_name, code)
            return unit_id

    def remove_administration(self, unit_id: int) -> None:
        """Delete an administration, as AFAS Online does: it leaves the list of administrations and
        every connector answers as if its rows had never been. KeyError for an unknown unit."""
        with self._lock:
            self._require_unit(unit_id)
            self._tick()
            del self._units[unit_id]

    def pay_invoice(self, unit_id: int, invoice_no: str, amount: Decimal | str | float | None = None) -> int:
        """Book a bank payment (journal 50, open period, dated today) for an open invoice.

        Args:
            amount: euros to pay (> 0, at most the open amount); None pays the whole open amount.
        Returns:
            the payment's EntryNo.
        Raises:
            KeyError: unknown unit or invoice. ValueError: nothing open or a wrong amount.
        """
        with self._lock:
            self._require_unit(unit_id)
            base = self._base(unit_id)
            i = base.invoices.find(invoice_no)
            open_cents, booked = self._open_cents(unit_id, i)
            if not booked:
                raise ValueError(f"invoice {invoice_no!r} of administration {unit_id} has no booked entry")
            if open_cents <= 0:
                raise ValueError(f"invoice {invoice_no!r} of administration {unit_id} is not open")
            cents = open_cents if amount is None else _to_cents(amount)
            if not 0 < cents <= open_cents:
                raise ValueError(f"amount must be > 0 and at most the open {open_cents / 100:.2f}, got {amount}")
            now = self._tick()
            year, period, day = self._booking_target(unit_id, None, None, now)
            entry_no = self._take_entry_no(unit_id)
            voucher = self._take_voucher(unit_id, year, BANK_JOURNAL)
            lines = overlay.payment(
                base.invoices, base.parties, i, cents, entry_no, year, period, day, voucher, to_us(now),
                self._ctx.rng(unit_id, "pay", entry_no),
            )  # fmt: skip
            self._state.upsert((unit_id, year, period), entry_no, lines, new=True)
            self._views.forget_slice(unit_id, year, period)
            return entry_no

    # ------------------------------------------------------------------ internals: state

    def _require_unit(self, unit_id: int) -> None:
        with self._lock:
            if unit_id not in self._units:
                raise KeyError(f"administration {unit_id} does not exist (have {sorted(self._units)})")

    def _tick(self) -> dt.datetime:
        """Advance the clock 1-5 s (a scenario step takes a moment) and return the new now."""
        self._state.mutations += 1
        seconds = float(self._ctx.rng("mutation", self._state.mutations).uniform(1, 5))
        return self._clock.advance(round(seconds, 6))

    def _booking_target(
        self, unit_id: int, year: int | None, period: int | None, now: dt.datetime
    ) -> tuple[int, int, int]:
        """(year, period, EntryDate in days) for a new entry; defaults to the open period."""
        fw = self._ctx.four_weekly(unit_id)
        today = now.date()
        year = today.year if year is None else year
        if period is None:
            period = period_of(today, fw) if year == today.year else period_count(fw)
        if year not in self.years(unit_id):
            raise ValueError(f"year {year} is not a fiscal year of administration {unit_id}")
        first, last = bounds_days(year, period, fw)
        if first > to_days(today):
            raise ValueError(f"period {year}-{period:02d} lies in the future (now is {now})")
        return year, period, min(last, to_days(today))

    def _take_entry_no(self, unit_id: int) -> int:
        return self._state.take_entry_no(unit_id, self._base(unit_id).next_entry)

    def _take_voucher(self, unit_id: int, year: int, journal: int) -> int:
        first_free = self._base(unit_id).next_voucher.get((year, journal), 1)
        return self._state.take_voucher(unit_id, year, journal, first_free)

    def _locate(self, unit_id: int, entry_no: int) -> tuple[Slice, bool]:
        """(slice, generated?) of an existing entry. KeyError when it does not exist (any more)."""
        self._require_unit(unit_id)
        where = self._state.new_entry_slice(unit_id, entry_no)
        if where is not None:
            return where, False
        where = self._base(unit_id).slice_of_entry(int(entry_no))
        if where is not None and not self._state.is_deleted((unit_id, *where), entry_no):
            return where, True
        raise KeyError(f"administration {unit_id} has no entry {entry_no}")

    def _entry_lines(self, unit_id: int, year: int, period: int, entry_no: int) -> LineBatch:
        version, ov = self._snapshot(unit_id, year, period)
        if entry_no in ov.upserts:
            return ov.upserts[entry_no]
        lines = self._lines(unit_id, year, period, version, ov)
        return lines.take(lines.entry == entry_no)

    def _snapshot(self, unit_id: int, year: int, period: int) -> tuple[int, overlay.SliceOverlay]:
        with self._lock:
            return self._state.snapshot((unit_id, year, period))

    def _slices(self, unit_id: int, year: int | None, period: int | None) -> list[Slice]:
        """Slices with generated or scenario data, filtered, in (year, period) order."""
        base = set(self._base(unit_id).plans)
        with self._lock:
            extra = self._state.slices_with_new_entries(unit_id)
        return sorted(s for s in base | extra if (year is None or s[0] == year) and (period is None or s[1] == period))

    def _unit_snapshot(self, unit_id: int) -> UnitSnapshot:
        with self._lock:
            return UnitSnapshot(
                self._state.unit_version(unit_id),
                tuple(self._state.unit_overlays(unit_id)),
                self._state.touched(unit_id),
                self._state.renames(unit_id),
            )

    def _lines(self, unit_id: int, year: int, period: int, version: int, ov: overlay.SliceOverlay) -> LineBatch:
        return self._views.lines(unit_id, year, period, version, ov)

    def _base(self, unit_id: int) -> UnitBase:
        return self._views.base(unit_id)

    def _slice_frame(self, conn: Connector, unit_id: int, year: int, period: int) -> pl.DataFrame:
        if conn is PERIOD_VALUES:
            # One consistent snapshot: the slice's own state, the earlier periods', the names.
            with self._lock:
                unit = self._unit_snapshot(unit_id)
                slices = [self._snapshot(unit_id, year, p) for p in range(OPENING_PERIOD, period + 1)]
            return self._views.period_values(unit_id, year, period, unit, slices)
        version, ov = self._snapshot(unit_id, year, period)
        return self._views.slice_frame(conn, unit_id, year, period, version, ov)

    def _unit_frame(self, conn: Connector, unit_id: int) -> pl.DataFrame:
        return self._views.unit_frame(conn, unit_id, self._unit_snapshot(unit_id))

    def _open_cents(self, unit_id: int, invoice: int) -> tuple[int, bool]:
        """(open amount in cents, invoice entry still booked) of one invoice."""
        lines = self._views.doc_lines(unit_id, self._unit_snapshot(unit_id))
        return invoices.open_amount(self._base(unit_id).invoices, lines, invoice)


def _to_cents(amount: Decimal | str | float) -> int:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise ValueError(f"amount must be a number, got {amount!r}") from None
    cents = value * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"amount {amount} has more than 2 decimals")
    return int(cents)
