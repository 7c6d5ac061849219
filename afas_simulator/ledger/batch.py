"""`LineBatch`: journal-entry lines as parallel numpy arrays, and how amounts are split exactly.

A batch is the generator's working form of the transactions of one slice: one array element per
entry line, amounts in integer cents, dates in days and times in microseconds since 1970 (naive,
Amsterdam local), text as positions into small tables. Frames are built from it only when a
connector asks (see `frames.py`), so a million lines cost tens of megabytes, not a million objects.

Each line also carries its allocation: up to three (cost centre, cents) pieces that add up exactly
to the line's amount, and an optional cost unit. `Profit_Transactions_Allocated` shows one row per
piece.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .chart import CENTRE_CODES, IS_PROFIT_LOSS, IS_REVENUE, JOURNALS, UNIT_CODES

MAX_PIECES = 3
NONE = -1

#: Line arrays and their dtypes; every batch holds all of them with the same length.
LINE_DTYPES: dict[str, str] = {
    "entry": "int64",  # EntryNo
    "seq": "int32",  # SeqNo, 1..n within the entry
    "year": "int16",
    "period": "int8",
    "journal": "int8",  # position in chart.JOURNALS
    "account": "int16",  # position in chart.ACCOUNTS
    "debit": "int64",  # cents, 0 on credit lines
    "credit": "int64",  # cents, 0 on debit lines
    "date": "int32",  # EntryDate, days since 1970
    "voucher_date": "int32",  # days since 1970
    "voucher": "int64",  # sequence number of the voucher within (year, journal)
    "invoice": "int32",  # position in the administration's invoice table, NONE when absent
    "vat_code": "int8",  # position in chart.VAT_CODES, NONE when absent
    "vat": "int64",  # cents, meaningful only with a VAT code
    "desc": "int32",  # position in the batch's `descriptions`
    "created": "int64",  # microseconds since 1970
    "modified": "int64",
    "alloc_n": "int8",  # allocation pieces, 1..3
    "alloc_dim": "int8",  # (n, 3): cost-centre positions, ascending, NONE when unused or absent
    "alloc_amt": "int64",  # (n, 3): cents per piece, 0 when unused
    "dim2": "int8",  # cost-unit position (revenue lines), NONE elsewhere
}


@dataclass(frozen=True)
class LineBatch:
    """Journal-entry lines of one or more entries, sorted on (EntryNo, SeqNo) unless stated otherwise."""

    entry: np.ndarray
    seq: np.ndarray
    year: np.ndarray
    period: np.ndarray
    journal: np.ndarray
    account: np.ndarray
    debit: np.ndarray
    credit: np.ndarray
    date: np.ndarray
    voucher_date: np.ndarray
    voucher: np.ndarray
    invoice: np.ndarray
    vat_code: np.ndarray
    vat: np.ndarray
    desc: np.ndarray
    created: np.ndarray
    modified: np.ndarray
    alloc_n: np.ndarray
    alloc_dim: np.ndarray
    alloc_amt: np.ndarray
    dim2: np.ndarray
    descriptions: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.entry.shape[0])

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (for the cache's size accounting)."""
        return sum(getattr(self, name).nbytes for name in LINE_DTYPES) + 64 * len(self.descriptions)

    def take(self, index: np.ndarray) -> LineBatch:
        """The lines selected by a boolean mask or an integer index, in that order."""
        arrays = {name: getattr(self, name)[index] for name in LINE_DTYPES}
        return LineBatch(**arrays, descriptions=self.descriptions)

    def replace(self, **arrays: object) -> LineBatch:
        """A copy with some arrays (or `descriptions`) replaced."""
        return dataclasses.replace(self, **arrays)

    def sorted(self) -> LineBatch:
        """The lines ordered on (EntryNo, SeqNo); returns self when already in order."""
        if len(self) < 2:
            return self
        key = (self.entry << 20) + self.seq
        if np.all(key[1:] >= key[:-1]):
            return self
        return self.take(np.argsort(key, kind="stable"))

    def compact(self) -> LineBatch:
        """The same lines with a description table holding only the texts they use."""
        used, desc = np.unique(self.desc, return_inverse=True)
        return self.replace(desc=desc.astype(np.int32), descriptions=tuple(self.descriptions[i] for i in used.tolist()))

    def entry_numbers(self) -> np.ndarray:
        """The distinct EntryNos, ascending."""
        return np.unique(self.entry)

    @staticmethod
    def empty() -> LineBatch:
        return make_batch(0)

    @staticmethod
    def concat(batches: list[LineBatch]) -> LineBatch:
        """All lines of the batches, in the given order; description tables are merged."""
        batches = [b for b in batches if len(b)]
        if not batches:
            return LineBatch.empty()
        if len(batches) == 1:
            return batches[0]
        arrays: dict[str, np.ndarray] = {}
        offsets, table = [], []
        for b in batches:
            offsets.append(len(table))
            table.extend(b.descriptions)
        for name in LINE_DTYPES:
            if name == "desc":
                arrays[name] = np.concatenate([b.desc + off for b, off in zip(batches, offsets)])
            else:
                arrays[name] = np.concatenate([getattr(b, name) for b in batches])
        return LineBatch(**arrays, descriptions=tuple(table))


