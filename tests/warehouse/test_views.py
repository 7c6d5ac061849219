"""Analyst views on a tiny hand-made ledger, through the pipeline's connection and an analyst's read-only attach."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import polars as pl
import pytest

from catalog import ACCOUNTS, ALLOCATION_CODES, PAYABLES, PERIOD_VALUES, RECEIVABLES, TRANSACTIONS, TRANSACTIONS_ALLOCATED
from tests.warehouse.frames import ENV, frame, money, period_slice, transaction
from warehouse import LakeSettings, Warehouse
from warehouse.access import offline_statements

ADMIN = {"environment": ENV, "administration_id": 1}
LATEST, EARLIER = dt.date(2026, 3, 31), dt.date(2026, 2, 28)


def pv(period: int, account: str, debit: str, credit: str, dim1: str | None = None, description: str | None = None) -> dict:
    return {
        "administration_id": 1, "fiscal_year": 2025, "period": period, "account_no": account,
        "debit": money(debit), "credit": money(credit), "dimension_1": dim1, "account_description": description,
    }


def load_ledger(wh) -> None:
    wh.replace_slice(ACCOUNTS, ADMIN, frame(ACCOUNTS, [
        {"administration_id": 1, "account_no": a, "description": d, "account_type": t}
        for a, d, t in [("0100", "Inventaris", "Balans"), ("1100", "Bank", "Balans"), ("1300", "Debiteuren", "Balans"),
                        ("4000", "Kosten", "W&V"), ("8000", "Omzet", "W&V")]
    ]))
    wh.replace_slice(ALLOCATION_CODES, ADMIN, frame(ALLOCATION_CODES, [
        {"administration_id": 1, "axis": ax, "code": c, "code_description": d}
        for ax, c, d in [("01", "WEST", "Vestiging West"), ("01", "OOST", "Vestiging Oost"), ("02", "P100", "Producten")]
    ]))
    periods = {
        0: [pv(0, "0100", "1000.00", "0.00")],
        1: [pv(1, "1300", "121.00", "0.00"), pv(1, "8000", "0.00", "60.00", "WEST"), pv(1, "8000", "0.00", "40.00", "OOST"),
            pv(1, "1600", "0.00", "21.00", description="Te betalen btw")],
        2: [pv(2, "1300", "0.00", "121.00"), pv(2, "1100", "121.00", "0.00")],
        3: [pv(3, "4000", "50.00", "0.00"), pv(3, "1100", "0.00", "50.00")],
    }
    for period, rows in periods.items():
        wh.replace_slice(PERIOD_VALUES, period_slice(period=period), frame(PERIOD_VALUES, rows))

    entry1 = [
        transaction(1, 2025, 1, 1, 1, "1300", "121.00", "0.00"),
        transaction(1, 2025, 1, 1, 2, "8000", "0.00", "100.00"),
        transaction(1, 2025, 1, 1, 3, "1600", "0.00", "21.00"),
    ]
    wh.replace_slice(TRANSACTIONS, period_slice(period=1), frame(TRANSACTIONS, entry1))
    allocated = [
        {**entry1[0]},
        {**entry1[1], "amount_credit": money("60.00"), "dimension_1": "WEST", "dimension_2": "P100"},
        {**entry1[1], "amount_credit": money("40.00"), "dimension_1": "OOST", "dimension_2": "P100"},
        {**entry1[2]},
    ]
    wh.replace_slice(TRANSACTIONS_ALLOCATED, period_slice(period=1), frame(TRANSACTIONS_ALLOCATED, allocated))
    # Period 2 has no allocated rows at all: its lines still appear once.
    wh.replace_slice(TRANSACTIONS, period_slice(period=2), frame(TRANSACTIONS, [
        transaction(1, 2025, 2, 2, 1, "1100", "121.00", "0.00"),
        transaction(1, 2025, 2, 2, 2, "1300", "0.00", "121.00"),
    ]))


def item(debtor: str, invoice: str, amount: str, due: dt.date | None, invoice_date: dt.date | None = None, admin: int = 1) -> dict:
    return {"administration_id": admin, "debtor_id": debtor, "debtor_name": f"Klant {debtor}", "invoice_no": invoice,
            "invoice_date": invoice_date, "due_date": due, "invoice_amount": money(amount), "open_amount": money(amount)}


def load_open_items(wh) -> None:
    d = dt.date
    latest = [
        item("D1", "F01", "100.00", d(2026, 4, 10)),  # not due
        item("D1", "F02", "10.00", d(2026, 3, 31)),  # due today: 0 days, not due
        item("D1", "F03", "20.00", d(2026, 3, 30)),  # 1
        item("D1", "F04", "5.00", d(2026, 3, 1)),  # 30
        item("D1", "F05", "30.00", d(2026, 2, 28)),  # 31
        item("D1", "F06", "3.00", d(2026, 1, 30)),  # 60
        item("D1", "F07", "40.00", d(2026, 1, 29)),  # 61
        item("D1", "F08", "4.00", d(2025, 12, 31)),  # 90
        item("D2", "F09", "50.00", d(2025, 12, 30)),  # 91
        item("D2", "F10", "7.00", None, invoice_date=d(2025, 11, 1)),  # no due date: 150 days after invoice
    ]
    earlier = [item("D1", "F00", "999.00", d(2026, 1, 1))]
    wh.replace_slice(RECEIVABLES, {**ADMIN, "snapshot_date": EARLIER}, frame(RECEIVABLES, earlier))
    wh.replace_slice(RECEIVABLES, {**ADMIN, "snapshot_date": LATEST}, frame(RECEIVABLES, latest))
    # Administration 2 had one open item, then everything was settled: its latest snapshot is empty.
    admin2 = {"environment": ENV, "administration_id": 2}
    settled = [item("D9", "X1", "12.00", d(2026, 2, 1), admin=2)]
    wh.replace_slice(RECEIVABLES, {**admin2, "snapshot_date": EARLIER}, frame(RECEIVABLES, settled))
    wh.replace_slice(RECEIVABLES, {**admin2, "snapshot_date": LATEST}, frame(RECEIVABLES, []))
    payables = [{"administration_id": 1, "creditor_id": "C1", "invoice_no": "I1", "due_date": d(2026, 3, 15),
                 "invoice_amount": money("80.00"), "open_amount": money("80.00"), "payment_blocked": False}]
    wh.replace_slice(PAYABLES, {**ADMIN, "snapshot_date": LATEST}, frame(PAYABLES, payables))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Loaded once for the module: the tests only read."""
    folder = tmp_path_factory.mktemp("ledger")
    wh = Warehouse(LakeSettings.embedded(folder / "lake"))
    load_ledger(wh)
    load_open_items(wh)
    return wh


