"""Many environments within a budget: side by side, each failure its own, resuming where it stopped."""

from __future__ import annotations

import threading
import time

from incremental import in_turn, sweep
from incremental.sweep import LookTimedOut


def test_failures_stay_with_their_environment():
    def look(name: str) -> str:
        if name == "b":
            raise PermissionError("token blocked")
        return name.upper()

    done = sweep(["a", "b", "c"], look, budget_s=5, parallel=2)
    assert done.results == {"a": "A", "c": "C"} and list(done.failures) == ["b"] and done.not_reached == []
    assert "token blocked" in str(done.failures["b"])


def test_environments_are_looked_at_side_by_side():
    active, most = [0], [0]
    lock = threading.Lock()

    def look(name: str) -> None:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1

    done = sweep([str(i) for i in range(8)], look, budget_s=5, parallel=4)
    assert most[0] == 4 and len(done.results) == 8  # four at a time: side by side, not in turn


def test_no_look_starts_after_the_budget_and_the_next_sweep_resumes_there():
    names = [f"o{i}" for i in range(10)]
    done = sweep(names, lambda n: time.sleep(0.3), budget_s=0.5, parallel=2)
    assert len(done.results) == 4 and done.not_reached == names[4:]  # 2 at 0 s, 2 at 0.3 s; none at 0.6 s
    assert done.seconds < 1.0
    assert in_turn(names, done.not_reached[0])[:2] == ["o4", "o5"] and len(in_turn(names, "o4")) == 10
    assert in_turn(names, "gone") == names


def test_a_hanging_environment_fails_alone_and_does_not_hold_the_sweep():
    released = threading.Event()

    def look(name: str) -> str:
        if name == "hangs":
            released.wait(30)  # an AFAS that never answers (the client's own time-out is minutes)
        return name

    try:
        done = sweep(["a", "hangs", "b"], look, budget_s=0.3, parallel=3, grace_s=0.3)
        assert done.seconds < 2.0
        assert done.results == {"a": "a", "b": "b"} and done.not_reached == []
        assert isinstance(done.failures["hangs"], LookTimedOut) and "next tick" in str(done.failures["hangs"])
    finally:
        released.set()
