"""Other processes on one lake: writers of whole period books, a reader, a process holding the catalog.

Each writer writes "generations" of a period's books: transactions, allocated transactions and
period values of one generation all carry amounts `gen + 1` and `2 + gen % 3` booking lines, so a
reader can tell, per period, whether the three tables come from one commit (the same generation,
complete) and whether the books balance. Run as a script for the processes the tests kill:

    python workers.py write SETTINGS_JSON ADMIN PERIODS FIRST_GEN [COUNT]   # prints each committed gen
    python workers.py read SETTINGS_JSON SECONDS                            # prints a JSON summary
    python workers.py hold SETTINGS_JSON                                    # takes the catalog, stops itself
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

if __name__ == "__main__":  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from catalog import PERIOD_VALUES, TRANSACTIONS, TRANSACTIONS_ALLOCATED  # noqa: E402
from tests.warehouse.frames import frame, period_slice, transaction  # noqa: E402
from warehouse import LakeSettings, SliceWrite, Warehouse  # noqa: E402

YEAR = 2025


def settings_json(settings: LakeSettings) -> str:
    return json.dumps(dataclasses.asdict(settings))


def settings_from(text: str) -> LakeSettings:
    return LakeSettings(**json.loads(text))


def line_count(gen: int) -> int:
    return 2 + gen % 3


def books(admin: int, period: int, gen: int) -> list[SliceWrite]:
    """One generation of a period's books: balanced lines, allocations adding up, matching period values."""
    amount = f"{gen + 1}.00"
    lines = [
        transaction(admin, YEAR, period, period * 100 + i, 1, "8000", amount, "0.00", description=f"g{gen}")
        for i in range(line_count(gen))
    ] + [
        transaction(admin, YEAR, period, period * 100 + i, 2, "1300", "0.00", amount, description=f"g{gen}")
        for i in range(line_count(gen))
    ]
    allocated = [
        {k: v for k, v in line.items() if k in {f.column for f in TRANSACTIONS_ALLOCATED.fields}}
        | {"dimension_1": f"g{gen}"}
        for line in lines
    ]
    total = Decimal(amount) * line_count(gen)
    values = [
        {"administration_id": admin, "fiscal_year": YEAR, "period": period, "account_no": "8000",
         "debit": total, "credit": Decimal("0.00"), "account_description": f"g{gen}"},
        {"administration_id": admin, "fiscal_year": YEAR, "period": period, "account_no": "1300",
         "debit": Decimal("0.00"), "credit": total, "account_description": f"g{gen}"},
    ]
    where = period_slice(admin=admin, year=YEAR, period=period)
    return [
        SliceWrite(TRANSACTIONS, where, frame(TRANSACTIONS, lines)),
        SliceWrite(TRANSACTIONS_ALLOCATED, where, frame(TRANSACTIONS_ALLOCATED, allocated)),
        SliceWrite(PERIOD_VALUES, where, frame(PERIOD_VALUES, values)),
    ]


def write_generations(settings_text: str, admin: int, periods: list[int], first_gen: int, count: int) -> int:
    """Write `count` generations of every period's books, one transaction per period; returns commits."""
    wh = Warehouse(settings_from(settings_text))
    commits = 0
    for gen in range(first_gen, first_gen + count):
        for period in periods:
            wh.replace_slices(books(admin, period, gen))
            commits += 1
        print(gen, flush=True)
    return commits


#: Per administration × period: the generations seen in each table, the line count, and the balance.
CONSISTENCY_SQL = """
WITH t AS (SELECT administration_id, period, list_distinct(list(description)) AS gens, count(*) AS lines,
                  sum(amount_debit) - sum(amount_credit) AS balance
           FROM transactions GROUP BY ALL),
     a AS (SELECT administration_id, period, list_distinct(list(dimension_1)) AS gens, count(*) AS lines
           FROM transactions_allocated GROUP BY ALL),
     p AS (SELECT administration_id, period, list_distinct(list(account_description)) AS gens,
                  sum(debit) AS debit, sum(credit) AS credit
           FROM period_values GROUP BY ALL)
SELECT administration_id, period, t.gens AS t_gens, a.gens AS a_gens, p.gens AS p_gens, t.lines AS t_lines,
       a.lines AS a_lines, t.balance, p.debit, p.credit
FROM t FULL OUTER JOIN a USING (administration_id, period) FULL OUTER JOIN p USING (administration_id, period)
ORDER BY ALL
"""