@pytest.fixture(params=["pipeline", "analyst"])
def ask(request, loaded):
    """Run a query through the pipeline's connection or an analyst's; the answers must agree."""
    if request.param == "pipeline":
        return loaded.query

    def on_analyst_db(sql: str) -> pl.DataFrame:
        # As an analyst's own DuckDB would: the documented statements, in a fresh connection.
        con = duckdb.connect()
        try:
            for statement in offline_statements(loaded.settings):
                con.execute(statement)
            return pl.DataFrame(con.execute(sql).fetchall(), schema=[d[0] for d in con.description], orient="row")
        finally:
            con.close()

    return on_analyst_db


def D(text: str) -> Decimal:
    return Decimal(text)


def test_trial_balance(ask):
    tb = ask(
        "SELECT period, account_no, account_description, debit, credit, net, balance "
        "FROM trial_balance ORDER BY period, account_no"
    )
    rows = {(r[0], r[1]): r[2:] for r in tb.rows()}
    assert rows[(0, "0100")] == ("Inventaris", D("1000.00"), D("0.00"), D("1000.00"), D("1000.00"))
    assert rows[(3, "0100")] == ("Inventaris", D("0.00"), D("0.00"), D("0.00"), D("1000.00"))
    assert rows[(1, "8000")] == ("Omzet", D("0.00"), D("100.00"), D("-100.00"), D("-100.00")), "dimensions summed"
    assert rows[(2, "1300")] == ("Debiteuren", D("0.00"), D("121.00"), D("-121.00"), D("0.00"))
    assert rows[(3, "1100")] == ("Bank", D("0.00"), D("50.00"), D("-50.00"), D("71.00"))
    assert rows[(1, "1600")][0] == "Te betalen btw", "description from period_values when accounts lacks it"
    assert (0, "1300") not in rows, "an account appears from its first movement"
    balances = ask("SELECT period, sum(balance) AS b FROM trial_balance GROUP BY period ORDER BY period")
    assert balances["b"].to_list() == [D("1000.00")] * 4


