"""Recorded waits: a stand-in for `time.sleep` (and the clock it moves) that waits for nothing.

Code that waits takes a `sleep` callable (and, where it also reads a clock to bound the wait, a
`clock`); a test passes `waits.sleep` / `waits.clock` and then asserts on `waits.waits`, the
seconds it was asked to wait, in order, instead of sleeping for real or measuring wall time.
(Alike in shape to the simulator's thread-safe counters in `afas_simulator/stats.py`, which
`duplicates` pairs with it: a lock around a list append is all they share.)
"""

from __future__ import annotations

import threading


class RecordedWaits:
    """Records every wait; `clock()` advances by exactly the waits (thread-safe, starts at 1000 s)."""

    def __init__(self, start: float = 1000.0):
        self.now = start
        self.waits: list[float] = []
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
            self.now += seconds

    def clock(self) -> float:
        with self._lock:
            return self.now

    @property
    def total(self) -> float:
        with self._lock:
            return sum(self.waits)

