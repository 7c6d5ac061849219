"""8. Analysts during loads: query latency and correctness while three loads commit, per catalog.

Three writer processes (administrations 1, 2 and 3) each write their administration's books for
periods 1–6 over and over, one DuckLake transaction per period (transactions, allocated
transactions and period values together, as the pipeline commits a period), for `LOAD_S` seconds.
A period's books are 2,000–3,000 booking lines (and as many allocated lines, each table a Parquet
file of its own) and 41 period values (inlined), tagged with their generation. Meanwhile an
analyst's process, attached read-only through `warehouse.access.read_only_connection`, runs every
100 ms the trial balance of one period (administration 1, 2025-03, through the `trial_balance` view)
and the consistency query of the concurrency tests (`tests.warehouse.workers.CONSISTENCY_SQL`):
every period's three tables must come from one complete, balanced commit, and the trial balance
must balance. The same analyst session with no loads running gives the baseline latency. All
processes start together on a signal, after attaching.

    python -m benchmarks.analysts_during_loads write SETTINGS_JSON ADMIN SECONDS   # prints a JSON summary
    python -m benchmarks.analysts_during_loads read SETTINGS_JSON SECONDS          # prints a JSON summary
"""

from __future__ import annotations

import json
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from benchmarks.books import REVENUE_ACCOUNTS, booking_line_columns, typed_frame

ROOT = Path(__file__).resolve().parents[1]
YEAR = 2025
ADMINS = (1, 2, 3)
PERIODS = (1, 2, 3, 4, 5, 6)
LOAD_S = 20.0
BASELINE_S = 6.0
EVERY_S = 0.1
ACCOUNTS = REVENUE_ACCOUNTS  # revenue accounts 8000-8039, against debtors 1300

TRIAL_BALANCE_SQL = """
SELECT account_no, account_description, debit, credit, net, balance
FROM trial_balance
WHERE administration_id = 1 AND fiscal_year = 2025 AND period = 3
ORDER BY account_no
"""


def entries(gen: int) -> int:
    """Booking entries (two lines each) of a period's generation `gen`: 1,000, 1,250 or 1,500."""
    return 1000 + 250 * (gen % 3)


def books(admin: int, period: int, gen: int) -> list:
    """One generation of a period's books: balanced lines, their allocations, matching period values.

    Every row carries the tag `g<gen>` (transactions: description; allocations: dimension_1; period
    values: account_description), which is what `CONSISTENCY_SQL` compares across the tables.
    """
    from catalog import PERIOD_VALUES, TRANSACTIONS, TRANSACTIONS_ALLOCATED
    from tests.warehouse.frames import period_slice
    from warehouse import SliceWrite

    tag = f"g{gen}"
    common = booking_line_columns(2 * entries(gen), admin=admin, year=YEAR, period=period,
                                  first_entry=1 + period * 100_000, salt=gen * 13)
    transactions = typed_frame(TRANSACTIONS, common | {"description": pl.lit(tag)})
    allocated = typed_frame(TRANSACTIONS_ALLOCATED, common | {"description": pl.lit(tag), "dimension_1": pl.lit(tag)})
    sums = (transactions.group_by("account_no")
            .agg(pl.col("amount_debit").sum().alias("debit"), pl.col("amount_credit").sum().alias("credit"))
            .sort("account_no"))
    values = typed_frame(PERIOD_VALUES, {
        "administration_id": pl.lit(admin, pl.Int64), "fiscal_year": pl.lit(YEAR, pl.Int64),
        "period": pl.lit(period, pl.Int64), "account_no": pl.lit(sums["account_no"]),
        "account_description": pl.lit(tag), "debit": pl.lit(sums["debit"]), "credit": pl.lit(sums["credit"]),
        "balance": pl.lit(sums["debit"] - sums["credit"]),
    })
    where = period_slice(admin=admin, year=YEAR, period=period)
    return [
        SliceWrite(TRANSACTIONS, where, transactions),
        SliceWrite(TRANSACTIONS_ALLOCATED, where, allocated),
        SliceWrite(PERIOD_VALUES, where, values),
    ]