def test_general_ledger(ask):
    gl = ask("SELECT * FROM general_ledger ORDER BY period, entry_no, line_no, dimension_1")
    assert gl.height == 6
    assert sum(gl["amount"]) == 0
    split = gl.filter(pl.col("line_no") == 2, pl.col("period") == 1)
    assert split.select("dimension_1", "dimension_1_description", "dimension_2_description", "amount_credit", "amount").rows() == [
        ("OOST", "Vestiging Oost", "Producten", D("40.00"), D("-40.00")),
        ("WEST", "Vestiging West", "Producten", D("60.00"), D("-60.00")),
    ]
    assert split["account_description"].to_list() == ["Omzet", "Omzet"]
    assert split["is_allocated"].to_list() == [True, True]
    unallocated = gl.filter(pl.col("period") == 2)
    assert unallocated["is_allocated"].to_list() == [False, False]
    assert unallocated["amount"].to_list() == [D("121.00"), D("-121.00")]
    per_account = ask("SELECT account_no, sum(amount) AS a FROM general_ledger GROUP BY ALL ORDER BY 1")
    assert per_account.rows() == [("1100", D("121.00")), ("1300", D("0.00")), ("1600", D("-21.00")), ("8000", D("-100.00"))]


def test_receivables_aging_uses_the_latest_snapshot(ask):
    aging = ask(
        "SELECT administration_id, snapshot_date, debtor_id, open_items, not_due, due_1_30, due_31_60, due_61_90, "
        "due_over_90, total_open FROM receivables_aging ORDER BY ALL"
    )
    assert aging.rows() == [
        (1, LATEST, "D1", 8, D("110.00"), D("25.00"), D("33.00"), D("44.00"), D("0.00"), D("212.00")),
        (1, LATEST, "D2", 2, D("0.00"), D("0.00"), D("0.00"), D("0.00"), D("57.00"), D("57.00")),
    ], "administration 2 settled everything: nothing open on its latest snapshot"


def test_aging_history_keeps_every_snapshot(ask):
    history = ask(
        "SELECT administration_id, snapshot_date, debtor_id, due_31_60, total_open "
        "FROM receivables_aging_history ORDER BY ALL"
    )
    assert history.rows() == [
        (1, EARLIER, "D1", D("999.00"), D("999.00")),
        (1, LATEST, "D1", D("33.00"), D("212.00")),
        (1, LATEST, "D2", D("0.00"), D("57.00")),
        (2, EARLIER, "D9", D("0.00"), D("12.00")),
    ]
    snapshots = ask("SELECT DISTINCT snapshot_date FROM outstanding_receivables ORDER BY 1")
    assert snapshots["snapshot_date"].to_list() == [EARLIER, LATEST]


def test_payables_aging(ask):
    aging = ask("SELECT creditor_id, due_1_30, total_open FROM payables_aging")
    assert aging.rows() == [("C1", D("80.00"), D("80.00"))]
