"""Scenario changes kept beside the generated data, and the entry lines they create.

Generated slices are a pure function of the seed, so they can be evicted and regenerated at any
time; what scenarios did must therefore live apart from them. A `SliceOverlay` records, per slice,
which generated entries were deleted and which entries replace generated ones or are new. Applying
it to the regenerated lines gives the current state again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType

import numpy as np

from . import bulk, invoices
from .batch import NONE, LineBatch, allocate, make_batch, rescale_allocation
from .chart import BANK, BANK_JOURNAL, PAYABLES, RECEIVABLES


@dataclass(frozen=True)
class SliceOverlay:
    """Changes to one slice. Immutable: mutations build a new overlay.

    Attributes:
        deleted: EntryNos of generated entries that no longer exist.
        upserts: EntryNo → the entry's current lines, replacing a generated entry or adding one.
    """

    deleted: frozenset[int] = frozenset()
    upserts: Mapping[int, LineBatch] = field(default_factory=lambda: MappingProxyType({}))

    def __bool__(self) -> bool:
        return bool(self.deleted or self.upserts)

    def apply(self, base: LineBatch) -> LineBatch:
        """The slice's current lines: generated ones minus deleted/replaced, plus upserts, in order."""
        if not self:
            return base
        gone = np.fromiter(self.deleted | set(self.upserts), dtype=np.int64)
        kept = base.take(~np.isin(base.entry, gone))
        return LineBatch.concat([kept, *self.upserts.values()]).sorted()

    def upsert(self, entry_no: int, lines: LineBatch) -> SliceOverlay:
        """With the entry's lines set to `lines`."""
        upserts = dict(self.upserts)
        upserts[entry_no] = lines.compact()
        return SliceOverlay(self.deleted, MappingProxyType(upserts))

    def delete(self, entry_no: int, generated: bool) -> SliceOverlay:
        """Without the entry; `generated` tells whether a generated entry has to be masked."""
        upserts = dict(self.upserts)
        upserts.pop(entry_no, None)
        deleted = self.deleted | {entry_no} if generated else self.deleted
        return SliceOverlay(deleted, MappingProxyType(upserts))


def scaled(lines: LineBatch, factor: Decimal, description: str | None, now_us: int) -> LineBatch:
    """An entry's lines with amounts times `factor` (cents, half-even), still balanced to the cent.

    The rounding difference goes to the largest line on the side that is short, so every amount
    stays positive. VAT amounts scale along; allocations are re-split in their old proportions.
    """
    if factor <= 0:
        raise ValueError(f"factor must be positive, got {factor}")

    def times(cents: np.ndarray) -> np.ndarray:
        out = [int((Decimal(int(c)) * factor).to_integral_value(rounding=ROUND_HALF_EVEN)) for c in cents.tolist()]
        return np.array(out, dtype=np.int64)

    is_debit = lines.debit > 0
    amount = np.maximum(times(lines.debit + lines.credit), 1)
    debit = np.where(is_debit, amount, 0)
    credit = np.where(is_debit, 0, amount)
    diff = int(debit.sum() - credit.sum())
    if diff > 0:
        i = int(np.argmax(np.where(is_debit, -1, credit)))
        credit[i] += diff
    elif diff < 0:
        i = int(np.argmax(np.where(is_debit, debit, -1)))
        debit[i] -= diff
    changed = lines.replace(
        debit=debit,
        credit=credit,
        vat=np.where(lines.vat_code >= 0, times(lines.vat), lines.vat),
        modified=np.full(len(lines), now_us, dtype=np.int64),
    )
    if description is not None:
        changed = changed.replace(desc=np.zeros(len(lines), np.int32), descriptions=(description,))
    return rescale_allocation(changed)


def new_entry(
    rng: np.random.Generator,
    entry_no: int,
    year: int,
    period: int,
    journal: int,
    n_lines: int,
    day: int,
    month: int,
    voucher: int,
    now_us: int,
) -> LineBatch:
    """A fresh balanced entry of `n_lines` lines (≥ 2) in the style of the bulk journals.

    Args:
        rng: the entry's own stream.
        entry_no, year, period, journal (position), day (days since 1970), month (for the text),
        voucher: where it is booked.
        now_us: its Created and Modified.
    """
    if n_lines < 2:
        raise ValueError(f"an entry needs at least 2 lines, got {n_lines}")
    candidates = [i for i, t in enumerate(bulk.REGULAR) if t.journal == journal] or list(range(len(bulk.REGULAR)))
    template = int(rng.choice(candidates))
    total = max(int(bulk.REGULAR[template].scale * 100 * np.exp(rng.normal(0, 0.6))), 100 * n_lines)
    head = bulk.BulkHeaders(
        template=np.array([template]),
        journal=np.array([journal], dtype=np.int8),
        date=np.array([day], dtype=np.int32),
        created=np.array([now_us], dtype=np.int64),
        modified=np.array([now_us], dtype=np.int64),
        lines=np.array([n_lines], dtype=np.int64),
        total=np.array([total], dtype=np.int64),
        opening=False,
    )
    return bulk.lines(head, rng, rng, entry_no, year, period, month, {journal: voucher}).compact()


def payment(
    table: invoices.InvoiceTable,
    parties: invoices.Parties,
    invoice: int,
    cents: int,
    entry_no: int,
    year: int,
    period: int,
    day: int,
    voucher: int,
    now_us: int,
    rng: np.random.Generator,
) -> LineBatch:
    """A bank entry (journal 50) paying `cents` of an invoice, like the generated payments.

    Money in: debit bank, credit the customer (1300). Money out: debit the supplier (1600), credit
    bank. The collective line carries the invoice number.
    """
    sale = int(table["kind"][invoice]) == invoices.SALE
    party = int(table["party"][invoice])
    number = table.numbers[invoice]
    if sale:
        text = f"Ontvangst {number} {parties.debtor_names[party]}"
        accounts, refs = [BANK, RECEIVABLES], [NONE, invoice]
    else:
        text = f"Betaling {number} {parties.creditor_names[party]}"
        accounts, refs = [PAYABLES, BANK], [invoice, NONE]
    lines = make_batch(
        2,
        descriptions=(text,),
        entry=entry_no,
        seq=[1, 2],
        year=year,
        period=period,
        journal=BANK_JOURNAL,
        account=accounts,
        debit=[cents, 0],
        credit=[0, cents],
        date=day,
        voucher_date=day,
        voucher=voucher,
        invoice=refs,
        desc=0,
        created=now_us,
        modified=now_us,
    )
    return allocate(lines, rng)
