"""Client settings, typed in one place, with AFAS's documented limits as defaults."""

from __future__ import annotations

from dataclasses import dataclass

from afas.limits import DEFAULT_SLOT_WAIT_S

#: AFAS: "at most 5 simultaneous calls when splitting a load"; 8 is the hard maximum.
DEFAULT_MAX_IN_FLIGHT = 5
HARD_MAX_IN_FLIGHT = 8

#: AFAS's rule of thumb: columns × rows below 150,000 per call.
CELLS_PER_PAGE = 150_000

#: Past this `skip` AFAS gets unacceptably slow; we restart the window with a key filter instead.
MAX_SKIP = 100_000

#: AFAS's server-side limit on a query; a client time-out below it abandons queries AFAS still runs.
SERVER_TIMEOUT_S = 900.0

#: AFAS refuses query strings longer than this (HTTP 404).
MAX_QUERY_LENGTH = 2049


@dataclass(frozen=True)
class ClientSettings:
    """How the client behaves on the wire.

    Attributes:
        max_in_flight: simultaneous calls per AFAS environment across the whole process, 1..8.
        cells_per_page: rows per page = cells_per_page // number of fields.
        max_skip: largest `skip` used before switching to a key filter, in rows.
        connect_timeout_s: TCP/TLS connect time-out.
        read_timeout_s: wait for an answer; a bit above AFAS's 900 s server limit so AFAS, not we,
            ends a slow query and says so.
        retries: attempts after the first for transient failures (500s, resets, time-outs).
        backoff_base_s: first back-off; doubles per attempt, with full jitter.
        backoff_max_s: cap of one back-off.
        timeout_pause_s: pause before retrying a query that timed out, so AFAS can finish or drop it.
        maintenance_max_wait_s: the longest we honour a 503's `retry_after` in one wait; longer
            maintenance fails the call with a MaintenanceError saying when to come back.
        maintenance_retries: how many 503s in a row we wait out.
        integration_id: optional `IntegrationId` header (`<subscription>_<project>`).
        shared_slots_dir: a folder of lock files that extends the in-flight cap across processes
            (every Dagster run and step on this machine); None keeps it per process.
        shared_slots_postgres: a PostgreSQL conninfo or URL whose advisory locks extend the cap across
            machines (every worker); takes precedence over `shared_slots_dir`.
        slot_wait_s: the longest a call waits for a shared slot before it fails (CallSlotsBusyError).
    """

    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    cells_per_page: int = CELLS_PER_PAGE
    max_skip: int = MAX_SKIP
    connect_timeout_s: float = 15.0
    read_timeout_s: float = SERVER_TIMEOUT_S + 30.0
    retries: int = 4
    backoff_base_s: float = 1.0
    backoff_max_s: float = 60.0
    timeout_pause_s: float = 60.0
    maintenance_max_wait_s: float = 900.0
    maintenance_retries: int = 3
    integration_id: str | None = None
    shared_slots_dir: str | None = None
    shared_slots_postgres: str | None = None
    slot_wait_s: float = DEFAULT_SLOT_WAIT_S

    def __repr__(self) -> str:  # the slots' conninfo may carry a password
        shown = {f: getattr(self, f) for f in self.__dataclass_fields__ if f != "shared_slots_postgres"}
        postgres = "set" if self.shared_slots_postgres else None
        return f"ClientSettings({', '.join(f'{k}={v!r}' for k, v in shown.items())}, shared_slots_postgres={postgres})"

    def __post_init__(self) -> None:
        if not 1 <= self.max_in_flight <= HARD_MAX_IN_FLIGHT:
            raise ValueError(
                f"max_in_flight must be between 1 and {HARD_MAX_IN_FLIGHT} (AFAS's hard maximum of parallel "
                f"calls); got {self.max_in_flight}"
            )
        if self.cells_per_page < 1 or self.max_skip < 1:
            raise ValueError("cells_per_page and max_skip must be positive")
        if self.read_timeout_s <= 0 or self.connect_timeout_s <= 0 or self.slot_wait_s <= 0:
            raise ValueError("time-outs must be positive")
