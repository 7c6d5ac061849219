"""Sales and purchase invoices, their payments, and the open items that follow from them.

Invoice headers are drawn per period from their own small stream and decide everything about an
invoice up front, including when (and whether) it gets paid. Payments land in the period of their
payment date, so a slice knows its bank entries from the headers of earlier periods without
generating those periods' lines. Open items are computed from the ledger lines on the collective
accounts (1300 Debiteuren, 1600 Crediteuren), so deleting, changing or paying an entry shows up in
them exactly as it would in AFAS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from catalog import PAYABLES, RECEIVABLES

from . import frames
from .batch import NONE, LineBatch, allocate, make_batch
from .bulk import clip_times
from .chart import (
    BANK,
    BANK_JOURNAL,
    CURRENCY,
    PAYABLES as PAYABLES_ACCOUNT,
    PURCHASE,
    RECEIVABLES as RECEIVABLES_ACCOUNT,
    SALES,
    VAT_HIGH,
    VAT_LOW,
    VAT_NONE,
    VAT_PAYABLE,
    VAT_RATES,
    VAT_RECEIVABLE,
    acc,
)
from .clock import US_PER_DAY
from .names import CUSTOMERS, SUPPLIERS

SALE, PURCHASE_KIND = 0, 1
DUE_DAYS = 30
#: Invoices per period and kind are capped so that big volumes go to the bulk journals instead.
MAX_INVOICES_PER_PERIOD = 300
_REVENUE_CHOICES = (
    (acc("8000"), VAT_HIGH, 0.50),
    (acc("8010"), VAT_LOW, 0.25),
    (acc("8020"), VAT_HIGH, 0.20),
    (acc("8100"), VAT_NONE, 0.05),
)
_RATES = np.array(VAT_RATES, dtype=np.int64)
_REV_ACCOUNT = np.array([c[0] for c in _REVENUE_CHOICES], dtype=np.int64)
_REV_VAT = np.array([c[1] for c in _REVENUE_CHOICES], dtype=np.int64)
_SUP_ACCOUNT = np.array([s.account for s in SUPPLIERS], dtype=np.int64)
_SUP_VAT = np.array([s.vat for s in SUPPLIERS], dtype=np.int64)


@dataclass(frozen=True)
class Parties:
    """Customers and suppliers of one administration.

    Attributes:
        debtor_ids, debtor_names: `10001`… and names.
        creditor_ids, creditor_names: `20001`… and names.
        supplier: position in `names.SUPPLIERS` per creditor.
    """

    debtor_ids: tuple[str, ...]
    debtor_names: tuple[str, ...]
    creditor_ids: tuple[str, ...]
    creditor_names: tuple[str, ...]
    supplier: tuple[int, ...]


def draw_parties(rng: np.random.Generator) -> Parties:
    """12-20 customers and 8-14 suppliers, drawn from the name lists."""
    nd = int(rng.integers(12, 21))
    nc = int(rng.integers(8, 15))
    customers = rng.permutation(len(CUSTOMERS))[:nd]
    suppliers = rng.permutation(len(SUPPLIERS))[:nc]
    return Parties(
        debtor_ids=tuple(str(10001 + i) for i in range(nd)),
        debtor_names=tuple(CUSTOMERS[i] for i in customers),
        creditor_ids=tuple(str(20001 + i) for i in range(nc)),
        creditor_names=tuple(SUPPLIERS[i].name for i in suppliers),
        supplier=tuple(int(i) for i in suppliers),
    )


#: Invoice header arrays; one element per invoice of the administration.
INVOICE_FIELDS = (
    "kind", "party", "year", "period", "invoice_date", "entry_date", "net", "vat", "vat_code",
    "account", "created", "pay1_day", "pay1_amt", "pay2_day", "pay2_amt", "blocked",
)  # fmt: skip


def draw_period(
    rng: np.random.Generator,
    parties: Parties,
    year: int,
    period: int,
    first_day: int,
    last_day: int,
    horizon_us: int,
    mean: float,
) -> dict[str, np.ndarray]:
    """Invoice headers of one period: sales first, then purchases, each by entry date.

    Args:
        rng: the period's invoice stream.
        parties: the administration's customers and suppliers.
        year, period: the slice; first_day, last_day: its dates (days since 1970, ≤ today).
        horizon_us: nothing is created after this moment.
        mean: expected invoices of each kind in this period (already scaled for a partial period).
    """
    ns = min(int(rng.poisson(mean)), MAX_INVOICES_PER_PERIOD)
    npur = min(int(rng.poisson(mean)), MAX_INVOICES_PER_PERIOD)
    n = ns + npur
    kind = np.r_[np.full(ns, SALE), np.full(npur, PURCHASE_KIND)].astype(np.int8)
    entry_date = rng.integers(first_day, last_day + 1, n)
    choice = rng.choice(len(_REVENUE_CHOICES), size=n, p=[c[2] for c in _REVENUE_CHOICES])
    debtor = rng.integers(0, len(parties.debtor_ids), n)
    creditor = rng.integers(0, len(parties.creditor_ids), n)
    supplier = np.array(parties.supplier, dtype=np.int64)[creditor]
    sale = kind == SALE
    party = np.where(sale, debtor, creditor)
    account = np.where(sale, _REV_ACCOUNT[choice], _SUP_ACCOUNT[supplier])
    vat_code = np.where(sale, _REV_VAT[choice], _SUP_VAT[supplier])
    # Suppliers' invoices are booked a few days after they were written.
    invoice_date = np.where(sale, entry_date, entry_date - rng.integers(0, 6, n))
    net = (np.where(sale, 80_000, 40_000) * np.exp(rng.normal(0, 0.8, n))).astype(np.int64) + 500
    vat = (net * _RATES[vat_code] + 50) // 100
    base = entry_date.astype(np.int64) * US_PER_DAY
    created = clip_times(rng, base, base + (rng.uniform(8, 18, n) * US_PER_DAY / 24).astype(np.int64), horizon_us)
    gross = net + vat
    # Payment behaviour: most pay within two months, some late, a few in two parts, a few never.
    u = rng.random(n)
    never, partial, slow = u < 0.04, (u >= 0.04) & (u < 0.11), (u >= 0.11) & (u < 0.16)
    delay = np.where(sale, rng.integers(7, 61, n), rng.integers(14, 46, n))
    delay = np.where(slow, rng.integers(60, 201, n), delay)
    share = np.where(partial, rng.uniform(0.3, 0.8, n), 1.0)
    pay1_amt = np.where(never, 0, np.maximum(1, (gross * share).astype(np.int64)))
    pay1_day = np.where(never, NONE, invoice_date + delay)
    pay2_amt = np.where(partial, gross - pay1_amt, 0)
    pay2_day = np.where(partial, pay1_day + rng.integers(20, 91, n), NONE)
    order = np.lexsort((entry_date, kind))
    out = {
        "kind": kind,
        "party": party,
        "year": np.full(n, year),
        "period": np.full(n, period),
        "invoice_date": invoice_date,
        "entry_date": entry_date,
        "net": net,
        "vat": vat,
        "vat_code": vat_code,
        "account": account,
        "created": created,
        "pay1_day": pay1_day,
        "pay1_amt": pay1_amt,
        "pay2_day": pay2_day,
        "pay2_amt": pay2_amt,
        "blocked": never & ~sale,
    }
    return {k: np.asarray(v, dtype=bool if k == "blocked" else np.int64)[order] for k, v in out.items()}


@dataclass(frozen=True)
class InvoiceTable:
    """All invoices of one administration (arrays named in `INVOICE_FIELDS`) plus their numbers.

    Attributes:
        numbers: invoice numbers, `2025-000123` for sales, supplier prefix + digits for purchases.
        entry_no: EntryNo of each invoice's journal entry.
        voucher: voucher sequence of that entry.
    """

    arrays: dict[str, np.ndarray]
    numbers: pl.Series
    entry_no: np.ndarray
    voucher: np.ndarray

    def __len__(self) -> int:
        return int(self.numbers.len())

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    def find(self, number: str) -> int:
        """Position of an invoice number. Raises KeyError when unknown."""
        hits = np.flatnonzero((self.numbers == number).to_numpy())
        if hits.size == 0:
            raise KeyError(f"no invoice {number!r}")
        return int(hits[0])


def number_invoices(arrays: dict[str, np.ndarray], parties: Parties) -> list[str]:
    """Sales numbers run per year (`2025-000001`…); purchase numbers carry the supplier's prefix."""
    numbers: list[str] = []
    counters: dict[tuple[int, int], int] = {}
    for kind, year, party in zip(arrays["kind"].tolist(), arrays["year"].tolist(), arrays["party"].tolist()):
        seq = counters[(kind, year)] = counters.get((kind, year), 0) + 1
        if kind == SALE:
            numbers.append(f"{year}-{seq:06d}")
        else:
            prefix = SUPPLIERS[parties.supplier[party]].prefix
            numbers.append(f"{prefix}{year % 100:02d}{seq:05d}")
    return numbers