def inconsistencies(rows: list[tuple], lines_of: Callable[[int], int] | None = None) -> list[str]:
    """What is wrong in the result of `CONSISTENCY_SQL` (empty: every period is one whole, balanced commit).

    `lines_of(gen)` is how many booking lines generation `gen` has (default: these workers' books).
    """
    lines_of = lines_of or (lambda gen: 2 * line_count(gen))
    problems = []
    for admin, period, t_gens, a_gens, p_gens, t_lines, a_lines, balance, debit, credit in rows:
        where = f"administration {admin} period {period}"
        gens = {tuple(t_gens or ()), tuple(a_gens or ()), tuple(p_gens or ())}
        if len(gens) != 1 or len(next(iter(gens))) != 1:
            problems.append(f"{where}: tables from different loads {t_gens} {a_gens} {p_gens}")
            continue
        gen = int(next(iter(gens))[0][1:])
        if t_lines != lines_of(gen) or a_lines != t_lines:
            problems.append(f"{where}: g{gen} has {t_lines}/{a_lines} lines, not {lines_of(gen)} (a partial commit)")
        if balance != 0 or debit != credit:
            problems.append(f"{where}: g{gen} does not balance ({balance}, {debit} vs {credit})")
    return problems


def read_repeatedly(settings_text: str, seconds: float, every_s: float = 0.1) -> dict:
    """Query the consistency of the books every `every_s` for `seconds`, as an analyst's session would."""
    from warehouse.access import read_only_connection

    con = read_only_connection(settings_from(settings_text))
    summary = {"queries": 0, "errors": [], "problems": [], "slowest_s": 0.0, "periods_seen": 0}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            rows = con.execute(CONSISTENCY_SQL).fetchall()
            summary["problems"] += inconsistencies(rows)
            summary["periods_seen"] = max(summary["periods_seen"], len(rows))
        except Exception as error:  # noqa: BLE001 - every failure of an analyst's query is what we count
            summary["errors"].append(str(error)[:300])
        summary["queries"] += 1
        took = time.monotonic() - started
        summary["slowest_s"] = max(summary["slowest_s"], took)
        time.sleep(max(0.0, every_s - took))
    con.close()
    return summary


def hold_catalog(settings_text: str) -> None:
    """Take the catalog's write lock as a committing writer would, say so, and stop this process (SIGSTOP)."""
    settings = settings_from(settings_text)
    if settings.kind == "sqlite":
        import sqlite3

        con = sqlite3.connect(settings.sqlite_path, isolation_level=None)
        con.execute("BEGIN IMMEDIATE")  # the write lock a commit takes; WAL readers still read
    else:
        import psycopg

        from warehouse.settings import PG_IDLE_IN_TRANSACTION_TIMEOUT_MS, PG_LOCK_TIMEOUT_MS

        conninfo = settings.catalog.removeprefix("postgres:")
        con = psycopg.connect(conninfo, options=f"-c idle_in_transaction_session_timeout="
                              f"{os.environ.get('HOLD_IDLE_TIMEOUT_MS', PG_IDLE_IN_TRANSACTION_TIMEOUT_MS)} "
                              f"-c lock_timeout={PG_LOCK_TIMEOUT_MS}")
        con.execute("LOCK TABLE ducklake_snapshot IN SHARE ROW EXCLUSIVE MODE")  # blocks commits, not reads
    print("holding", flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)
    time.sleep(3600)


if __name__ == "__main__":
    command, text = sys.argv[1], sys.argv[2]
    if command == "write":
        write_generations(text, int(sys.argv[3]), [int(p) for p in sys.argv[4].split(",")], int(sys.argv[5]),
                          int(sys.argv[6]) if len(sys.argv) > 6 else 10**9)
    elif command == "read":
        print(json.dumps(read_repeatedly(text, float(sys.argv[3]))), flush=True)
    elif command == "hold":
        hold_catalog(text)
