"""One administration's skeleton: its slices, numbering, invoices and invoice entries.

`UnitBase` is everything about an administration that is small enough to keep for good and that
other slices depend on: which slices exist up to the generation horizon, where each slice's
EntryNos and voucher numbers start, all invoice headers and their entries, the payments, and the
last change per booking date. The bulk lines of a slice are generated only when asked for (see
`slice_lines`), from the plan kept here.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from afas_simulator.config import LedgerSpec

from . import bulk, invoices
from .batch import LineBatch
from .chart import BANK_JOURNAL, PURCHASE, SALES
from .clock import from_days, to_days, to_us
from .periods import OPENING_PERIOD, bounds_days, period_count, periods_of_days
from .rand import stream

Slice = tuple[int, int]


@dataclass(frozen=True)
class Context:
    """What every generated fact depends on: seed, environment key, spec and generation horizon.

    Attributes:
        seed: the simulator seed.
        env_key: the environment's key (e.g. its member number); different keys, different books.
        spec: sizes and shapes.
        horizon: the clock's "now" when the ledger was created; generated data stops here and
            later data only comes from scenario mutations.
    """

    seed: int
    env_key: str
    spec: LedgerSpec
    horizon: dt.datetime

    def rng(self, *parts: object) -> np.random.Generator:
        """The named random stream of this environment."""
        return stream(self.seed, self.env_key, *parts)

    @property
    def horizon_us(self) -> int:
        return to_us(self.horizon)

    @property
    def today(self) -> int:
        """The horizon's date, days since 1970."""
        return to_days(self.horizon.date())

    def four_weekly(self, unit_id: int) -> bool:
        return unit_id in self.spec.four_weekly_units

    def base_slices(self, unit_id: int) -> list[Slice]:
        """Slices with generated data, in (year, period) order: none after the horizon's period."""
        out: list[Slice] = []
        fw = self.four_weekly(unit_id)
        for year in range(self.spec.first_year, self.horizon.year + 1):
            if unit_id in self.spec.opening_balance_units:
                out.append((year, OPENING_PERIOD))
            for period in range(1, period_count(fw) + 1):
                if bounds_days(year, period, fw)[0] > self.today:
                    break
                out.append((year, period))
        return out


@dataclass(frozen=True)
class SlicePlan:
    """Where a slice's entries start and how many there are.

    Attributes:
        first_day, last_day: dates entries may carry (days since 1970); last_day ≤ the horizon.
        entry_base: EntryNo of the slice's first entry; invoice and payment entries come first,
            then `n_bulk` bulk entries.
        n_doc: invoice and payment entries.
        bulk_lines: lines of the bulk entries.
        bulk_voucher: first voucher sequence per journal position for the bulk entries.
    """

    year: int
    period: int
    first_day: int
    last_day: int
    entry_base: int
    n_doc: int
    n_bulk: int
    bulk_lines: int
    bulk_voucher: dict[int, int]

    @property
    def entry_end(self) -> int:
        """One past the last EntryNo of the slice."""
        return self.entry_base + self.n_doc + self.n_bulk


@dataclass(frozen=True)
class UnitBase:
    """The generated skeleton of one administration (see module docstring)."""

    unit_id: int
    four_weekly: bool
    parties: invoices.Parties
    invoices: invoices.InvoiceTable
    plans: dict[Slice, SlicePlan]
    doc: dict[Slice, LineBatch]
    next_entry: int
    next_voucher: dict[tuple[int, int], int]
    changed_days: np.ndarray
    changed_us: np.ndarray

    def slice_of_entry(self, entry_no: int) -> Slice | None:
        """The slice a generated EntryNo belongs to, or None."""
        plans = list(self.plans.values())
        starts = [p.entry_base for p in plans]
        i = bisect.bisect_right(starts, entry_no) - 1
        if i >= 0 and entry_no < plans[i].entry_end:
            return plans[i].year, plans[i].period
        return None

    def all_doc_lines(self) -> LineBatch:
        """Invoice and payment lines of every slice (what the open items are computed from)."""
        return LineBatch.concat(list(self.doc.values()))