def make_batch(n: int, descriptions: tuple[str, ...] = (), **arrays: object) -> LineBatch:
    """A batch of `n` lines from the given arrays (or scalars); the rest gets neutral defaults.

    Defaults: no invoice, VAT code, cost unit or allocation dims, amounts 0, one allocation piece.
    Call `allocate` (or set `alloc_amt`) afterwards to fill the pieces.
    """
    out: dict[str, np.ndarray] = {}
    for name, dtype in LINE_DTYPES.items():
        shape: tuple[int, ...] = (n, MAX_PIECES) if name in ("alloc_dim", "alloc_amt") else (n,)
        value = arrays.pop(name, None)
        if value is None:
            default = NONE if name in ("invoice", "vat_code", "alloc_dim", "dim2") else 0
            default = 1 if name == "alloc_n" else default
            out[name] = np.full(shape, default, dtype=dtype)
        else:
            out[name] = np.broadcast_to(np.asarray(value, dtype=dtype), shape).copy()
    if arrays:
        raise TypeError(f"unknown line arrays: {sorted(arrays)}")
    return LineBatch(**out, descriptions=tuple(descriptions))


def split_exact(totals: np.ndarray, weights: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Split integer totals over the members of each group in proportion to weights, exactly.

    Every member gets at least 1 cent; the rounding remainder goes to the last member of its group,
    so each group adds up to its total to the cent.

    Args:
        totals: cents per group (int64, ≥ the group's member count).
        weights: positive weight per member (float).
        groups: group number per member (int, 0..len(totals)-1); members of a group need not be
            adjacent.
    Returns:
        cents per member (int64).
    """
    n_groups = totals.shape[0]
    counts = np.bincount(groups, minlength=n_groups)
    wsum = np.bincount(groups, weights=weights, minlength=n_groups)
    spare = (totals - counts).astype(np.float64)
    parts = 1 + np.floor(spare[groups] * weights / wsum[groups]).astype(np.int64)
    given = np.bincount(groups, weights=parts, minlength=n_groups).astype(np.int64)
    last = np.full(n_groups, -1, dtype=np.int64)
    np.maximum.at(last, groups, np.arange(groups.shape[0], dtype=np.int64))
    has = last >= 0
    parts[last[has]] += (totals - given)[has]
    return parts


def allocate(batch: LineBatch, rng: np.random.Generator) -> LineBatch:
    """Give every line its allocation: P&L lines 1-3 distinct cost centres, others one empty piece.

    Revenue lines also get a cost unit (DimAx2). Pieces are ordered by cost-centre code so that the
    allocated rows come out in key order, and they add up to the line amount exactly.
    """
    n = len(batch)
    if n == 0:
        return batch
    m = len(CENTRE_CODES)
    amount = batch.debit + batch.credit
    pnl = IS_PROFIT_LOSS[batch.account]
    k = np.where(pnl, rng.choice(np.array([1, 2, 3], dtype=np.int8), size=n, p=[0.5, 0.3, 0.2]), 1)
    k = np.minimum(k, np.maximum(amount, 1)).astype(np.int8)
    # Three distinct centres without a per-line shuffle: the second skips the first, the third both.
    c0 = rng.integers(0, m, n)
    c1 = (c0 + 1 + rng.integers(0, m - 1, n)) % m
    lo, hi = np.minimum(c0, c1), np.maximum(c0, c1)
    c2 = rng.integers(0, m - 2, n)
    c2 = c2 + (c2 >= lo)
    c2 = c2 + (c2 >= hi)
    dims = np.stack([c0, c1, c2], axis=1)
    used = np.arange(MAX_PIECES)[None, :] < k[:, None]
    dims = np.where(used, dims, 127)
    dims.sort(axis=1)
    dims = np.where(used, dims, NONE)
    dims[~pnl] = NONE
    weights = rng.uniform(0.2, 1.0, (n, MAX_PIECES))
    rows, cols = np.nonzero(used)
    pieces = np.zeros((n, MAX_PIECES), dtype=np.int64)
    pieces[rows, cols] = split_exact(amount, weights[rows, cols], rows)
    dim2 = np.where(IS_REVENUE[batch.account], rng.integers(0, len(UNIT_CODES), n), NONE)
    return batch.replace(
        alloc_n=k, alloc_dim=dims.astype(np.int8), alloc_amt=pieces, dim2=dim2.astype(np.int8)
    )


def rescale_allocation(batch: LineBatch) -> LineBatch:
    """Re-split each line's pieces in their old proportions after the line amounts changed."""
    n = len(batch)
    if n == 0:
        return batch
    amount = batch.debit + batch.credit
    k = np.minimum(batch.alloc_n, np.maximum(amount, 1)).astype(np.int8)
    used = np.arange(MAX_PIECES)[None, :] < k[:, None]
    rows, cols = np.nonzero(used)
    weights = np.maximum(batch.alloc_amt[rows, cols], 1).astype(np.float64)
    pieces = np.zeros((n, MAX_PIECES), dtype=np.int64)
    pieces[rows, cols] = split_exact(amount, weights, rows)
    dims = np.where(used, batch.alloc_dim, NONE).astype(np.int8)
    return batch.replace(alloc_n=k, alloc_dim=dims, alloc_amt=pieces)


def voucher_no(year: int, journal: int, seq: int) -> str:
    """A voucher number ("boekstuknummer") like `2570000123`: year (2 digits), journal, sequence.

    `frames.transactions` builds the same text vectorised; keep the two in step.
    """
    return f"{year % 100:02d}{JOURNALS[journal]}{seq:06d}"
