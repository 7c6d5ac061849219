"""Typed settings of the simulator: environments, their App Connectors and tokens, data size, faults.

Everything the simulator can be told lives here, so the command line, the in-process starter, the
admin endpoint and the tests all speak the same language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from catalog import CHANGED_ENTRY_DATES, REQUIRED_CONNECTOR_IDS, SUBJECT_CONNECTOR
from afas_simulator.definitions import ExtraField, FieldChanges  # noqa: F401 (part of the settings)

#: AFAS's 2026 docs: existing classic tokens expire on this day.
CLASSIC_TOKEN_EXPIRY = dt.datetime(2027, 5, 1, 0, 0, 0)

#: What a fully set-up App Connector of the seed has ticked, plus the change feed.
ALL_TICKED: frozenset[str] = frozenset(REQUIRED_CONNECTOR_IDS) | {SUBJECT_CONNECTOR, CHANGED_ENTRY_DATES.id}

#: The simulator's default "now": Amsterdam local time, fixed so runs are reproducible.
DEFAULT_NOW = dt.datetime(2026, 11, 16, 9, 0, 0)

#: Environment types by the first letter of the environment code, with the label their REST host
#: carries: `{member}.rest.afas.online` production, `.resttest.` test, `.restaccept.` accept [C].
REST_HOST_LABELS: dict[str, str] = {"O": "rest", "T": "resttest", "A": "restaccept"}
PRODUCTION = "O"


def environment_key(member: str, kind: str = PRODUCTION) -> str:
    """How the simulator addresses an environment: "12345" for production, "T12345" for test.

    Production keeps the bare member number, so everything addressed by member before test and
    accept environments existed still means production.

    Args:
        member: the member number, optionally with its type letter in front ("O12345", "t12345").
        kind: the type letter when `member` has none.

    Raises:
        ValueError: not a member number with an optional O, T or A in front.
    """
    text = member.strip().upper()
    if text[:1] in REST_HOST_LABELS:
        kind, text = text[0], text[1:]
    if not text.isdigit() or kind.upper() not in REST_HOST_LABELS:
        raise ValueError(f"{member!r} is not a member number (optionally after O, T or A)")
    return text if kind.upper() == PRODUCTION else kind.upper() + text


@dataclass
class TokenSpec:
    """A user token of the App Connector ("Gebruikerstokens").

    Attributes:
        data: the 64 hexadecimal characters inside `<data>…</data>`.
        user: the AFAS user the token belongs to.
        state: "valid", "expired" or "blocked" (expired and blocked answer a bare 401).
        expires: when the token stops working (Amsterdam local); reported in metainfo `tokenExpiry`.
        hidden_units: administrations (UnitIds) the user has no rights to in the autorisatietool.
            An authorised connector "may silently return fewer rows for a user with fewer rights"
            [S]; how is our guess [G]: every GetConnector with a `UnitId` field answers as if those
            administrations' rows did not exist (filters, paging, page lengths), their documents
            answer 404 like a missing file [C: "404 when … the user lacks rights"], while
            `Visionplanner_administrations` still lists them [G: the list is not restricted by
            finance rights].
    """

    data: str
    user: str = "API_VISIONPLANNER"
    state: str = "valid"
    expires: dt.datetime | None = CLASSIC_TOKEN_EXPIRY
    hidden_units: frozenset[int] = frozenset()


@dataclass
class OAuthClientSpec:
    """An OAuth client registered for the App Connector (client-credentials grant).

    Attributes:
        client_id: public id.
        client_secret: the secret the client posts to `/oauth/token`.
        expires_in: lifetime of issued access tokens in seconds (AFAS: 3600).
    """

    client_id: str
    client_secret: str
    expires_in: int = 3600


@dataclass
class LedgerSpec:
    """How much data an environment holds and what shape it has.

    Attributes:
        administrations: number of administrations (AFAS UnitIds 1..n).
        first_year: first fiscal year with data; years run up to the simulator's "now".
        lines_per_period: about this many transaction lines per administration and period.
        big_slices: exact line counts for chosen slices, `{(unit_id, year, period): lines}`, for
            large-volume tests and benchmarks (e.g. 1,000,000 lines in one period).
        four_weekly_units: administrations with 13 periods a year.
        opening_balance_units: administrations that book opening balances in period 0.
    """

    administrations: int = 3
    first_year: int = 2025
    lines_per_period: int = 60
    big_slices: dict[tuple[int, int, int], int] = field(default_factory=dict)
    four_weekly_units: frozenset[int] = frozenset()
    opening_balance_units: frozenset[int] = frozenset({1})


@dataclass
class EnvironmentSpec:
    """One AFAS Online environment ("omgeving") with one App Connector.

    A member can have a production environment and beside it a test and an accept environment; each
    is a separate environment with its own data, App Connector and tokens [G]. The first letter of
    `code` says which one this is (see `kind` and `key`).

    Attributes:
        member: the member number, the digits of the environment code (`O12345AA` → "12345").
        code: the environment code as AFAS shows it in the top bar; O production, T test, A accept.
        app_name: the App Connector's description.
        group: the user group the App Connector grants access to (metainfo `info.group`).
        tokens: the user tokens of the App Connector.
        oauth_clients: OAuth clients of the App Connector.
        ticked: the GetConnectors (and `AppConnectorSubject`) ticked in the App Connector.
        update_connectors: UpdateConnectors ticked (listed in metainfo only; the simulator serves none).
        blocked_connectors: GetConnectors blocked by AFAS's fair-use policy.
        app_connector_blocked: the App Connector itself is blocked (every call answers 401).
        allowed_ips: when set, calls from other addresses answer 403 (IP restriction).
        field_changes: per GetConnector id, fields this environment's definition adds or lacks, and
            fields whose unlinked values read "(replaced)".
        language: the language AFAS writes its error texts in, "nl" or "en" [G: AFAS translates
            them; the English wording is ours, see messages.ENGLISH_TEXTS].
        ledger: the data.
    """

    member: str = "12345"
    code: str = "O12345AA"
    app_name: str = "Visionplanner Connector"
    group: str = "Visionplanner API"
    tokens: list[TokenSpec] = field(default_factory=list)
    oauth_clients: list[OAuthClientSpec] = field(default_factory=list)
    ticked: frozenset[str] = ALL_TICKED
    update_connectors: frozenset[str] = frozenset()
    blocked_connectors: frozenset[str] = frozenset()
    app_connector_blocked: bool = False
    allowed_ips: frozenset[str] | None = None
    field_changes: dict[str, "FieldChanges"] = field(default_factory=dict)
    language: str = "nl"
    ledger: LedgerSpec = field(default_factory=LedgerSpec)

    @property
    def kind(self) -> str:
        """The environment type: the code's first letter, O production, T test or A accept (O without one)."""
        letter = self.code[:1].upper()
        return letter if letter in REST_HOST_LABELS else PRODUCTION

    @property
    def key(self) -> str:
        """The simulator's address of this environment (`environment_key`): "12345", "T12345"."""
        return environment_key(self.member, self.kind)


