"""Looking at many environments within a time budget: concurrently, each on its own, resuming in turn.

AFAS's cap on calls in flight is per environment, so environments can be looked at side by side. A
failure of one (a revoked token, a blocked connector, maintenance, a time-out) is that environment's
outcome, never the others'. A look that would start after the budget's deadline is left for the
next sweep, which starts with the environments this one did not reach. Looks still running a grace
period after the deadline are not waited for: they count as that environment's failure (a time-out)
and run out on their own thread — one environment whose AFAS hangs must not push the whole tick
past Dagster's 60 s limit, which would lose every other environment's result with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class Sweep(Generic[T]):
    """What one sweep did.

    Attributes:
        results: environment → what the look returned, for the environments looked at successfully.
        failures: environment → the exception its look raised.
        not_reached: environments left for the next sweep (the budget ran out), in order.
        seconds: wall time of the sweep.
    """

    results: dict[str, T] = field(default_factory=dict)
    failures: dict[str, Exception] = field(default_factory=dict)
    not_reached: list[str] = field(default_factory=list)
    seconds: float = 0.0


def in_turn(names: Sequence[str], first: str | None) -> list[str]:
    """`names` in order, starting at `first` (when it is one of them) and wrapping around."""
    names = list(names)
    if first not in names:
        return names
    i = names.index(first)
    return names[i:] + names[:i]


class LookTimedOut(TimeoutError):
    """A look still running when the sweep stopped waiting."""


def sweep(names: Sequence[str], look: Callable[[str], T], *, budget_s: float, parallel: int,
          grace_s: float = 15.0) -> Sweep[T]:
    """Run `look(name)` for each name, `parallel` at a time, starting none after `budget_s` seconds.

    Args:
        names: the environments, in the order to look at them.
        look: one environment's look; whatever it raises is that environment's failure.
        budget_s: no look starts after this many seconds (> 0).
        parallel: looks at once (≥ 1).
        grace_s: how long after the budget running looks are waited for; then they fail (LookTimedOut).
    """
    started = time.monotonic()
    deadline, last_wait = started + budget_s, started + budget_s + grace_s
    outcome: Sweep[T] = Sweep()
    queue = list(names)
    running: dict[Future, str] = {}
    pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="environment")
    try:
        while queue or running:
            while queue and len(running) < parallel and time.monotonic() < deadline:
                name = queue.pop(0)
                running[pool.submit(look, name)] = name
            if not running:
                break  # the budget is spent: the rest waits for the next sweep
            until = deadline if queue and time.monotonic() < deadline else last_wait
            done, _ = wait(running, timeout=max(0.0, until - time.monotonic()), return_when=FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                try:
                    outcome.results[name] = future.result()
                except Exception as error:  # noqa: BLE001 - one environment's failure is its own outcome
                    outcome.failures[name] = error
            if not done and time.monotonic() >= last_wait:
                for name in running.values():
                    outcome.failures[name] = LookTimedOut(
                        f"no answer from AFAS within {budget_s + grace_s:.0f} s of the tick's start; "
                        "looked at again on the next tick")
                break
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a hung look ends with its client's own time-out
    outcome.not_reached = queue
    outcome.seconds = time.monotonic() - started
    return outcome
