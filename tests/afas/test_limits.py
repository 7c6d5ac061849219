"""The in-flight cap beyond one process: lock files on one machine, PostgreSQL advisory locks across
machines; counted by the simulator, with a bounded wait when every slot stays taken."""

from __future__ import annotations

import fcntl
import multiprocessing as mp
import os
import signal
import subprocess
import sys

import psycopg
import pytest

from afas.errors import CallSlotsBusyError
from afas.limits import PostgresSlots, shared_slots_for
from afas.settings import ClientSettings
from tests.conftest import MEMBER, connection_for
from tests.postgres_server import fresh_database
from tests.waits import RecordedWaits


def _fetch_in_child(base_url: str, token: str, slots: dict, unit: int) -> int:
    from afas.client import AfasClient
    from afas.connection import Connection

    conn = Connection.from_token("O12345AA", token, base_url=base_url)
    settings = ClientSettings(cells_per_page=18 * 20, max_in_flight=3, **slots)
    with AfasClient(conn, settings) as client:
        return client.fetch("Visionplanner_transactions", administration=unit).frame.height


def _three_processes(sim, slots: dict) -> list[int]:
    sim.config.realism.latency_per_request_s = 0.03
    conn = connection_for(sim)
    with mp.get_context("spawn").Pool(3) as pool:
        return pool.starmap(_fetch_in_child, [(conn.base_url, sim.token_xml(MEMBER), slots, unit) for unit in (1, 2, 3)])


@pytest.mark.slow  # three spawned processes, each importing the client
def test_lock_files_hold_the_cap_across_processes(sim, tmp_path):
    heights = _three_processes(sim, {"shared_slots_dir": str(tmp_path / "slots")})
    assert all(h > 0 for h in heights)
    # three processes each allowed 3 by their own limiter; the shared slots keep the total at 3
    assert sim.stats[MEMBER].max_in_flight == 3


@pytest.mark.services
def test_postgres_advisory_locks_hold_the_cap_across_processes(sim, postgres_server):
    with fresh_database("afas_slots", server_url=postgres_server) as db:
        heights = _three_processes(sim, {"shared_slots_postgres": db.conninfo})
    assert all(h > 0 for h in heights)
    assert sim.stats[MEMBER].max_in_flight == 3


def _slots(kind: str, where: str, wait_s: float, waits: RecordedWaits | None = None):
    """Two slots of o12345; with `waits`, a wait for a slot is recorded there instead of slept."""
    slots = shared_slots_for(
        directory=where if kind == "files" else None, postgres=where if kind == "postgres" else None,
        environment_key="https://12345.rest.afas.online/profitrestservices", environment="o12345",
        capacity=2, wait_s=wait_s,
    )
    if waits is not None:
        slots.sleep, slots.clock = waits.sleep, waits.clock
    return slots


def _assert_polled_for(waits: RecordedWaits, wait_s: float) -> None:
    """The waits of a slot that never came free: 2 ms doubling to at most 50 ms, `wait_s` in all."""
    assert waits.total == pytest.approx(wait_s)
    growing = waits.waits[:-1]  # the last wait is cut short at the deadline
    assert growing[:5] == pytest.approx([0.002, 0.004, 0.008, 0.016, 0.032])
    assert set(growing[5:]) <= {0.05}


@pytest.fixture(params=["files", pytest.param("postgres", marks=pytest.mark.services)])
def slot_store(request, tmp_path):
    """(kind, where): a lock-file folder, or a fresh PostgreSQL database's conninfo."""
    if request.param == "files":
        yield "files", str(tmp_path / "slots")
    else:
        with fresh_database("afas_slots", server_url=request.getfixturevalue("postgres_server")) as db:
            yield "postgres", db.conninfo


def test_a_thread_never_takes_a_slot_another_thread_of_its_process_holds(slot_store):
    """PostgreSQL grants a session the same advisory lock twice: our own bookkeeping must not."""
    kind, where = slot_store
    waits = RecordedWaits()
    slots = _slots(kind, where, wait_s=0.3, waits=waits)
    with slots.slot(), slots.slot():
        assert waits.waits == []  # both free: taken without waiting
        with pytest.raises(CallSlotsBusyError):
            with slots.slot():
                pass
        _assert_polled_for(waits, 0.3)
    with slots.slot(), slots.slot():  # both free again
        pass


_HOLD_ALL = """
import sys, time
from afas.limits import shared_slots_for
kind, where = sys.argv[1], sys.argv[2]
slots = shared_slots_for(directory=where if kind == "files" else None, postgres=where if kind == "postgres" else None,
                         environment_key="https://12345.rest.afas.online/profitrestservices", environment="o12345",
                         capacity=2, wait_s=5)
with slots.slot(), slots.slot():
    print("holding", flush=True)
    time.sleep(600)
"""


def _holder(kind: str, where: str) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_ALL, kind, where], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_paused_holder_makes_waiters_fail_clearly_and_a_killed_one_frees_its_slots(slot_store):
    kind, where = slot_store
    holder = _holder(kind, where)
    try:
        holder.send_signal(signal.SIGSTOP)  # paused, as a process stopped in a debugger or by the OS
        waits = RecordedWaits()
        with pytest.raises(CallSlotsBusyError) as caught:
            with _slots(kind, where, wait_s=1.0, waits=waits).slot():
                pass
        _assert_polled_for(waits, 1.0)  # the bound, recorded: no real second waited
        message = str(caught.value)
        assert "All 2 AFAS call slots of o12345 stayed taken for 1 s" in message
        assert "paused or hung" in message and "AFAS_SLOT_WAIT_S" in message
        holder.kill()  # its slots go with its process (the kernel's flock, the server's session)
        holder.wait()
        with _slots(kind, where, wait_s=5.0).slot():
            pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


@pytest.mark.services
def test_postgres_slots_live_in_their_own_key_space(postgres_server):
    """Another client's advisory lock in the one-number form (the lake's slice locks) is no slot."""
    with fresh_database("afas_slots", server_url=postgres_server) as db:
        with psycopg.connect(db.conninfo, autocommit=True) as other:
            other.execute("SELECT pg_advisory_lock(0), pg_advisory_lock(1)")
            slots = PostgresSlots(db.conninfo, "https://x", "o1", capacity=1, wait_s=0.5)
            with slots.slot():
                (held,) = other.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2"
                ).fetchone()
                assert held == 1  # the two-number form: PostgreSQL records it with objsubid 2


def test_an_unreachable_slots_database_is_a_clear_error_without_its_password():
    from afas.errors import ConfigurationError

    slots = PostgresSlots("host=127.0.0.1 port=1 user=u password=s3cret-pw connect_timeout=2", "https://x", "o1",
                          capacity=1, wait_s=1)
    with pytest.raises(ConfigurationError) as caught:
        with slots.slot():
            pass
    assert "AFAS call slots" in str(caught.value)
    assert "s3cret-pw" not in str(caught.value)


def test_lock_files_are_only_readable_by_their_owner(tmp_path):
    with _slots("files", str(tmp_path / "slots"), wait_s=1).slot():
        pass
    (folder,) = (tmp_path / "slots").iterdir()
    for lock in folder.iterdir():
        assert lock.stat().st_mode & 0o077 == 0
        fd = os.open(lock, os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released after the block
        os.close(fd)
