"""A small LRU of filtered and ordered connector frames, shared by the pages of one load.

Filtering and sorting a 1,000,000-row slice takes far longer than cutting a page out of it, so the
server keeps the ordered result and pages through it. Keys include the environment's data version,
so a scenario that changes data makes old entries unreachable (and they age out).

Only ordered queries are cached: an unordered result must be reshuffled per call (see query.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future

import polars as pl


class FrameCache:
    """Least-recently-used frames, bounded by their total row count.

    Concurrent requests for the same key compute the frame once ("single flight"): a client paging
    in parallel would otherwise sort the same million rows several times at once.

    Args:
        max_rows: rows kept across all entries; the least recently used go first. A frame larger
            than this is served but not kept.
        max_entries: entries kept at most.
    """

    def __init__(self, max_rows: int = 3_000_000, max_entries: int = 64) -> None:
        self._max_rows = max_rows
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._frames: OrderedDict[Hashable, pl.DataFrame] = OrderedDict()
        self._rows = 0
        self._pending: dict[Hashable, Future[pl.DataFrame]] = {}
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        """The cached frame for `key`, computing and keeping it on a miss.

        Raises:
            Whatever `compute` raises (every waiter for the same key gets the same exception).
        """
        with self._lock:
            frame = self._frames.get(key)
            if frame is not None:
                self._frames.move_to_end(key)
                self.hits += 1
                return frame
            future = self._pending.get(key)
            owner = future is None
            if owner:
                future = self._pending[key] = Future()
                self.misses += 1
        assert future is not None
        if not owner:
            return future.result()
        try:
            frame = compute()
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            future.set_exception(exc)
            raise
        with self._lock:
            del self._pending[key]
            self._keep(key, frame)
        future.set_result(frame)
        return frame

    def _keep(self, key: Hashable, frame: pl.DataFrame) -> None:
        if frame.height > self._max_rows:
            return
        self._frames[key] = frame
        self._rows += frame.height
        while self._rows > self._max_rows or len(self._frames) > self._max_entries:
            _, evicted = self._frames.popitem(last=False)
            self._rows -= evicted.height

    def clear(self) -> None:
        """Forget every frame (e.g. after data changed outside a versioned path)."""
        with self._lock:
            self._frames.clear()
            self._rows = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)
