"""A thread-safe, size-bounded LRU cache that computes each missing value only once.

Server threads ask for the same big slice at the same time (one per page); the first computes it,
the others wait for that result instead of generating a second copy.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import polars as pl


def size_of(value: Any) -> int:
    """Approximate bytes held by a cached value (frames, arrays, objects with `nbytes`)."""
    if isinstance(value, pl.DataFrame):
        return int(value.estimated_size())
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    nbytes = getattr(value, "nbytes", None)
    if isinstance(nbytes, int):
        return nbytes
    if isinstance(value, (tuple, list)):
        return sum(size_of(v) for v in value) + 64
    return 1024


class LruCache:
    """Least-recently-used values up to `max_bytes` (None: unbounded).

    A single value bigger than the cap is returned but not kept.
    """

    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes
        self._data: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._pending: dict[Hashable, threading.Lock] = {}

    @property
    def bytes(self) -> int:
        """Bytes currently held."""
        with self._lock:
            return self._bytes

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value for `key`, computing (once, even under concurrency) when missing."""
        with self._lock:
            hit = self._lookup(key)
            if hit is not None:
                return hit[0]
            gate = self._pending.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                hit = self._lookup(key)
                if hit is not None:
                    return hit[0]
            try:
                value = compute()
                with self._lock:
                    self._store(key, value)
            finally:
                with self._lock:
                    self._pending.pop(key, None)
            return value

    def discard(self, stale: Callable[[Hashable], bool]) -> int:
        """Drop the values whose key `stale` accepts (e.g. frames of a superseded version)."""
        with self._lock:
            keys = [k for k in self._data if stale(k)]
            for k in keys:
                self._bytes -= self._data.pop(k)[1]
            return len(keys)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    def _lookup(self, key: Hashable) -> tuple[Any, int] | None:
        hit = self._data.get(key)
        if hit is not None:
            self._data.move_to_end(key)
        return hit

    def _store(self, key: Hashable, value: Any) -> None:
        size = size_of(value)
        if self.max_bytes is not None and size > self.max_bytes:
            return
        old = self._data.pop(key, None)
        if old is not None:
            self._bytes -= old[1]
        self._data[key] = (value, size)
        self._bytes += size
        while self.max_bytes is not None and self._bytes > self.max_bytes and len(self._data) > 1:
            _, (_, dropped) = self._data.popitem(last=False)
            self._bytes -= dropped


#: Default cap of the cache all ledgers of a process share (bytes).
DEFAULT_CACHE_BYTES = 1 << 30
_shared: LruCache | None = None
_shared_lock = threading.Lock()


def shared_cache() -> LruCache:
    """The process-wide cache (1 GiB) that ledgers use unless given their own.

    Sharing keeps the memory of a simulator serving many environments bounded as a whole, not per
    environment.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = LruCache(DEFAULT_CACHE_BYTES)
        return _shared