def payments(
    table_arrays: dict[str, np.ndarray], today: int, horizon_us: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Payments booked up to today: (invoice, day, cents, created), ordered by day then invoice."""
    inv = np.arange(table_arrays["kind"].shape[0])
    invoice = np.r_[inv, inv]
    day = np.r_[table_arrays["pay1_day"], table_arrays["pay2_day"]]
    amount = np.r_[table_arrays["pay1_amt"], table_arrays["pay2_amt"]]
    keep = (day != NONE) & (day <= today) & (amount > 0)
    invoice, day, amount = invoice[keep], day[keep], amount[keep]
    order = np.lexsort((invoice, day))
    invoice, day, amount = invoice[order], day[order], amount[order]
    base = day.astype(np.int64) * US_PER_DAY
    # Bank statements are imported the next morning or so.
    wanted = base + (rng.uniform(6, 30, day.shape[0]) * US_PER_DAY / 24).astype(np.int64)
    created = clip_times(rng, base, wanted, horizon_us)
    return {"invoice": invoice, "day": day, "amount": amount, "created": created}


def doc_lines(
    table: InvoiceTable,
    descriptions: list[str],
    sales: np.ndarray,
    purchases: np.ndarray,
    pays: dict[str, np.ndarray],
    pay_entry: np.ndarray,
    pay_voucher: np.ndarray,
    year: int,
    period: int,
    rng_alloc: np.random.Generator,
) -> LineBatch:
    """The invoice and payment entries of one slice as lines.

    Args:
        table: the administration's invoices (entry numbers and vouchers already assigned).
        descriptions: one description per entry: sales, then purchases, then payments.
        sales, purchases: invoice positions booked in this slice.
        pays: this slice's payments (arrays as returned by `payments`, filtered).
        pay_entry, pay_voucher: EntryNo and voucher sequence per payment.
        year, period: the slice.
        rng_alloc: the slice's allocation stream for these lines.
    """
    a = table.arrays
    parts: list[LineBatch] = []
    desc_pos = 0
    for inv, journal, collective, vat_account, sign in (
        (sales, SALES, RECEIVABLES_ACCOUNT, VAT_PAYABLE, 1),
        (purchases, PURCHASE, PAYABLES_ACCOUNT, VAT_RECEIVABLE, -1),
    ):
        k = inv.shape[0]
        desc = np.arange(desc_pos, desc_pos + k)
        desc_pos += k
        if k == 0:
            continue
        common = {
            "entry": table.entry_no[inv], "year": year, "period": period, "journal": journal,
            "date": a["entry_date"][inv], "voucher_date": a["invoice_date"][inv],
            "voucher": table.voucher[inv], "desc": desc, "created": a["created"][inv],
            "modified": a["created"][inv],
        }  # fmt: skip
        net, vat = a["net"][inv], a["vat"][inv]
        gross = net + vat
        # Sales: debit the customer, credit revenue and VAT. Purchases mirror that.
        head = make_batch(k, seq=1, account=collective, invoice=inv, **_side(gross, sign > 0), **common)
        body = make_batch(k, seq=2, account=a["account"][inv], vat_code=a["vat_code"][inv], vat=vat,
                          **_side(net, sign < 0), **common)  # fmt: skip
        has_vat = vat > 0
        tail = make_batch(k, seq=3, account=vat_account, vat_code=a["vat_code"][inv], vat=vat,
                          **_side(vat, sign < 0), **common).take(has_vat)  # fmt: skip
        parts += [head, body, tail]
    k = pays["invoice"].shape[0]
    if k:
        inv = pays["invoice"]
        sale = a["kind"][inv] == SALE
        common = {
            "entry": pay_entry, "year": year, "period": period, "journal": BANK_JOURNAL,
            "date": pays["day"], "voucher_date": pays["day"], "voucher": pay_voucher,
            "desc": np.arange(desc_pos, desc_pos + k), "created": pays["created"], "modified": pays["created"],
        }  # fmt: skip
        amt = pays["amount"]
        collective = np.where(sale, RECEIVABLES_ACCOUNT, PAYABLES_ACCOUNT)
        # Money in: debit bank, credit the customer. Money out: debit the supplier, credit bank.
        bank = make_batch(k, seq=np.where(sale, 1, 2), account=BANK, **_side(amt, sale), **common)
        party = make_batch(k, seq=np.where(sale, 2, 1), account=collective, invoice=inv, **_side(amt, ~sale), **common)
        parts += [bank, party]
    batch = LineBatch.concat(parts).replace(descriptions=tuple(descriptions))
    return allocate(batch.sorted(), rng_alloc)


def _side(cents: np.ndarray, debit: np.ndarray | bool) -> dict[str, np.ndarray]:
    return {"debit": np.where(debit, cents, 0), "credit": np.where(debit, 0, cents)}


def open_items(kind: int, unit_id: int, table: InvoiceTable, parties: Parties, lines: LineBatch) -> pl.DataFrame:
    """Outstanding receivables (kind SALE) or payables as of now, from the lines on 1300/1600.

    Balance is what is still open (positive = still to receive/pay); AmtInvoice is the gross amount
    of the invoice entry. Invoices whose entry was deleted, or that are settled, are left out.
    """
    connector = RECEIVABLES if kind == SALE else PAYABLES
    collective = RECEIVABLES_ACCOUNT if kind == SALE else PAYABLES_ACCOUNT
    journal = SALES if kind == SALE else PURCHASE
    sel = (lines.account == collective) & (lines.invoice >= 0)
    inv = lines.invoice[sel].astype(np.int64)
    sign = 1 if kind == SALE else -1
    net = sign * (lines.debit[sel] - lines.credit[sel])
    from_invoice = lines.journal[sel] == journal
    gross_line = np.where(from_invoice, lines.debit[sel] + lines.credit[sel], 0)
    size = len(table)
    balance = np.bincount(inv, weights=net, minlength=size).astype(np.int64)
    gross = np.bincount(inv, weights=gross_line, minlength=size).astype(np.int64)
    booked = np.bincount(inv, weights=from_invoice, minlength=size) > 0
    a = table.arrays
    keep = np.flatnonzero(booked & (balance != 0) & (a["kind"] == kind))
    party = a["party"][keep]
    ids = parties.debtor_ids if kind == SALE else parties.creditor_ids
    names = parties.debtor_names if kind == SALE else parties.creditor_names
    numbers = table.numbers.gather(pl.Series(keep))
    cols: dict[str, object] = {
        "UnitId": unit_id,
        "InvoiceNr": numbers,
        "InvoiceDate": frames.dates(a["invoice_date"][keep]),
        "ExpDate": frames.dates(a["invoice_date"][keep] + DUE_DAYS),
        "CurrencyId": CURRENCY,
        "AmtInvoice": frames.money(gross[keep]),
        "AmtInvoiceCurr": frames.money(gross[keep]),
        "Balance": frames.money(balance[keep]),
        "BalanceCurr": frames.money(balance[keep]),
        "Description": pl.select(pl.lit("Factuur ") + numbers).to_series(),
    }
    if kind == SALE:
        cols["DebtorId"] = frames.lookup(ids, party)
        cols["DebtorName"] = frames.lookup(names, party)
    else:
        cols["CreditorId"] = frames.lookup(ids, party)
        cols["CreditorName"] = frames.lookup(names, party)
        cols["Blocked"] = a["blocked"][keep]
    df = frames.typed(connector, keep.shape[0], cols)
    return df.sort(list(connector.key))


def open_amount(table: InvoiceTable, lines: LineBatch, invoice: int) -> tuple[int, bool]:
    """(cents still open, invoice entry still booked) of one invoice, from the collective lines."""
    sale = int(table["kind"][invoice]) == SALE
    collective = RECEIVABLES_ACCOUNT if sale else PAYABLES_ACCOUNT
    sel = (lines.invoice == invoice) & (lines.account == collective)
    net = int(lines.debit[sel].sum() - lines.credit[sel].sum())
    booked = bool((lines.journal[sel] == (SALES if sale else PURCHASE)).any())
    return (net if sale else -net), booked
