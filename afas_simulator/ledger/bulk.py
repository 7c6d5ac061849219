"""The bulk of a slice: memorial, bank and opening-balance entries, generated vectorised.

Bulk entries carry no invoices, so nothing outside their own slice depends on their lines. That
lets a slice grow to a million lines without any other slice (or the open items) noticing. The
generation has two stages with separate random streams: entry headers (journal, date, times, line
count, total) are cheap and are also what the change feed and the numbering need; lines follow
from the headers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .batch import LineBatch, allocate, make_batch, split_exact
from .chart import BANK_JOURNAL, CORRECTIONS, MEMORIAL, acc
from .clock import US_PER_DAY, from_days, summer_time_changes, to_days, to_us
from .names import MONTHS


@dataclass(frozen=True)
class Template:
    """A kind of bulk entry: journal, description, accounts per side and typical size.

    Attributes:
        journal: position in `chart.JOURNALS`.
        text: description; `{maand}` and `{jaar}` are filled in.
        debit: account numbers debit lines draw from.
        credit: account numbers credit lines draw from.
        scale: typical entry total in euros (lognormal around it).
        weight: relative frequency among the templates.
    """

    journal: int
    text: str
    debit: tuple[str, ...]
    credit: tuple[str, ...]
    scale: float
    weight: float


_COSTS = ("4300", "4310", "4320", "4900")
_REVENUE = ("8000", "8010", "8020")
REGULAR: tuple[Template, ...] = (
    Template(MEMORIAL, "Salarisjournaal {maand} {jaar}", ("4000", "4010", "4020"), ("1700", "1710"), 12_000, 4),
    Template(MEMORIAL, "Afschrijvingen {maand} {jaar}", ("4500",), ("0110", "0210", "0310"), 2_500, 2),
    Template(MEMORIAL, "Overlopende posten {maand} {jaar}", ("4100", "4110", "4700", "4800"), ("1800",), 1_500, 2),
    Template(MEMORIAL, "Vooruitbetaalde kosten {maand} {jaar}", ("1400",), ("4700", "4320"), 800, 1),
    Template(MEMORIAL, "Voorraadmutatie {maand} {jaar}", ("3000",), ("4900",), 2_000, 1),
    Template(CORRECTIONS, "Correctie kostenverdeling", _COSTS, _COSTS, 300, 1),
    Template(CORRECTIONS, "Herrubricering omzet", _REVENUE, _REVENUE, 600, 0.5),
    Template(BANK_JOURNAL, "Bankkosten {maand} {jaar}", ("4600",), ("1100",), 40, 2),
    Template(BANK_JOURNAL, "Kasstorting", ("1100",), ("1000",), 900, 2),
    Template(BANK_JOURNAL, "Pinontvangsten", ("1100",), ("8000", "8010", "8900"), 1_500, 3),
    Template(BANK_JOURNAL, "Betaling loonheffing", ("1700",), ("1100",), 5_000, 1),
    Template(BANK_JOURNAL, "Betaling nettolonen", ("1710",), ("1100",), 9_000, 1.5),
    Template(BANK_JOURNAL, "Afdracht btw", ("1520",), ("1100",), 6_000, 0.5),
    Template(BANK_JOURNAL, "Overboeking spaarrekening", ("1110",), ("1100",), 5_000, 0.5),
)
OPENING: tuple[Template, ...] = (
    Template(
        CORRECTIONS,
        "Openingsbalans {jaar}",
        ("0100", "0200", "0300", "1000", "1100", "1110", "1400", "3000"),
        ("0110", "0210", "0310", "0500", "0550", "0700", "1700", "1800"),
        80_000,
        1,
    ),
)


class _Family:
    """Templates as padded arrays, so a line's account is one fancy-indexing lookup."""

    def __init__(self, templates: tuple[Template, ...]) -> None:
        self.templates = templates
        width = max(max(len(t.debit), len(t.credit)) for t in templates)
        self.pools = np.zeros((len(templates), 2, width), dtype=np.int16)
        self.sizes = np.zeros((len(templates), 2), dtype=np.int64)
        for i, t in enumerate(templates):
            for side, nos in enumerate((t.debit, t.credit)):
                self.pools[i, side, : len(nos)] = [acc(no) for no in nos]
                self.sizes[i, side] = len(nos)
        w = np.array([t.weight for t in templates], dtype=np.float64)
        self.p = w / w.sum()
        self.journal = np.array([t.journal for t in templates], dtype=np.int8)
        self.scale_cents = np.array([t.scale * 100 for t in templates], dtype=np.float64)

    def descriptions(self, year: int, month: int) -> tuple[str, ...]:
        return tuple(t.text.format(maand=MONTHS[month - 1], jaar=year) for t in self.templates)


