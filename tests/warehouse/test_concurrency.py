"""Several processes on one lake, on both catalogs: writers, a reader, a killed writer, a stopped one.

Each check compares what the lake holds with what the writers wrote (every period's three tables
from one complete, balanced load), not merely that commits succeeded: DuckLake's conflict detection
has had bugs, and only the contents can show them.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.warehouse.workers import (
    CONSISTENCY_SQL,
    books,
    inconsistencies,
    line_count,
    settings_json,
    write_generations,
)
from warehouse import Warehouse, WarehouseBusyError
from warehouse.access import read_only_connection

pytestmark = pytest.mark.slow  # several processes writing and reading for many seconds

WORKERS = Path(__file__).with_name("workers.py")


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKERS), *args], stdout=subprocess.PIPE, text=True)


def lake_state(settings) -> list[tuple]:
    con = read_only_connection(settings)
    try:
        return con.execute(CONSISTENCY_SQL).fetchall()
    finally:
        con.close()


def test_three_loads_and_a_reader_every_100_ms_see_only_whole_balanced_periods(any_lake):
    text = settings_json(any_lake)
    Warehouse(any_lake).ensure_all_tables()
    # Administrations 1-3 are each one writer's; period 9 of administration 7 all three write.
    writers = [start("write", text, str(admin), "1,2,3", str(10 * admin), "4") for admin in (1, 2, 3)]
    shared = [start("write", text, "7", "9", str(100 + i), "4") for i in range(3)]
    reader = start("read", text, "0")  # warm-up: attaching works before the loads start
    assert json.loads(reader.communicate(timeout=60)[0])["errors"] == []
    reader = start("read", text, "12")
    try:
        for p in writers + shared:
            assert p.wait(timeout=240) == 0, "a writer failed"
        summary = json.loads(reader.communicate(timeout=60)[0])
    finally:
        for p in writers + shared + [reader]:
            p.kill()
    assert summary["errors"] == [], summary["errors"][:3]
    assert summary["problems"] == [], summary["problems"][:3]
    assert summary["queries"] >= 30 and summary["periods_seen"] > 0
    final = lake_state(any_lake)
    assert inconsistencies(final) == []
    gens = {(admin, period): t_gens[0] for admin, period, t_gens, *_ in final}
    assert gens == {**{(a, p): f"g{10 * a + 3}" for a in (1, 2, 3) for p in (1, 2, 3)},
                    (7, 9): gens[(7, 9)]}
    assert gens[(7, 9)] in {f"g{100 + i + 3}" for i in range(3)}  # the last generation of one of its writers


def test_a_writer_killed_at_random_moments_leaves_every_period_whole(any_lake):
    text = settings_json(any_lake)
    Warehouse(any_lake).ensure_all_tables()
    seed = random.randrange(10**6)
    rnd = random.Random(seed)
    first = 0
    for _ in range(5):
        writer = start("write", text, "1", "1,2,3,4", str(first))
        time.sleep(rnd.uniform(0.3, 2.5))
        writer.kill()  # SIGKILL: no cleanup, wherever it is (maybe mid-commit)
        writer.wait()
        state = lake_state(any_lake)
        assert inconsistencies(state) == [], f"seed {seed}"
        first += 1000
    # After the kills the lake still takes writes, and then holds exactly the last one.
    write_generations(text, 1, [1, 2, 3, 4], 7, 1)
    state = lake_state(any_lake)
    assert [(a, p, t, l) for a, p, t, _, _, l, *_ in state] == [(1, p, ["g7"], 2 * line_count(7)) for p in (1, 2, 3, 4)]


def test_a_stopped_process_holding_the_catalog_blocks_a_writer_only_for_the_bound(any_lake):
    text = settings_json(any_lake)
    wh = Warehouse(any_lake)
    wh.replace_slices(books(1, 1, 0))
    holder = start("hold", text)
    assert holder.stdout.readline().strip() == "holding"
    try:
        # Readers are not blocked by it.
        assert inconsistencies(lake_state(any_lake)) == []
        bound = 6
        slow = Warehouse(type(any_lake)(**{**any_lake.__dict__, "busy_timeout_s": bound}))
        started = time.monotonic()
        with pytest.raises(WarehouseBusyError, match="stopped or hung") as raised:
            slow.replace_slices(books(1, 1, 1))
        took = time.monotonic() - started
        # The bound, plus at most one attempt that was already waiting on the lock (PostgreSQL: 5 s).
        assert bound <= took < bound + 12, took
        assert "password" not in str(raised.value)
    finally:
        holder.send_signal(signal.SIGCONT)
        holder.kill()
        holder.wait()
    # The holder is gone: writes go through again, and the failed one left nothing behind.
    assert [t for _, _, t, *_ in lake_state(any_lake)] == [["g0"]]
    wh.replace_slices(books(1, 1, 2))
    assert [t for _, _, t, *_ in lake_state(any_lake)] == [["g2"]]


@pytest.mark.services
def test_postgres_ends_a_stopped_writers_session_so_the_others_go_on(tmp_path, postgres_server, monkeypatch):
    """With a PostgreSQL catalog the server itself frees a stopped holder's locks (idle-in-transaction time-out)."""
    from tests.conftest import lake_on

    with lake_on("postgres", tmp_path, postgres_server, busy_timeout_s=60) as settings:
        wh = Warehouse(settings)
        wh.replace_slices(books(1, 1, 0))
        monkeypatch.setenv("HOLD_IDLE_TIMEOUT_MS", "3000")  # the pipeline's own sessions: 60 s
        holder = subprocess.Popen([sys.executable, str(WORKERS), "hold", settings_json(settings)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert holder.stdout.readline().strip() == "holding"
            started = time.monotonic()
            wh.replace_slices(books(1, 1, 1))
            assert time.monotonic() - started < 20
        finally:
            holder.send_signal(signal.SIGCONT)
            holder.kill()
            holder.wait()
        assert [t for _, _, t, *_ in lake_state(settings)] == [["g1"]]


def test_processes_opening_a_new_lake_at_the_same_moment_all_write(any_lake):
    """The first opening creates the catalog; four at once must not trip over each other."""
    text = settings_json(any_lake)
    writers = [start("write", text, str(admin), "1", "0", "1") for admin in (1, 2, 3, 4)]
    try:
        assert [p.wait(timeout=120) for p in writers] == [0, 0, 0, 0]
    finally:
        for p in writers:
            p.kill()
    state = lake_state(any_lake)
    assert inconsistencies(state) == [] and [a for a, *_ in state] == [1, 2, 3, 4]
