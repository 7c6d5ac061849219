"""Looking at many environments within a time budget: concurrently, each on its own, resuming in turn.

AFAS's cap on calls in flight is per environment, so environments can be looked at side by side. A
failure of one (a revoked token, a blocked connector, maintenance, a time-out) is that environment's
outcome, never the others'. A look that would start after the budget's deadline is left for the
next sweep, which starts with the environments this one did not reach; in-flight looks are waited
for (each is a few AFAS calls, bounded by the client's own time-outs).
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


def sweep(names: Sequence[str], look: Callable[[str], T], *, budget_s: float, parallel: int) -> Sweep[T]:
    """Run `look(name)` for each name, `parallel` at a time, starting none after `budget_s` seconds.

    Args:
        names: the environments, in the order to look at them.
        look: one environment's look; whatever it raises is that environment's failure.
        budget_s: no look starts after this many seconds (> 0).
        parallel: looks at once (≥ 1).
    """
    started = time.monotonic()
    deadline = started + budget_s
    outcome: Sweep[T] = Sweep()
    queue = list(names)
    running: dict[Future, str] = {}
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="environment") as pool:
        while queue or running:
            while queue and len(running) < parallel and time.monotonic() < deadline:
                name = queue.pop(0)
                running[pool.submit(look, name)] = name
            if not running:
                break  # the budget is spent: the rest waits for the next sweep
            done, _ = wait(running, timeout=max(0.0, deadline - time.monotonic()) or None,
                           return_when=FIRST_COMPLETED)
            for future in done:
                name = running.pop(future)
                try:
                    outcome.results[name] = future.result()
                except Exception as error:  # noqa: BLE001 - one environment's failure is its own outcome
                    outcome.failures[name] = error
    outcome.not_reached = queue
    outcome.seconds = time.monotonic() - started
    return outcome