def _mean_invoices(spec: LedgerSpec) -> float:
    # About a third of a normal period's lines are invoices, a sixth payments; the rest is bulk.
    return max(0.5, spec.lines_per_period / 20)


def build_unit(ctx: Context, unit_id: int) -> UnitBase:
    """Generate an administration's skeleton; cheap even when a slice holds a million lines."""
    spec, today, horizon_us = ctx.spec, ctx.today, ctx.horizon_us
    fw = ctx.four_weekly(unit_id)
    slices = ctx.base_slices(unit_id)
    parties = invoices.draw_parties(ctx.rng(unit_id, "parties"))
    bounds: dict[Slice, tuple[int, int, float]] = {}
    drawn = []
    for year, period in slices:
        first, end = bounds_days(year, period, fw)
        last = min(end, today)
        bounds[(year, period)] = (first, last, (last - first + 1) / (end - first + 1))
        if period != OPENING_PERIOD:
            rng = ctx.rng(unit_id, year, period, "invoices")
            frac = bounds[(year, period)][2]
            mean = _mean_invoices(spec) * frac
            drawn.append(invoices.draw_period(rng, parties, year, period, first, last, horizon_us, mean))
    arrays = {
        k: np.concatenate([d[k] for d in drawn]) if drawn else np.zeros(0, np.int64) for k in invoices.INVOICE_FIELDS
    }
    numbers = invoices.number_invoices(arrays, parties)
    pays = invoices.payments(arrays, today, horizon_us, ctx.rng(unit_id, "payments"))
    pay_year, pay_period = periods_of_days(pays["day"], fw)
    n_inv = len(numbers)
    entry_no = np.zeros(n_inv, np.int64)
    voucher = np.zeros(n_inv, np.int64)
    pay_entry = np.zeros(pays["day"].shape[0], np.int64)
    pay_voucher = np.zeros_like(pay_entry)
    vouchers: dict[tuple[int, int], int] = {}
    plans: dict[Slice, SlicePlan] = {}
    slice_parts: dict[Slice, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    changed_days, changed_us = [], []
    next_entry = 1

    def take_vouchers(year: int, journal: int, count: int) -> np.ndarray:
        start = vouchers.get((year, journal), 1)
        vouchers[(year, journal)] = start + count
        return start + np.arange(count)

    for year, period in slices:
        first, last, frac = bounds[(year, period)]
        in_slice = (arrays["year"] == year) & (arrays["period"] == period)
        sales = np.flatnonzero(in_slice & (arrays["kind"] == invoices.SALE))
        purchases = np.flatnonzero(in_slice & (arrays["kind"] == invoices.PURCHASE_KIND))
        paid = np.flatnonzero((pay_year == year) & (pay_period == period))
        slice_parts[(year, period)] = (sales, purchases, paid)
        n_doc = sales.size + purchases.size + paid.size
        entry_no[sales] = next_entry + np.arange(sales.size)
        entry_no[purchases] = next_entry + sales.size + np.arange(purchases.size)
        pay_entry[paid] = next_entry + sales.size + purchases.size + np.arange(paid.size)
        voucher[sales] = take_vouchers(year, SALES, sales.size)
        voucher[purchases] = take_vouchers(year, PURCHASE, purchases.size)
        pay_voucher[paid] = take_vouchers(year, BANK_JOURNAL, paid.size)
        doc_lines = int(2 * n_doc + (arrays["vat"][np.r_[sales, purchases]] > 0).sum())
        big = spec.big_slices.get((unit_id, year, period))
        if big is not None:
            bulk_lines = max(0, big - doc_lines)
        elif period == OPENING_PERIOD:
            bulk_lines = max(8, spec.lines_per_period // 3)
        else:
            size = ctx.rng(unit_id, year, period, "size").uniform(0.8, 1.2)
            bulk_lines = max(0, round(spec.lines_per_period * size * frac) - doc_lines)
        bulk_lines = 2 if bulk_lines == 1 else bulk_lines
        head = _bulk_headers(ctx, unit_id, year, period, first, last, bulk_lines)
        counts = bulk.journal_counts(head)
        bulk_voucher = {j: int(take_vouchers(year, j, c)[0]) for j, c in counts.items()}
        plans[(year, period)] = SlicePlan(
            year, period, first, last, next_entry, n_doc, head.template.shape[0], bulk_lines, bulk_voucher
        )
        next_entry += n_doc + head.template.shape[0]
        changed_days += [head.date, arrays["entry_date"][np.r_[sales, purchases]], pays["day"][paid]]
        changed_us += [head.modified, arrays["created"][np.r_[sales, purchases]], pays["created"][paid]]

    table = invoices.InvoiceTable(arrays, pl.Series("InvoiceId", numbers, dtype=pl.String), entry_no, voucher)
    doc = {}
    for (year, period), (sales, purchases, paid) in slice_parts.items():
        texts = _doc_descriptions(table, parties, pays, sales, purchases, paid)
        sel = {k: v[paid] for k, v in pays.items()}
        rng = ctx.rng(unit_id, year, period, "doc-alloc")
        doc[(year, period)] = invoices.doc_lines(
            table, texts, sales, purchases, sel, pay_entry[paid], pay_voucher[paid], year, period, rng
        )
    days, last_us = _max_per_day(
        np.concatenate(changed_days or [np.zeros(0)]), np.concatenate(changed_us or [np.zeros(0)])
    )
    return UnitBase(unit_id, fw, parties, table, plans, doc, next_entry, vouchers, days, last_us)


def _bulk_headers(
    ctx: Context, unit_id: int, year: int, period: int, first: int, last: int, n_lines: int
) -> bulk.BulkHeaders:
    rng = ctx.rng(unit_id, year, period, "bulk-headers")
    return bulk.headers(rng, n_lines, first, last, ctx.horizon_us, opening=period == OPENING_PERIOD)


def slice_lines(ctx: Context, base: UnitBase, year: int, period: int) -> LineBatch:
    """All generated lines of a slice (invoices and payments first, then bulk), sorted on EntryNo."""
    plan = base.plans.get((year, period))
    if plan is None:
        return LineBatch.empty()
    head = _bulk_headers(ctx, base.unit_id, year, period, plan.first_day, plan.last_day, plan.bulk_lines)
    mid = from_days((plan.first_day + plan.last_day) // 2)
    lines = bulk.lines(
        head,
        ctx.rng(base.unit_id, year, period, "bulk-lines"),
        ctx.rng(base.unit_id, year, period, "bulk-alloc"),
        plan.entry_base + plan.n_doc,
        year,
        period,
        mid.month,
        plan.bulk_voucher,
    )
    return LineBatch.concat([base.doc[(year, period)], lines])


def _doc_descriptions(table, parties, pays, sales, purchases, paid) -> list[str]:
    nos = table.numbers.to_list()
    party = table["party"]
    out = [f"Factuur {nos[i]} {parties.debtor_names[party[i]]}" for i in sales.tolist()]
    out += [f"Inkoopfactuur {nos[i]} {parties.creditor_names[party[i]]}" for i in purchases.tolist()]
    for i in pays["invoice"][paid].tolist():
        if table["kind"][i] == invoices.SALE:
            out.append(f"Ontvangst {nos[i]} {parties.debtor_names[party[i]]}")
        else:
            out.append(f"Betaling {nos[i]} {parties.creditor_names[party[i]]}")
    return out


def _max_per_day(days: np.ndarray, us: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if days.size == 0:
        return np.zeros(0, np.int32), np.zeros(0, np.int64)
    days = days.astype(np.int64)
    us = us.astype(np.int64)
    order = np.lexsort((us, days))
    days, us = days[order], us[order]
    last = np.r_[days[1:] != days[:-1], True]
    return days[last].astype(np.int32), us[last]