def inconsistencies(rows: list[tuple]) -> list[str]:
    """`tests.warehouse.workers.inconsistencies` for these books' line counts (2 × `entries(gen)`)."""
    from tests.warehouse import workers

    return workers.inconsistencies(rows, lambda gen: 2 * entries(gen))


def trial_balance_problems(rows: list[tuple]) -> list[str]:
    """The trial balance of one period must have its accounts and balance (movements and cumulative)."""
    if len(rows) != ACCOUNTS + 1:
        return [f"trial balance has {len(rows)} accounts, not {ACCOUNTS + 1}"]
    debit, credit, balance = (sum(r[i] for r in rows) for i in (2, 3, 5))
    if debit != credit or balance != 0:
        return [f"trial balance does not balance: debit {debit}, credit {credit}, balance {balance}"]
    return []


# --- the child processes ----------------------------------------------------------------------


class _Retries(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage()[-200:])


def _wait_for_go() -> None:
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("no go")


def _write(settings_text: str, admin: int, seconds: float) -> dict:
    from tests.warehouse.workers import settings_from
    from warehouse import Warehouse

    logger = logging.getLogger("benchmarks.analysts_during_loads.writer")
    retries = _Retries()
    logger.addHandler(retries)
    logger.propagate = False
    wh = Warehouse(settings_from(settings_text), logger=logger)
    wh.ensure_all_tables()  # attached before the start
    _wait_for_go()
    started = time.monotonic()
    deadline = started + seconds
    commits, errors, gen = [], [], 1
    while time.monotonic() < deadline:
        for period in PERIODS:
            if time.monotonic() >= deadline:
                break
            writes = books(admin, period, gen)
            try:
                (result, *_) = wh.replace_slices(writes)
                commits.append(result.seconds)
            except Exception as error:  # noqa: BLE001 - a failed load is a figure, not a crash
                errors.append(str(error)[-300:])
        gen += 1
    return {"admin": admin, "commits": len(commits), "commit_s": commits, "errors": errors,
            "retries": len(retries.messages), "retry_messages": retries.messages[:5],
            "elapsed_s": time.monotonic() - started, "last_gen": gen - 1}


def _read(settings_text: str, seconds: float) -> dict:
    from tests.warehouse.workers import CONSISTENCY_SQL, settings_from
    from warehouse.access import read_only_connection

    con = read_only_connection(settings_from(settings_text))
    _wait_for_go()
    out = {"trial_balance_s": [], "consistency_s": [], "failures": 0, "failure_messages": [], "inconsistent": 0,
           "problems": [], "periods_seen": 0}

    def query(kind: str, sql: str) -> list[tuple] | None:
        started = time.monotonic()
        try:
            rows = con.execute(sql).fetchall()
        except Exception as error:  # noqa: BLE001 - every failure of an analyst's query is what we count
            out["failures"] += 1
            out["failure_messages"] = (out["failure_messages"] + [f"{kind}: {str(error)[:300]}"])[:5]
            rows = None
        out[f"{kind}_s"].append(time.monotonic() - started)
        return rows

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        tick = time.monotonic()
        for kind, sql, check in (("trial_balance", TRIAL_BALANCE_SQL, trial_balance_problems),
                                 ("consistency", CONSISTENCY_SQL, inconsistencies)):
            rows = query(kind, sql)
            if rows is not None:
                problems = check(rows)
                if problems:
                    out["inconsistent"] += 1
                    out["problems"] += problems[:3]
                if kind == "consistency":
                    out["periods_seen"] = max(out["periods_seen"], len(rows))
        time.sleep(max(0.0, EVERY_S - (time.monotonic() - tick)))
    con.close()
    out["problems"] = out["problems"][:10]
    return out


# --- the benchmark ----------------------------------------------------------------------------


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "benchmarks.analysts_during_loads", *args], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _together(processes: list[subprocess.Popen]) -> list[dict]:
    """Wait until every process has attached, start them all at once, collect their summaries."""
    try:
        for p in processes:
            line = p.stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"a benchmark process did not start (said {line!r}, exit {p.poll()})")
        for p in processes:
            p.stdin.write("go\n")
            p.stdin.flush()
        outputs = [p.communicate(timeout=LOAD_S + 120)[0] for p in processes]
        if any(p.returncode for p in processes):
            raise RuntimeError(f"a benchmark process failed: exit codes {[p.returncode for p in processes]}")
        return [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()


def _ms(values: list[float]) -> dict:
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] * 1000, 1)

    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered) * 1000, 1), "p95_ms": at(0.95),
            "max_ms": round(ordered[-1] * 1000, 1)}


