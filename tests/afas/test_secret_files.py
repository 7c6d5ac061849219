"""Secret files are 0600 whatever was there before, and a write killed halfway leaves nothing behind."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from afas.atomic_files import STALE_AFTER_S, remove_stale_temporaries, write_atomically
from afas.documents import save_document
from afas.client import Document
from afas.environments import EnvironmentEntry, EnvironmentStore

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ab" * 32
ENTRY = EnvironmentEntry(name="o12345", environment_code="O12345AA")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(home: Path) -> list[str]:
    return sorted(p.name for p in home.rglob("*") if p.name.endswith((".tmp", ".part")))


def test_a_secret_file_that_was_0644_becomes_0600(tmp_path):
    store = EnvironmentStore(tmp_path / "home", environ={})
    store.save(ENTRY, TOKEN)
    secret = store.home / "secrets" / "o12345"
    os.chmod(secret, 0o644)  # someone made it readable, or a tool restored it so
    store.save(ENTRY, "cd" * 32)
    assert mode(secret) == 0o600
    assert store.secret("o12345") == "cd" * 32
    assert mode(store.home) == 0o700 and mode(store.home / "secrets") == 0o700


def test_a_secret_file_is_0600_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        EnvironmentStore(tmp_path / "home", environ={}).save(ENTRY, TOKEN)
    finally:
        os.umask(old)
    assert mode(tmp_path / "home" / "secrets" / "o12345") == 0o600
    assert leftovers(tmp_path / "home") == []


def test_a_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "secret"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    try:
        write_atomically(target, b"new", mode=0o600)
    except OSError:
        pass
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret"]


def test_a_write_killed_halfway_leaves_nothing_after_the_next_start(tmp_path):
    home = tmp_path / "home"
    EnvironmentStore(home, environ={}).save(ENTRY, TOKEN)
    # The writer stops between writing the temporary file and putting it in place, and is killed there.
    script = textwrap.dedent(f"""
        import os, sys, time
        from afas.environments import EnvironmentEntry, EnvironmentStore
        os.fsync = lambda fd: (print("writing", flush=True), time.sleep(60))
        EnvironmentStore({str(home)!r}, environ={{}}).save(EnvironmentEntry("o12345", "O12345AA"), {"cd" * 32!r})
    """)
    writer = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert len(leftovers(home)) == 1, leftovers(home)  # the kill did leave one: this is what is cleaned
    # Files of the naming earlier versions used, left by a kill before this change.
    (home / "secrets" / "o12345.tmp").write_text(TOKEN)
    (home / "environments.tmp").write_text("{}")

    store = EnvironmentStore(home, environ={})
    assert [e.name for e in store.entries()] == ["o12345"]  # the next start reads as before ...
    assert leftovers(home) == []  # ... and removes what the killed writes left
    assert store.secret("o12345") == TOKEN  # the killed write changed nothing


def test_a_temporary_file_of_a_running_writer_is_kept_until_it_is_stale(tmp_path):
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        busy = tmp_path / f".environments.json.{running.pid}.0123abcd.tmp"
        busy.write_text("{}")
        assert remove_stale_temporaries(tmp_path, "environments.json") == []
        long_ago = time.time() - STALE_AFTER_S - 60  # a pid that lives that long after is a reused one
        os.utime(busy, (long_ago, long_ago))
        assert remove_stale_temporaries(tmp_path, "environments.json") == [busy]
    finally:
        running.kill()
        running.wait()


def test_a_document_is_written_without_leftovers(tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / ".Factuur.pdf.999999999.0123abcd.tmp").write_bytes(b"half")  # a killed download's
    path = save_document(Document("Factuur.pdf", "application/pdf", b"%PDF-1.7"), "5C05" * 8, folder)
    assert path.read_bytes() == b"%PDF-1.7"
    assert sorted(p.name for p in folder.iterdir()) == ["Factuur.pdf"]