#: One AFAS answer is at most 75 MB [S]; bigger answers fail like an answer that runs out of memory.
MAX_ANSWER_BYTES = 75 * 1000 * 1000


@dataclass
class Realism:
    """Knobs that make the simulator behave like AFAS Online under an ordinary load.

    The defaults are AFAS Online as the contract describes it (afas-rest-api.md §4, §6); where the
    contract gives no number, the figure is our guess [G]. Two derived profiles:
    `Realism.fast()` for unit tests (AFAS's limits, none of its waiting or random faults) and
    `Realism.rehearsal()` for the demo and end-to-end tests (AFAS's behaviour, time scaled down, a
    few transient faults per run).

    Attributes:
        latency_per_request_s: every call takes at least this long [G: 0.3 s, "a good call finishes
            within 1 s" S].
        latency_per_row_s: a page takes this much longer per row returned [G: 40 µs, so a page of
            8,333 transaction lines answers in about 0.6 s]. For GetConnector pages the modelled
            time (request + rows + deep skip) is the whole answer time: the simulator's own work of
            building the page counts towards it.
        deep_skip_penalty_s: added per 100,000 rows of `skip` beyond the first 100,000 [G: 2 s; the
            contract says only that speed is "no longer acceptable" there].
        max_in_flight: more simultaneous calls than this per environment fail with a 500 [S: 8].
        cell_budget: a page with more rows × columns than this answers 500 "Out of memory" [G:
            200,000, a third above AFAS's rule of thumb of 150,000 S].
        max_answer_bytes: a page whose JSON is larger answers 500 "Out of String space" [S: 75 MB].
        server_timeout_s: a call that would take longer answers 500 with AFAS's time-out text [C].
        transient_error_rate: share of calls answering a transient 500 (seeded) [G].
        reset_rate: share of calls whose connection is reset without an answer (seeded) [G].
        maintenance_until: while "now" (wall clock, `time.time()` seconds since the epoch) is before
            this, every call answers 503.
        maintenance_retry_after_s: the `retry_after` a 503 carries.
        profit6_decimals: write decimals the Profit 6 way (`-.5`).
    """

    latency_per_request_s: float = 0.3
    latency_per_row_s: float = 0.000_04
    deep_skip_penalty_s: float = 2.0
    max_in_flight: int = 8
    cell_budget: int = 200_000
    max_answer_bytes: int = MAX_ANSWER_BYTES
    server_timeout_s: float = 900.0
    transient_error_rate: float = 0.001
    reset_rate: float = 0.000_5
    maintenance_until: float | None = None
    maintenance_retry_after_s: int = 7200
    profit6_decimals: bool = False

    @classmethod
    def fast(cls) -> Realism:
        """AFAS's limits (cell budget, answer size, calls in flight, time-out) without its waiting or
        its random faults: what unit tests run on, so each fault a test sees is one it scripted."""
        return cls(
            latency_per_request_s=0.0,
            latency_per_row_s=0.0,
            deep_skip_penalty_s=0.0,
            transient_error_rate=0.0,
            reset_rate=0.0,
        )

    @classmethod
    def rehearsal(cls, time_scale: float = 0.1, fault_rate: float = 0.01) -> Realism:
        """AFAS-like behaviour for the demo and end-to-end tests.

        Args:
            time_scale: AFAS's latencies times this (a tenth keeps the demo to about a minute while
                paging, parallel calls and back-off still matter).
            fault_rate: share of calls answering a transient 500; half as many connections are reset.
                At 1 %, a run of a few hundred calls meets a few of each, which the client must retry
                without losing or doubling a row.
        """
        afas = cls()
        return cls(
            latency_per_request_s=afas.latency_per_request_s * time_scale,
            latency_per_row_s=afas.latency_per_row_s * time_scale,
            deep_skip_penalty_s=afas.deep_skip_penalty_s * time_scale,
            transient_error_rate=fault_rate,
            reset_rate=fault_rate / 2,
        )


@dataclass
class SimulatorConfig:
    """Everything a simulator instance serves.

    Attributes:
        seed: the random seed; the same seed gives the same data, byte for byte.
        environments: the AFAS environments served side by side.
        realism: latency and fault knobs.
        now: the simulator's clock (Amsterdam local); scenarios move it forward.
        profit_version: what `GET /profitversion` reports.
        request_log_size: how many requests per environment the statistics keep (oldest dropped).
        frame_cache_rows: how many filtered and ordered rows the server keeps cached across pages
            (all cached frames together), so paging a large slice does not re-sort per page.
    """

    seed: int = 20261116
    environments: list[EnvironmentSpec] = field(default_factory=list)
    realism: Realism = field(default_factory=Realism)
    now: dt.datetime = DEFAULT_NOW
    profit_version: str = "7.1.1045.0"
    request_log_size: int = 10_000
    frame_cache_rows: int = 3_000_000