def _reader_figures(summary: dict) -> dict:
    return {
        "queries": len(summary["trial_balance_s"]) + len(summary["consistency_s"]),
        "failures": summary["failures"],
        "inconsistent": summary["inconsistent"],
        "trial_balance": _ms(summary["trial_balance_s"]),
        "consistency": _ms(summary["consistency_s"]),
        "failure_messages": summary["failure_messages"][:3],
        "problems": summary["problems"][:3],
        "periods_seen": summary["periods_seen"],
    }


def _one_catalog(settings) -> dict:
    from tests.warehouse.workers import CONSISTENCY_SQL, settings_json
    from warehouse import Warehouse
    from warehouse.access import read_only_connection
    from warehouse.store import close_all

    text = settings_json(settings)
    wh = Warehouse(settings)
    wh.ensure_all_tables()
    # Generation 0 of every period, so the analyst has books from the first query; written by one
    # writer alone (no reader), which gives the commit rate without concurrency for comparison.
    alone = []
    for admin in ADMINS:
        for period in PERIODS:
            writes = books(admin, period, 0)
            started = time.perf_counter()
            wh.replace_slices(writes)
            alone.append(time.perf_counter() - started)
    close_all()

    baseline = _together([_start("read", text, str(BASELINE_S))])[0]
    *writers, loaded = _together([*(_start("write", text, str(admin), str(LOAD_S)) for admin in ADMINS),
                                  _start("read", text, str(LOAD_S))])

    con = read_only_connection(settings)
    try:
        final = con.execute(CONSISTENCY_SQL).fetchall()
    finally:
        con.close()
    commits = sum(w["commits"] for w in writers)
    window = max(w["elapsed_s"] for w in writers)
    return {
        "baseline": _reader_figures(baseline),
        "during_loads": _reader_figures(loaded),
        "writers": {
            "commits": commits,
            "seconds": round(window, 1),
            "commits_per_s": round(commits / window, 2),
            "commits_per_writer": [w["commits"] for w in writers],
            "commit": _ms([s for w in writers for s in w["commit_s"]]),
            "retries": sum(w["retries"] for w in writers),
            "retry_messages": [m for w in writers for m in w["retry_messages"]][:3],
            "errors": sum(len(w["errors"]) for w in writers),
            "error_messages": [e for w in writers for e in w["errors"]][:3],
            "generations_per_admin": [w["last_gen"] for w in writers],
        },
        "one_writer_alone": {"commits": len(alone), "commits_per_s": round(len(alone) / sum(alone), 2),
                             "commit": _ms(alone)},
        "final_state": {"periods": len(final), "inconsistencies": inconsistencies(final)[:3]},
    }


def run() -> dict:
    from tests.postgres_server import fresh_database
    from warehouse import LakeSettings
    from warehouse.store import close_all

    result: dict[str, object] = {
        "writers": len(ADMINS), "periods_per_writer": len(PERIODS), "load_s": LOAD_S, "baseline_s": BASELINE_S,
        "query_every_s": EVERY_S, "lines_per_period": [2 * entries(g) for g in range(3)],
        "period_values_per_period": ACCOUNTS + 1,
        "target_failures": 0, "target_inconsistent": 0,
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        result["sqlite"] = _one_catalog(LakeSettings.embedded(folder / "sqlite-lake"))
        with fresh_database("afas_bench") as db:
            try:
                result["postgres"] = _one_catalog(LakeSettings.postgres(db.conninfo, str(folder / "pg-lake-data")))
            finally:
                close_all()
    return result


if __name__ == "__main__":
    command, text = sys.argv[1], sys.argv[2]
    if command == "write":
        print(json.dumps(_write(text, int(sys.argv[3]), float(sys.argv[4]))), flush=True)
    elif command == "read":
        print(json.dumps(_read(text, float(sys.argv[3]))), flush=True)
    else:
        raise SystemExit(f"unknown command {command!r}")