_REGULAR = _Family(REGULAR)
_OPENING = _Family(OPENING)


def entries_for(n_lines: int, opening: bool) -> int:
    """How many entries `n_lines` bulk lines form (≥ 2 lines each; opening entries are larger)."""
    if n_lines < 2:
        return 0
    return max(1, n_lines // (12 if opening else 4))


@dataclass(frozen=True)
class BulkHeaders:
    """Entry-level facts of a slice's bulk entries, ordered by entry date.

    Attributes:
        template: template position per entry.
        journal: journal position per entry.
        date: entry date, days since 1970.
        created: creation time, microseconds since 1970 (≤ the generation horizon).
        modified: last change, microseconds (≥ created, ≤ the horizon).
        lines: line count per entry (≥ 2); they add up to the slice's bulk line count.
        total: debit total (= credit total) per entry, cents.
        opening: whether these are opening-balance entries.
    """

    template: np.ndarray
    journal: np.ndarray
    date: np.ndarray
    created: np.ndarray
    modified: np.ndarray
    lines: np.ndarray
    total: np.ndarray
    opening: bool


def clip_times(rng: np.random.Generator, base_us: np.ndarray, wanted_us: np.ndarray, horizon_us: int) -> np.ndarray:
    """`wanted_us` where it is not after the horizon, else a random moment between base and horizon."""
    late = wanted_us > horizon_us
    if not late.any():
        return wanted_us
    room = np.maximum(horizon_us - base_us, 0)
    fallback = base_us + (rng.random(base_us.shape[0]) * room).astype(np.int64)
    return np.where(late, fallback, wanted_us)


#: Minutes past 02:00 at which AFAS's night run ("taakplanner") books its automatic entries on the
#: night summer time ends: the hour 02:00–03:00 happens twice then, and these print the same either way.
_NIGHT_RUN_MINUTES = (17, 43)


def _night_run_in_the_repeated_hour(
    created: np.ndarray, date: np.ndarray, first_day: int, last_day: int, horizon_us: int
) -> np.ndarray:
    """The entries dated nearest to the autumn change get created in its repeated hour (if within the slice)."""
    first, last = from_days(first_day), from_days(last_day)
    for year in range(first.year, last.year + 1):
        _, autumn = summer_time_changes(year)
        if not (first <= autumn <= last) or created.shape[0] == 0:
            continue
        # Entries dated on or before that day (an entry is never created before its booking date).
        distance = to_days(autumn) - date.astype(np.int64)
        candidates = np.flatnonzero(distance >= 0)
        nearest = candidates[np.argsort(distance[candidates], kind="stable")][: len(_NIGHT_RUN_MINUTES)]
        created = created.copy()
        for i, minutes in zip(nearest.tolist(), _NIGHT_RUN_MINUTES):
            when = to_us(dt.datetime.combine(autumn, dt.time(2, minutes)))
            if when <= horizon_us:
                created[i] = when
    return created


def headers(
    rng: np.random.Generator,
    n_lines: int,
    first_day: int,
    last_day: int,
    horizon_us: int,
    opening: bool,
) -> BulkHeaders:
    """Draw the bulk entries of a slice.

    Args:
        rng: the slice's header stream.
        n_lines: bulk lines wanted (the headers' line counts add up to exactly this, or 0 when < 2).
        first_day: first allowed entry date (days since 1970).
        last_day: last allowed entry date, inclusive (never after "now").
        horizon_us: nothing is created or modified after this moment.
        opening: opening-balance entries (dated `first_day`, created weeks later).
    """
    family = _OPENING if opening else _REGULAR
    n = entries_for(n_lines, opening)
    template = rng.choice(len(family.templates), size=n, p=family.p)
    date = rng.integers(first_day, last_day + 1, n).astype(np.int32)
    order = np.argsort(date, kind="stable")
    template, date = template[order], date[order]
    base = date.astype(np.int64) * US_PER_DAY
    if opening:
        offset = rng.uniform(10, 60, n) * US_PER_DAY
    else:
        offset = rng.uniform(7, 7 + 72, n) * (US_PER_DAY / 24)
    created = clip_times(rng, base, base + offset.astype(np.int64), horizon_us)
    if not opening:
        created = _night_run_in_the_repeated_hour(created, date, first_day, last_day, horizon_us)
    later = rng.random(n) < 0.08
    edit = (rng.uniform(1 / 24, 30, n) * US_PER_DAY).astype(np.int64)
    modified = np.where(later, clip_times(rng, created, created + edit, horizon_us), created)
    lines = np.full(n, 2, dtype=np.int64)
    if n:
        lines += np.bincount(rng.integers(0, n, n_lines - 2 * n), minlength=n)
    sigma = rng.normal(0.0, 0.6, n)
    total = (family.scale_cents[template] * np.exp(sigma)).astype(np.int64)
    total = np.maximum(total, 100 * lines)
    return BulkHeaders(
        template=template,
        journal=family.journal[template],
        date=date,
        created=created,
        modified=modified,
        lines=lines,
        total=total,
        opening=opening,
    )


def lines(
    head: BulkHeaders,
    rng_lines: np.random.Generator,
    rng_alloc: np.random.Generator,
    entry_base: int,
    year: int,
    period: int,
    month: int,
    voucher_base: dict[int, int],
) -> LineBatch:
    """The lines of the bulk entries, numbered from `entry_base`, balanced per entry, allocated.

    Args:
        head: the slice's bulk headers.
        rng_lines: the slice's line stream; rng_alloc: its allocation stream.
        entry_base: EntryNo of the first bulk entry.
        year, period: the slice.
        month: calendar month used in descriptions (1-12).
        voucher_base: first voucher sequence number per journal position for this slice's bulk.
    """
    family = _OPENING if head.opening else _REGULAR
    n = head.template.shape[0]
    total_lines = int(head.lines.sum())
    ent = np.repeat(np.arange(n, dtype=np.int64), head.lines)
    starts = np.cumsum(head.lines) - head.lines
    pos = np.arange(total_lines, dtype=np.int64) - starts[ent]
    # The first line debits and the second credits, so both sides always exist.
    credit_side = (pos == 1) | ((pos >= 2) & (rng_lines.random(total_lines) < 0.5))
    tmpl = head.template[ent]
    side = credit_side.astype(np.int64)
    pick = (rng_lines.random(total_lines) * family.sizes[tmpl, side]).astype(np.int64)
    account = family.pools[tmpl, side, pick]
    weights = rng_lines.uniform(0.2, 1.0, total_lines)
    amount = split_exact(np.repeat(head.total, 2), weights, ent * 2 + side)
    voucher = np.zeros(n, dtype=np.int64)
    for j in np.unique(head.journal):
        mask = head.journal == j
        voucher[mask] = voucher_base.get(int(j), 1) + np.arange(int(mask.sum()))
    batch = make_batch(
        total_lines,
        descriptions=family.descriptions(year, month),
        entry=entry_base + ent,
        seq=pos + 1,
        year=year,
        period=period,
        journal=head.journal[ent],
        account=account,
        debit=np.where(credit_side, 0, amount),
        credit=np.where(credit_side, amount, 0),
        date=head.date[ent],
        voucher_date=head.date[ent],
        voucher=voucher[ent],
        desc=tmpl,
        created=head.created[ent],
        modified=head.modified[ent],
    )
    return allocate(batch, rng_alloc)


def journal_counts(head: BulkHeaders) -> dict[int, int]:
    """Entries per journal position (for voucher numbering of later slices)."""
    values, counts = np.unique(head.journal, return_counts=True)
    return {int(v): int(c) for v, c in zip(values, counts)}
