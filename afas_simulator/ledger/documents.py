"""Dossier items (`Visionplanner_dossieritems`) and the PDF files attached to them.

Every sales and purchase invoice has a dossier item with the invoice as PDF, linked to its journal
entry (FiEntryNumber), voucher (BookPieceNumber) and invoice number; some purchase invoices also
carry a packing slip as a second file. Each closed period adds a bank statement that is linked to
no entry. Files are generated on request: small, valid PDFs whose text names the invoice.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from catalog import DOSSIER_ITEMS

from . import frames, invoices
from .batch import voucher_no
from .bulk import clip_times
from .chart import PURCHASE, SALES
from .clock import US_PER_DAY, from_days
from .periods import OPENING_PERIOD
from .rand import hex_id
from .unit import Context, UnitBase

#: Dossier item types [G]: AFAS numbers its own types per environment.
TYPE_PURCHASE_INVOICE = 12
TYPE_SALES_INVOICE = 13
TYPE_BANK_STATEMENT = 20
DOSSIER_TYPES: dict[int, str] = {
    TYPE_PURCHASE_INVOICE: "Inkoopfactuur",
    TYPE_SALES_INVOICE: "Verkoopfactuur",
    TYPE_BANK_STATEMENT: "Bankafschrift",
}
SUBJECT_BLOCK = 1_000_000


def dossier_items(ctx: Context, base: UnitBase) -> pl.DataFrame:
    """All dossier items of an administration, one row per (item, file), in key order."""
    unit_id = base.unit_id
    table = base.invoices
    a = table.arrays
    rng = ctx.rng(unit_id, "dossier")
    numbers = table.numbers.to_list()
    n = len(numbers)
    # Scanned or generated a few minutes after the entry was made.
    scanned = a["created"] + (rng.uniform(1, 30, n) * 60e6).astype(np.int64)
    created = clip_times(rng, a["created"], scanned, ctx.horizon_us)
    slip = rng.random(n) < 0.15
    rows: dict[str, list] = {f: [] for f in DOSSIER_ITEMS.field_ids}
    items: list[tuple[int, int, str | None, str | None, int | None, str | None, list[str]]] = []
    for i in np.argsort(created, kind="stable").tolist():
        sale = a["kind"][i] == invoices.SALE
        no = numbers[i]
        voucher = voucher_no(int(a["year"][i]), SALES if sale else PURCHASE, int(table.voucher[i]))
        files = [f"Factuur {no}.pdf"] if sale else [f"Inkoopfactuur {no}.pdf"]
        if not sale and slip[i]:
            files.append(f"Pakbon {no}.pdf")
        sales_no, purchase_no = (no, None) if sale else (None, no)
        items.append((int(created[i]), i, sales_no, purchase_no, int(table.entry_no[i]), voucher, files))
    closed = [p for p in base.plans.values() if p.period != OPENING_PERIOD and p.last_day < ctx.today]
    # Statements arrive the morning after the period closes.
    morning = np.array([(p.last_day + 1) * US_PER_DAY for p in closed], dtype=np.int64)
    arrival = morning + (rng.uniform(7, 12, len(closed)) * 3600e6).astype(np.int64)
    statement_times = clip_times(rng, morning, arrival, ctx.horizon_us)
    for plan, when in zip(closed, statement_times.tolist()):
        items.append((int(when), -1, None, None, None, None, [f"Bankafschrift {plan.year}-{plan.period:02d}.pdf"]))
    items.sort(key=lambda item: (item[0], item[1]))
    for seq, (when, inv, sales_no, purchase_no, entry, voucher, files) in enumerate(items, start=1):
        subject_id = unit_id * SUBJECT_BLOCK + seq
        if inv >= 0:
            party = int(a["party"][inv])
            name = (base.parties.debtor_names if sales_no else base.parties.creditor_names)[party]
            subject = f"{'Verkoopfactuur' if sales_no else 'Inkoopfactuur'} {sales_no or purchase_no} {name}"
            type_id = TYPE_SALES_INVOICE if sales_no else TYPE_PURCHASE_INVOICE
        else:
            subject = "Bankafschrift " + files[0].removeprefix("Bankafschrift ").removesuffix(".pdf")
            type_id = TYPE_BANK_STATEMENT
        for k, name_ in enumerate(files):
            rows["SubjectId"].append(subject_id)
            rows["UnitId"].append(unit_id)
            rows["Subject"].append(subject)
            rows["TypeId"].append(type_id)
            rows["FiEntryNumber"].append(entry)
            rows["BookPieceNumber"].append(voucher)
            rows["SalesInvoiceNumber"].append(sales_no)
            rows["PurchaseInvoiceNumber"].append(purchase_no)
            rows["DateCreated"].append(when)
            rows["Modified"].append(when)
            rows["FileId"].append(hex_id(ctx.seed, ctx.env_key, unit_id, subject_id, k))
            rows["FileName"].append(name_)
    ints = ("SubjectId", "UnitId", "TypeId", "FiEntryNumber")
    times = ("DateCreated", "Modified")
    cols: dict[str, object] = {
        k: frames.datetimes(np.array(v, dtype=np.int64))
        if k in times
        else pl.Series(v, dtype=pl.Int64 if k in ints else pl.String)
        for k, v in rows.items()
    }
    return frames.typed(DOSSIER_ITEMS, len(rows["SubjectId"]), cols).sort(list(DOSSIER_ITEMS.key))


def file_text(row: dict, base: UnitBase) -> list[str]:
    """The lines printed in a dossier item's PDF."""
    lines = [str(row["Subject"]), f"Bestand: {row['FileName']}"]
    number = row["SalesInvoiceNumber"] or row["PurchaseInvoiceNumber"]
    if number:
        i = base.invoices.find(number)
        a = base.invoices.arrays
        net, vat = int(a["net"][i]), int(a["vat"][i])
        lines += [
            f"Factuurnummer: {number}",
            f"Factuurdatum: {from_days(int(a['invoice_date'][i])).isoformat()}",
            f"Vervaldatum: {from_days(int(a['invoice_date'][i]) + invoices.DUE_DAYS).isoformat()}",
            f"Bedrag excl. btw: EUR {_euros(net)}",
            f"Btw: EUR {_euros(vat)}",
            f"Totaal: EUR {_euros(net + vat)}",
            f"Boekstuk: {row['BookPieceNumber']} (journaalpost {row['FiEntryNumber']})",
        ]
    return lines


def _euros(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}".replace(",", "_").replace(".", ",").replace("_", ".")


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF 1.4 (Helvetica, WinAnsi) showing the lines; byte-for-byte deterministic."""

    def esc(text: str) -> bytes:
        raw = text.encode("cp1252", errors="replace")
        return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    body = b"BT /F1 11 Tf 72 770 Td 16 TL " + b" ".join(b"(" + esc(t) + b") Tj T*" for t in lines) + b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(body)).encode() + b" >>\nstream\n" + body + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
