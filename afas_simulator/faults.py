"""How AFAS Online misbehaves: latency, load limits, maintenance, random and scripted faults.

Two sources of trouble, both decided here and nowhere else:

* `Realism` knobs model a loaded AFAS Online: latency per call and per row, a penalty for deep
  `skip`, a cap on calls in flight, a maintenance window, seeded random transient 500s and
  connection resets, and AFAS's server time-out.
* Scripted faults make a test deterministic: `faults.script("503", times=1, retry_after=1)` makes
  the next matching call answer 503, whatever the knobs say.

Kinds of scripted fault:
    "503": maintenance answer with `retry_after` in the body.
    "500": transient error (`message` overrides AFAS's text).
    "reset": the connection is reset (TCP RST) without an answer.
    "timeout": after `delay` seconds, AFAS's server time-out 500.
    "slow": the call takes `delay` seconds longer (and may hit the server time-out).
    "blocked": the GetConnector answers "Deze GetConnector (definitie) is geblokkeerd".
    "bad_row": the page is answered, but with one broken row (`mode`): "duplicate" repeats the
        first row, "unbalanced" adds 0.01 to the first row's debit amount, "null_key" empties the
        first key field. What a corrupted AFAS definition or a half-written entry looks like.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass

from afas_simulator.config import Realism
from afas_simulator.messages import (
    ERROR_NUMBER_TIMEOUT,
    ERROR_NUMBER_TRANSIENT,
    TIMEOUT_TEXT,
    TOO_MANY_IN_FLIGHT_TEXT,
    TRANSIENT_TEXT,
    Reply,
    afas_error,
    connection_reset,
    maintenance,
)

KINDS = frozenset({"503", "500", "reset", "timeout", "slow", "blocked", "bad_row"})
BAD_ROW_MODES = frozenset({"duplicate", "unbalanced", "null_key"})

#: AFAS: past skip 100,000 the speed is "no longer acceptable" [S].
DEEP_SKIP_THRESHOLD = 100_000


@dataclass
class ScriptedFault:
    """A fault that fires on the next `times` matching calls.

    Attributes:
        kind: one of `KINDS`.
        times: calls left to hit; None means until cleared.
        connector: only GetConnector calls (`/connectors/{id}`) of this connector; None: any call
            ("blocked" always waits for a GetConnector call).
        member: only calls to this environment; None: any environment.
        retry_after: seconds for a "503".
        delay: seconds for "slow" and "timeout".
        message: replaces AFAS's text of a "500" or "503".
        mode: how a "bad_row" breaks the page (see the module docstring).
    """

    kind: str
    times: int | None = 1
    connector: str | None = None
    member: str | None = None
    retry_after: int = 1
    delay: float = 0.1
    message: str | None = None
    mode: str = "duplicate"

    def matches(self, member: str, connector: str | None) -> bool:
        if self.kind == "blocked" and connector is None:
            return False  # only a GetConnector call can meet a blocked GetConnector
        if self.member is not None and self.member != member:
            return False
        return self.connector is None or (connector is not None and self.connector.lower() == connector.lower())


@dataclass(frozen=True)
class Hit:
    """What the faults decided for one call before any work is done.

    Attributes:
        reply: answer this instead of doing the work (a 500, a reset, a time-out).
        extra_delay: seconds to add to the call's simulated work ("slow").
        blocked: answer as a blocked GetConnector.
        bad_row: break one row of the page this way (a "bad_row" mode), or None.
    """

    reply: Reply | None = None
    extra_delay: float = 0.0
    blocked: bool = False
    bad_row: str | None = None


class Faults:
    """Fault injection for every environment of one simulator.

    Args:
        realism: the knobs; kept by reference, so changing an attribute takes effect at once.
        seed: seeds the random faults, so a run's sequence of faults is reproducible.

    Attributes:
        sleep: how the simulated work and scripted delays wait (`time.sleep`); tests may put a
            recorder here to see the waits without spending them.
    """

    def __init__(self, realism: Realism, seed: int) -> None:
        self.realism = realism
        self.sleep = time.sleep
        self._rng = random.Random(seed)
        # A second stream, so that unordered calls do not shift the sequence of random faults.
        self._shuffle_rng = random.Random(seed ^ 0x5EED_5A1F)
        self._lock = threading.Lock()
        self._scripted: list[ScriptedFault] = []
        self._random_hits: Counter[str] = Counter()

    # ---- scripting ------------------------------------------------------------------------------

    def script(
        self,
        kind: str,
        times: int | None = 1,
        *,
        connector: str | None = None,
        member: str | None = None,
        retry_after: int = 1,
        delay: float = 0.1,
        message: str | None = None,
        mode: str = "duplicate",
    ) -> ScriptedFault:
        """Make the next `times` matching calls fail in a given way (see the module docstring).

        Faults fire in the order they were scripted; one call consumes at most one fault.

        Raises:
            ValueError: an unknown kind or a non-positive `times`.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for 'until cleared')")
        if kind == "bad_row" and mode not in BAD_ROW_MODES:
            raise ValueError(f"unknown bad_row mode {mode!r}; expected one of {sorted(BAD_ROW_MODES)}")
        fault = ScriptedFault(kind, times, connector, member, retry_after, delay, message, mode)
        with self._lock:
            self._scripted.append(fault)
        return fault

    def clear(self) -> None:
        """Drop every scripted fault."""
        with self._lock:
            self._scripted.clear()

    def pending(self) -> list[ScriptedFault]:
        """Scripted faults that have not been used up yet."""
        with self._lock:
            return list(self._scripted)

    def _take(self, kinds: frozenset[str], member: str, connector: str | None) -> ScriptedFault | None:
        with self._lock:
            for fault in self._scripted:
                if fault.kind in kinds and fault.matches(member, connector):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times == 0:
                            self._scripted.remove(fault)
                    return fault
        return None

    # ---- checks, in the order the request pipeline makes them -----------------------------------

    def maintenance(self, member: str, connector: str | None = None) -> Reply | None:
        """503 while AFAS Online is in maintenance (the window, or a scripted "503").

        Args:
            member: the environment called.
            connector: the GetConnector id for `/connectors/{id}` calls, None for other calls.
        """
        until = self.realism.maintenance_until
        if until is not None and time.time() < until:
            return maintenance(self.realism.maintenance_retry_after_s)
        fault = self._take(frozenset({"503"}), member, connector)
        if fault is not None:
            return maintenance(fault.retry_after, *([fault.message] if fault.message else []))
        return None

    def too_many_in_flight(self, in_flight: int) -> Reply | None:
        """500 when more calls run at once than AFAS takes (`Realism.max_in_flight`) [G text]."""
        if in_flight > self.realism.max_in_flight:
            return afas_error(500, TOO_MANY_IN_FLIGHT_TEXT, ERROR_NUMBER_TRANSIENT)
        return None

    def before_work(self, member: str, connector: str | None) -> Hit:
        """Scripted faults first, then the seeded random ones.

        Args:
            member: the environment called.
            connector: the GetConnector id for `/connectors/{id}` calls, None for other calls.
        """
        fault = self._take(KINDS - {"503"}, member, connector)
        if fault is not None:
            if fault.kind == "500":
                return Hit(afas_error(500, fault.message or TRANSIENT_TEXT, ERROR_NUMBER_TRANSIENT))
            if fault.kind == "reset":
                return Hit(connection_reset())
            if fault.kind == "timeout":
                self.sleep(fault.delay)
                return Hit(timed_out())
            if fault.kind == "slow":
                return Hit(extra_delay=fault.delay)
            if fault.kind == "blocked":
                return Hit(blocked=True)
            if fault.kind == "bad_row":
                return Hit(bad_row=fault.mode)
        reset_rate, error_rate = self.realism.reset_rate, self.realism.transient_error_rate
        if reset_rate > 0 or error_rate > 0:
            with self._lock:
                draw_reset, draw_error = self._rng.random(), self._rng.random()
                kind = "reset" if draw_reset < reset_rate else "500" if draw_error < error_rate else None
                if kind is not None:
                    self._random_hits[kind] += 1
            if kind == "reset":
                return Hit(connection_reset())
            if kind == "500":
                return Hit(afas_error(500, TRANSIENT_TEXT, ERROR_NUMBER_TRANSIENT))
        return Hit()

    def random_hits(self) -> dict[str, int]:
        """How many calls the seeded random faults have hit so far: `{"500": n, "reset": m}`."""
        with self._lock:
            return {"500": self._random_hits["500"], "reset": self._random_hits["reset"]}

    # ---- simulated work -------------------------------------------------------------------------

    def work_seconds(self, rows: int, skip: int) -> float:
        """How long AFAS would take for a page: per call, per row, and per 100,000 deep-skipped rows."""
        r = self.realism
        deep = max(0, skip - DEEP_SKIP_THRESHOLD) / DEEP_SKIP_THRESHOLD
        return r.latency_per_request_s + r.latency_per_row_s * rows + r.deep_skip_penalty_s * deep

    def perform(self, seconds: float, *, planned: float | None = None) -> Reply | None:
        """Spend the simulated work; past `server_timeout_s` AFAS gives up with its time-out 500.

        Args:
            seconds: how long to wait now.
            planned: the call's whole modelled time, when part of it was already spent (decides the
                time-out; default `seconds`).

        Returns:
            The time-out answer, or None when the work finished in time.
        """
        limit = self.realism.server_timeout_s
        if (planned if planned is not None else seconds) > limit:
            self.sleep(min(limit, seconds))
            return timed_out()
        if seconds > 0:
            self.sleep(seconds)
        return None

    def shuffle_seed(self) -> int:
        """A fresh seed for an unordered result: the database's order differs per call [C]."""
        with self._lock:
            return self._shuffle_rng.getrandbits(63)


def timed_out() -> Reply:
    """AFAS's server time-out answer [C text]."""
    return afas_error(500, TIMEOUT_TEXT, ERROR_NUMBER_TIMEOUT)
