"""Writes that share one opening of the warehouse file.

Opening and closing a DuckDB file costs about 45 ms, more than writing a typical slice. When several
threads of this process want to write at once (a run loads 8 slices at a time), the first one opens
the file and performs every write waiting at that moment, each in its own transaction, before it
closes the file; the others just wait for their own outcome. A write alone is done exactly as before.
Other processes still take turns through the lock file: the file stays open only while writes are
waiting, never while anything is fetched or validated.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import duckdb

Work = Callable[[duckdb.DuckDBPyConnection], Any]


class _Queue:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.waiting: deque[tuple[Work, Future]] = deque()
        self.writing = False


_queues: dict[Path, _Queue] = {}
_queues_lock = threading.Lock()


def _queue(path: Path) -> _Queue:
    key = path.resolve()
    with _queues_lock:
        return _queues.setdefault(key, _Queue())


def write(path: Path, open_file: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]], work: Work) -> Any:
    """Run `work(con)` on the file at `path`, opened by `open_file`, together with other waiting writes.

    `work` runs its own transaction; what it raises reaches this caller only.
    """
    queue = _queue(path)
    mine: Future = Future()
    with queue.lock:
        queue.waiting.append((work, mine))
        leading = not queue.writing
        queue.writing = True
    if leading:
        _drain(queue, open_file)
    return mine.result()


def _drain(queue: _Queue, open_file: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]) -> None:
    try:
        with open_file() as con:
            while True:
                with queue.lock:
                    if not queue.waiting:
                        queue.writing = False  # under the lock: a write arriving now leads the next opening
                        return
                    work, future = queue.waiting.popleft()
                try:
                    future.set_result(work(con))
                except BaseException as exc:  # noqa: BLE001 - handed to the caller that asked for this write
                    future.set_exception(exc)
    except BaseException as exc:  # noqa: BLE001 - the file could not be opened (or closed): every waiting write fails
        with queue.lock:
            failed = list(queue.waiting)
            queue.waiting.clear()
            queue.writing = False
        # The leader's own write is among them unless it already ran; an error closing the file
        # after every write committed reaches nobody (the commits stand).
        for _, future in failed:
            future.set_exception(exc)
