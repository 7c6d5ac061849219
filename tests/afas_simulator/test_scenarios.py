"""Scenario mutations of the ledger: each changes exactly what it should, and nothing else.

Every test builds its own small ledger (two administrations, 2025 up to the clock's now in
November 2026), takes "before" frames, applies one mutation and compares.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from catalog import (
    ACCOUNTS,
    ADMINISTRATIONS,
    CHANGED_ENTRY_DATES,
    CONNECTORS,
    DOSSIER_ITEMS,
    PAYABLES,
    PERIOD_VALUES,
    RECEIVABLES,
    TRANSACTIONS,
    TRANSACTIONS_ALLOCATED,
)
from afas_simulator.config import LedgerSpec
from afas_simulator.ledger import Ledger, SimClock

NOW = dt.datetime(2026, 11, 16, 9, 0, 0)
SPEC = LedgerSpec(administrations=2, first_year=2025, lines_per_period=30, opening_balance_units=frozenset({1}))
PERIOD_SLICED = (TRANSACTIONS, TRANSACTIONS_ALLOCATED, PERIOD_VALUES)


@pytest.fixture
def clock() -> SimClock:
    return SimClock(NOW)


@pytest.fixture
def ledger(clock: SimClock) -> Ledger:
    return Ledger(SPEC, 11, clock, "12345")


def snapshot(ledger: Ledger, unit: int = 1) -> dict[tuple, pl.DataFrame]:
    """Every period-sliced frame of a unit per slice, plus its unit-level frames."""
    out: dict[tuple, pl.DataFrame] = {}
    for year in ledger.years(unit):
        for period in range(0, 13):
            for conn in PERIOD_SLICED:
                out[(conn.id, year, period)] = ledger.frame(conn.id, unit, year, period)
    for conn in CONNECTORS:
        if conn not in PERIOD_SLICED:
            out[(conn.id,)] = ledger.frame(conn.id, unit)
    return out


def changed(before: dict, after: dict) -> set[tuple]:
    return {k for k in before if not before[k].equals(after[k])}


def slice_keys(year: int, period: int) -> set[tuple]:
    return {(c.id, year, period) for c in PERIOD_SLICED}


def later_period_values(year: int, period: int, last: int = 12) -> set[tuple]:
    """Period values after a changed period may move too: their Balance runs through the year."""
    return {(PERIOD_VALUES.id, year, p) for p in range(period + 1, last + 1)}


def assert_changed(before: dict, after: dict, must: set[tuple], may: set[tuple] = frozenset()) -> None:
    """Exactly `must` changed, plus possibly some of `may`, and nothing else."""
    moved = changed(before, after)
    assert must <= moved, f"unchanged: {must - moved}"
    assert moved <= must | may, f"changed unexpectedly: {moved - must - may}"


def memorial_entry(ledger: Ledger, unit: int, year: int, period: int) -> int:
    """An entry of journal 70 (no invoice involved) in the slice."""
    tx = ledger.frame(TRANSACTIONS.id, unit, year, period)
    return tx.filter(pl.col("JournalId") == "70")["EntryNo"][0]


def entry(ledger: Ledger, unit: int, entry_no: int, conn=TRANSACTIONS) -> pl.DataFrame:
    return ledger.frame(conn.id, unit).filter(pl.col("EntryNo") == entry_no)


def feed_row(ledger: Ledger, unit: int, day: dt.date) -> dict:
    feed = ledger.frame(CHANGED_ENTRY_DATES.id, unit).filter(pl.col("EntryDate") == day)
    assert feed.height == 1
    return feed.row(0, named=True)


def assert_balanced(lines: pl.DataFrame) -> None:
    assert lines["AmtDebit"].sum() == lines["AmtCredit"].sum()
    one_side = ((pl.col("AmtDebit") > 0) & (pl.col("AmtCredit") == 0)) | (
        (pl.col("AmtDebit") == 0) & (pl.col("AmtCredit") > 0)
    )
    assert lines.filter(~one_side).height == 0


def pv_matches_transactions(ledger: Ledger, unit: int, year: int, period: int) -> None:
    pv = ledger.frame(PERIOD_VALUES.id, unit, year, period)
    tx = ledger.frame(TRANSACTIONS.id, unit, year, period)
    a = pv.group_by("AccountNr").agg((pl.col("Debit") - pl.col("Credit")).sum().alias("net")).sort("AccountNr")
    b = tx.group_by("AccountNo").agg((pl.col("AmtDebit") - pl.col("AmtCredit")).sum().alias("net")).sort("AccountNo")
    assert a["AccountNr"].to_list() == b["AccountNo"].to_list()
    assert a["net"].to_list() == b["net"].to_list()


# ---------------------------------------------------------------- book_entry


def test_book_entry_in_the_open_period(ledger: Ledger, clock: SimClock) -> None:
    before = snapshot(ledger)
    all_before = ledger.frame(TRANSACTIONS.id, 1)
    entry_no = ledger.book_entry(1, n_lines=5)
    now = clock.now()
    assert dt.timedelta(seconds=1) <= now - NOW <= dt.timedelta(seconds=5)
    assert entry_no > all_before["EntryNo"].max()
    lines = entry(ledger, 1, entry_no)
    assert lines.height == 5 and lines["SeqNo"].to_list() == [1, 2, 3, 4, 5]
    assert set(lines["Year"]) == {2026} and set(lines["Period"]) == {11} and set(lines["JournalId"]) == {"70"}
    assert set(lines["EntryDate"]) == {now.date()}
    assert set(lines["Created"]) == {now} and set(lines["Modified"]) == {now}
    assert_balanced(lines)
    alloc = entry(ledger, 1, entry_no, TRANSACTIONS_ALLOCATED)
    assert alloc["AmtDebit"].sum() == lines["AmtDebit"].sum()
    assert entry_no in ledger.find_entries(1, 2026, 11)
    after = snapshot(ledger)
    assert changed(before, after) == slice_keys(2026, 11) | {(CHANGED_ENTRY_DATES.id,)}
    pv_matches_transactions(ledger, 1, 2026, 11)
    assert feed_row(ledger, 1, now.date())["Modified"] == now
    assert ledger.frame(TRANSACTIONS.id, 1).equals(
        pl.concat([all_before, lines]).sort("UnitId", "EntryNo", "SeqNo")
    )


def test_book_entry_in_a_past_period(ledger: Ledger, clock: SimClock) -> None:
    before = snapshot(ledger)
    entry_no = ledger.book_entry(1, 2025, 5, n_lines=3, journal="90")
    lines = entry(ledger, 1, entry_no)
    assert set(lines["EntryDate"]) == {dt.date(2025, 5, 31)}
    assert set(lines["JournalId"]) == {"90"} and lines.height == 3
    assert set(lines["Created"]) == {clock.now()}, "booked now, dated in the past"
    after = snapshot(ledger)
    assert_changed(before, after, slice_keys(2025, 5) | {(CHANGED_ENTRY_DATES.id,)}, later_period_values(2025, 5))
    assert changed(before, after) & later_period_values(2025, 5), "later balances move along"
    pv_matches_transactions(ledger, 1, 2025, 5)
    assert feed_row(ledger, 1, dt.date(2025, 5, 31))["Modified"] == clock.now()


def test_book_entry_refuses_bad_targets(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="future"):
        ledger.book_entry(1, 2026, 12)
    with pytest.raises(ValueError, match="journal"):
        ledger.book_entry(1, journal="99")
    with pytest.raises(ValueError, match="2 lines"):
        ledger.book_entry(1, n_lines=1)
    with pytest.raises(ValueError, match="fiscal year"):
        ledger.book_entry(1, 2020, 1)
    with pytest.raises(KeyError):
        ledger.book_entry(7)


def test_entries_follow_the_clock_into_a_new_period_and_year(ledger: Ledger, clock: SimClock) -> None:
    clock.set(dt.datetime(2026, 12, 2, 10, 0))
    assert ledger.years(1) == [2025, 2026]
    december = ledger.book_entry(1)
    assert set(entry(ledger, 1, december)["Period"]) == {12}
    assert ledger.find_entries(1, 2026, 12) == [december]
    clock.set(dt.datetime(2027, 1, 4, 8, 30))
    assert ledger.years(1) == [2025, 2026, 2027]
    january = ledger.book_entry(2)
    lines = entry(ledger, 2, january)
    assert set(lines["Year"]) == {2027} and set(lines["Period"]) == {1}
    assert ledger.frame(TRANSACTIONS.id, 2, 2027).height == lines.height
    assert ledger.frame(PERIOD_VALUES.id, 2, 2027, 1).height > 0
    pv_matches_transactions(ledger, 2, 2027, 1)


# ---------------------------------------------------------------- change_entry


def test_change_entry_scales_and_stays_balanced(ledger: Ledger, clock: SimClock) -> None:
    target = memorial_entry(ledger, 1, 2026, 4)
    old = entry(ledger, 1, target)
    old_alloc = entry(ledger, 1, target, TRANSACTIONS_ALLOCATED)
    before = snapshot(ledger)
    ledger.change_entry(1, target, Decimal("1.1"), description="Gecorrigeerd")
    new = entry(ledger, 1, target)
    assert_balanced(new)
    assert new.height == old.height
    total_old, total_new = old["AmtDebit"].sum(), new["AmtDebit"].sum()
    assert abs(total_new - total_old * Decimal("1.1")) <= Decimal("0.01") * old.height
    assert set(new["Description"]) == {"Gecorrigeerd"}
    assert set(new["Modified"]) == {clock.now()} and new["Created"].equals(old["Created"])
    unchanged = ["UnitId", "EntryNo", "SeqNo", "Year", "Period", "JournalId", "AccountNo", "EntryDate", "VoucherNo"]
    assert new.select(unchanged).equals(old.select(unchanged))
    alloc = entry(ledger, 1, target, TRANSACTIONS_ALLOCATED)
    assert alloc.height == old_alloc.height
    per_line = alloc.group_by("SeqNo").agg(pl.col("AmtDebit").sum(), pl.col("AmtCredit").sum()).sort("SeqNo")
    assert per_line["AmtDebit"].equals(new["AmtDebit"]) and per_line["AmtCredit"].equals(new["AmtCredit"])
    assert alloc.select("DimAx1").equals(old_alloc.select("DimAx1"))
    after = snapshot(ledger)
    assert_changed(before, after, slice_keys(2026, 4) | {(CHANGED_ENTRY_DATES.id,)}, later_period_values(2026, 4))
    pv_matches_transactions(ledger, 1, 2026, 4)
    assert feed_row(ledger, 1, old["EntryDate"][0])["Modified"] == clock.now()
    # Other entries of the slice are untouched.
    rest_before = before[(TRANSACTIONS.id, 2026, 4)].filter(pl.col("EntryNo") != target)
    rest_after = after[(TRANSACTIONS.id, 2026, 4)].filter(pl.col("EntryNo") != target)
    assert rest_before.equals(rest_after)


def test_change_entry_twice_and_errors(ledger: Ledger) -> None:
    target = ledger.find_entries(2, 2025, 9)[0]
    ledger.change_entry(2, target, "2")
    ledger.change_entry(2, target, Decimal("0.5"))
    assert_balanced(entry(ledger, 2, target))
    with pytest.raises(ValueError):
        ledger.change_entry(2, target, 0)
    with pytest.raises(KeyError):
        ledger.change_entry(2, 10**9)
    with pytest.raises(KeyError):
        ledger.change_entry(9, target)


def test_changing_an_invoice_entry_changes_the_open_item(ledger: Ledger) -> None:
    items = ledger.frame(RECEIVABLES.id, 1)
    row = items.filter(pl.col("Balance") == pl.col("AmtInvoice")).row(-1, named=True)
    tx = ledger.frame(TRANSACTIONS.id, 1)
    entry_no = tx.filter((pl.col("InvoiceId") == row["InvoiceNr"]) & (pl.col("JournalId") == "20"))["EntryNo"][0]
    ledger.change_entry(1, entry_no, Decimal("2"))
    after = ledger.frame(RECEIVABLES.id, 1).filter(pl.col("InvoiceNr") == row["InvoiceNr"]).row(0, named=True)
    assert abs(after["AmtInvoice"] - 2 * row["AmtInvoice"]) <= Decimal("0.03")
    assert after["Balance"] == after["AmtInvoice"]


# ---------------------------------------------------------------- delete_entry


def test_delete_entry(ledger: Ledger, clock: SimClock) -> None:
    target = memorial_entry(ledger, 1, 2025, 8)
    old = entry(ledger, 1, target)
    before = snapshot(ledger)
    ledger.delete_entry(1, target)
    assert entry(ledger, 1, target).height == 0
    assert entry(ledger, 1, target, TRANSACTIONS_ALLOCATED).height == 0
    assert target not in ledger.find_entries(1, 2025, 8)
    after = snapshot(ledger)
    assert_changed(before, after, slice_keys(2025, 8) | {(CHANGED_ENTRY_DATES.id,)}, later_period_values(2025, 8))
    remaining = before[(TRANSACTIONS.id, 2025, 8)].filter(pl.col("EntryNo") != target)
    assert after[(TRANSACTIONS.id, 2025, 8)].equals(remaining)
    pv_matches_transactions(ledger, 1, 2025, 8)
    # The period values moved by exactly the deleted amounts.
    for side, amount in (("Debit", "AmtDebit"), ("Credit", "AmtCredit")):
        moved = before[(PERIOD_VALUES.id, 2025, 8)][side].sum() - after[(PERIOD_VALUES.id, 2025, 8)][side].sum()
        assert moved == old[amount].sum()
    day = old["EntryDate"][0]
    assert feed_row(ledger, 1, day)["Modified"] == clock.now(), "the feed reports the date of a deletion"
    with pytest.raises(KeyError):
        ledger.delete_entry(1, target)
    with pytest.raises(KeyError):
        ledger.change_entry(1, target)


def test_delete_a_booked_entry_and_an_entire_date(ledger: Ledger, clock: SimClock) -> None:
    new = ledger.book_entry(2)
    ledger.delete_entry(2, new)
    assert entry(ledger, 2, new).height == 0
    with pytest.raises(KeyError):
        ledger.delete_entry(2, new)
    # A date whose every entry is gone stays in the feed: it "had" entries.
    tx = ledger.frame(TRANSACTIONS.id, 2, 2025, 3)
    day = tx["EntryDate"][0]
    for entry_no in tx.filter(pl.col("EntryDate") == day)["EntryNo"].unique().to_list():
        ledger.delete_entry(2, entry_no)
    assert ledger.frame(TRANSACTIONS.id, 2).filter(pl.col("EntryDate") == day).height == 0
    assert feed_row(ledger, 2, day)["Modified"] == clock.now()


# ---------------------------------------------------------------- rename_account


def test_rename_account(ledger: Ledger, clock: SimClock) -> None:
    before = snapshot(ledger)
    ledger.rename_account(1, "4300", "Kantoorartikelen")
    accounts = ledger.frame(ACCOUNTS.id, 1)
    old = before[(ACCOUNTS.id,)]
    diff = accounts.join(old, on="AccountNo", suffix="_old").filter(
        (pl.col("Description") != pl.col("Description_old")) | (pl.col("Modified") != pl.col("Modified_old"))
    )
    assert diff["AccountNo"].to_list() == ["4300"]
    assert diff.row(0, named=True)["Description"] == "Kantoorartikelen" and diff["Modified"][0] == clock.now()
    pv = ledger.frame(PERIOD_VALUES.id, 1).filter(pl.col("AccountNr") == "4300")
    assert pv.height > 0 and set(pv["AccountDesc"]) == {"Kantoorartikelen"}
    after = snapshot(ledger)
    moved = changed(before, after)
    assert all(k[0] in (PERIOD_VALUES.id, ACCOUNTS.id) for k in moved)
    assert ledger.frame(ACCOUNTS.id, 2).filter(pl.col("AccountNo") == "4300")["Description"][0] != "Kantoorartikelen"
    with pytest.raises(KeyError):
        ledger.rename_account(1, "9999", "x")


# ---------------------------------------------------------------- add_administration


def test_add_administration(ledger: Ledger) -> None:
    unit = ledger.add_administration("Nieuwe Vestiging B.V.")
    assert unit == 3 and ledger.administrations() == [1, 2, 3]
    admins = ledger.frame(ADMINISTRATIONS.id)
    assert admins.filter(pl.col("AdminId") == 3)["AdminNm"][0] == "Nieuwe Vestiging B.V."
    assert ledger.years(3) == [2025, 2026]
    tx = ledger.frame(TRANSACTIONS.id, 3)
    assert tx.height > 0 and set(tx.filter(pl.col("Year") == 2025)["Period"]) == set(range(1, 13))
    for conn in CONNECTORS:
        if conn is not ADMINISTRATIONS:
            assert ledger.frame(conn.id, 3).height > 0, conn.id
    assert ledger.add_administration() == 4
    assert ledger.frame(ADMINISTRATIONS.id)["AdminNm"].n_unique() == 4


# ---------------------------------------------------------------- pay_invoice


@pytest.mark.parametrize(
    ("kind", "conn", "account"), [("receivable", RECEIVABLES, "1300"), ("payable", PAYABLES, "1600")]
)
def test_pay_invoice_in_full(ledger: Ledger, clock: SimClock, kind: str, conn, account: str) -> None:
    open_before = ledger.open_invoices(1, kind)
    invoice = open_before[0]
    row = ledger.frame(conn.id, 1).filter(pl.col("InvoiceNr") == invoice).row(0, named=True)
    entry_no = ledger.pay_invoice(1, invoice)
    assert invoice not in ledger.open_invoices(1, kind)
    assert ledger.open_invoices(1, kind) == [i for i in open_before if i != invoice]
    lines = entry(ledger, 1, entry_no)
    assert_balanced(lines)
    assert set(lines["JournalId"]) == {"50"} and set(lines["Period"]) == {11} and set(lines["Year"]) == {2026}
    assert set(lines["EntryDate"]) == {clock.now().date()}
    assert set(lines["AccountNo"]) == {"1100", account}
    collective = lines.filter(pl.col("AccountNo") == account)
    assert collective["InvoiceId"].to_list() == [invoice]
    assert lines["AmtDebit"].sum() == row["Balance"]
    pv_matches_transactions(ledger, 1, 2026, 11)
    with pytest.raises(ValueError, match="not open"):
        ledger.pay_invoice(1, invoice)


def test_pay_invoice_partially(ledger: Ledger) -> None:
    invoice = ledger.open_invoices(2, "receivable")[-1]
    before = ledger.frame(RECEIVABLES.id, 2).filter(pl.col("InvoiceNr") == invoice).row(0, named=True)
    ledger.pay_invoice(2, invoice, Decimal("10.25"))
    after = ledger.frame(RECEIVABLES.id, 2).filter(pl.col("InvoiceNr") == invoice).row(0, named=True)
    assert after["Balance"] == before["Balance"] - Decimal("10.25")
    assert after["AmtInvoice"] == before["AmtInvoice"]
    with pytest.raises(ValueError, match="at most"):
        ledger.pay_invoice(2, invoice, after["Balance"] + 1)
    with pytest.raises(ValueError):
        ledger.pay_invoice(2, invoice, "0.001")
    ledger.pay_invoice(2, invoice)
    assert invoice not in ledger.open_invoices(2)


def test_pay_invoice_errors(ledger: Ledger) -> None:
    with pytest.raises(KeyError):
        ledger.pay_invoice(1, "1999-000001")
    with pytest.raises(KeyError):
        ledger.pay_invoice(5, "2025-000001")
    with pytest.raises(ValueError):
        ledger.open_invoices(1, "both")
    tx = ledger.frame(TRANSACTIONS.id, 1)
    paid = set(tx.filter((pl.col("JournalId") == "50") & pl.col("InvoiceId").is_not_null())["InvoiceId"])
    settled = sorted(paid - set(ledger.open_invoices(1)) - set(ledger.open_invoices(1, "payable")))
    with pytest.raises(ValueError, match="not open"):
        ledger.pay_invoice(1, settled[0])


def test_deleting_a_payment_reopens_the_invoice(ledger: Ledger) -> None:
    tx = ledger.frame(TRANSACTIONS.id, 1, 2025, 6)
    payment = tx.filter((pl.col("JournalId") == "50") & (pl.col("AccountNo") == "1300")).row(0, named=True)
    assert payment["InvoiceId"] not in ledger.open_invoices(1)
    ledger.delete_entry(1, payment["EntryNo"])
    assert payment["InvoiceId"] in ledger.open_invoices(1)
    row = ledger.frame(RECEIVABLES.id, 1).filter(pl.col("InvoiceNr") == payment["InvoiceId"]).row(0, named=True)
    assert row["Balance"] == payment["AmtCredit"]


# ---------------------------------------------------------------- overlays survive eviction, determinism


def scenario(ledger: Ledger) -> None:
    ledger.book_entry(1)
    ledger.change_entry(1, ledger.find_entries(1, 2026, 2)[0], Decimal("1.25"))
    ledger.delete_entry(2, ledger.find_entries(2, 2025, 11)[1])
    ledger.rename_account(2, "8000", "Omzet 21%")
    ledger.pay_invoice(1, ledger.open_invoices(1)[0], Decimal("5"))
    ledger.add_administration()


def test_mutations_survive_cache_eviction(ledger: Ledger) -> None:
    tiny = Ledger(SPEC, 11, SimClock(NOW), "12345", cache_bytes=20_000)
    scenario(ledger)
    scenario(tiny)
    for _ in range(2):
        for conn in CONNECTORS:
            for unit in (1, 2):
                assert tiny.frame(conn.id, unit).equals(ledger.frame(conn.id, unit)), (conn.id, unit)


def test_scenarios_are_deterministic(ledger: Ledger, clock: SimClock) -> None:
    other_clock = SimClock(NOW)
    other = Ledger(SPEC, 11, other_clock, "12345")
    scenario(ledger)
    scenario(other)
    assert clock.now() == other_clock.now()
    for conn in CONNECTORS:
        assert other.frame(conn.id).equals(ledger.frame(conn.id)), conn.id


def test_mutations_leave_dossier_items_alone(ledger: Ledger) -> None:
    before = ledger.frame(DOSSIER_ITEMS.id)
    scenario(ledger)
    assert ledger.frame(DOSSIER_ITEMS.id).filter(pl.col("UnitId") <= 2).equals(before)
