"""The simulator as one object: environments with their data, a shared clock, faults, statistics,
and the HTTP server that serves them.

    from afas_simulator import Simulator, default_config

    with Simulator(default_config(seed=7)) as sim:          # serves on a free loopback port
        base = sim.base_url("12345")                          # http://127.0.0.1:PORT/12345/ProfitRestServices
        headers = {"Authorization": sim.token_header("12345")}
        sim.faults.script("503", times=1, retry_after=1)      # the next call meets maintenance
        sim.scenario("12345", "delete_entry", unit_id=1, entry_no=5)
        sim.stats["12345"].max_in_flight
        sim.token_xml("12345", user=RESTRICTED_USER)          # a user without rights to the last administration

Environments are addressed by their key: the member number for production ("12345"), the type
letter and member number for a test or accept environment beside it ("T12345", see
`default_config(test_environments=…)`), so `sim.base_url("T12345")` is the test environment's root.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

from afas_simulator.admin import AdminApi
from afas_simulator.api import AfasApi
from afas_simulator.auth import Authenticator, token_header, token_xml
from afas_simulator.config import (
    DEFAULT_NOW,
    EnvironmentSpec,
    LedgerSpec,
    OAuthClientSpec,
    Realism,
    SimulatorConfig,
    TokenSpec,
    environment_key,
)
from afas_simulator.dataset import Clock, EnvironmentData
from afas_simulator.environment import Environment
from afas_simulator.faults import Faults
from afas_simulator.frame_cache import FrameCache
from afas_simulator.server import SimulatorHTTPServer
from afas_simulator.stats import Stats

#: Builds an environment's data: `(spec, seed, clock) -> EnvironmentData`. The default is the
#: generated ledger; tests of the server alone may inject something smaller.
DataFactory = Callable[[EnvironmentSpec, int, Clock], EnvironmentData]

#: The two environments of `default_config`: member, environment code, administrations.
_DEFAULT_ENVIRONMENTS = (("12345", "O12345AA", 3), ("67890", "O67890AB", 2))

#: The user of `default_environment`'s restricted token: valid, but without rights (autorisatietool)
#: to the environment's last administration.
RESTRICTED_USER = "API_BEPERKT"


def _ledger_factory(spec: EnvironmentSpec, seed: int, clock: Clock) -> EnvironmentData:
    from afas_simulator.ledger import Ledger

    # Keyed on the environment, not the member: a test environment has books of its own.
    return Ledger(spec.ledger, seed, clock, env_key=spec.key)


def _default_clock(now: dt.datetime) -> Clock:
    from afas_simulator.ledger import SimClock

    return SimClock(now)


class Simulator:
    """A local AFAS Online with one or more environments.

    Args:
        config: what to serve; `default_config()` when None.
        data_factory: builds each environment's data (default: the generated ledger).
        clock: the shared clock (default: a `SimClock` at `config.now`).
        quiet: don't log each request.
    """

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        *,
        data_factory: DataFactory | None = None,
        clock: Clock | None = None,
        quiet: bool = True,
    ) -> None:
        self.config = config if config is not None else default_config()
        self.clock: Clock = clock if clock is not None else _default_clock(self.config.now)
        self.faults = Faults(self.config.realism, self.config.seed)
        self.stats = Stats(self.config.request_log_size)
        self.frames = FrameCache(self.config.frame_cache_rows)
        oauth_key = hashlib.sha256(f"afas-simulator-oauth:{self.config.seed}".encode()).digest()
        self.auth = Authenticator(self.clock, oauth_key)
        factory = data_factory or _ledger_factory
        self._environments: dict[str, Environment] = {}
        for spec in self.config.environments:
            if spec.key in self._environments:
                raise ValueError(f"environment {spec.key} is configured twice")
            self._environments[spec.key] = Environment(spec, factory(spec, self.config.seed, self.clock))
        self._afas = AfasApi(self)
        self._admin = AdminApi(self)
        self._quiet = quiet
        self._server: SimulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- serving ----------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Simulator:
        """Serve in a background thread; port 0 picks a free port. Returns self."""
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        self._server = SimulatorHTTPServer((host, port), self._afas.handle, self._admin.handle, quiet=self._quiet)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="afas-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections. Safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.drop_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def __enter__(self) -> Simulator:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        """The port served on (after `start`)."""
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return self._server.server_address[1]

    @property
    def host(self) -> str:
        if self._server is None:
            raise RuntimeError("the simulator is not running; call start() first")
        return self._server.server_address[0]

    @property
    def url(self) -> str:
        """`http://HOST:PORT`, the root of everything served."""
        return f"http://{self.host}:{self.port}"

    def base_url(self, member: str) -> str:
        """An environment's API root on this server: `{url}/{key}/ProfitRestServices`.

        A client uses it as its base-URL override instead of
        `https://{member}.rest.afas.online/ProfitRestServices` (`.resttest.` for "T12345").
        """
        return f"{self.url}/{self.environment(member).key}/ProfitRestServices"

    # ---- environments -----------------------------------------------------------------------

    def members(self) -> list[str]:
        """Keys of the environments served: member numbers, "T12345"/"A12345" for test/accept."""
        return list(self._environments)

    def environment(self, member: str) -> Environment:
        """An environment (settings, data, version) by key ("12345", "T12345"). KeyError when unknown."""
        found = self.find_environment(member)
        if found is None:
            raise KeyError(f"no environment {member!r}; served: {self.members()}")
        return found

    def find_environment(self, member: str) -> Environment | None:
        """An environment by key ("12345", "O12345", "T12345"), or None when unknown."""
        try:
            return self._environments.get(environment_key(member))
        except ValueError:
            return None

    def scenario(self, member: str, op: str, **args: Any) -> Any:
        """Change an environment's data (e.g. `delete_entry`); served pages reflect it at once.

        See `Environment.scenario` for the operations.
        """
        return self.environment(member).scenario(op, **args)

    def advance_clock(self, seconds: float) -> dt.datetime:
        """Move the shared clock forward. Data that depends on "now" may change, so caches reset."""
        now = self.clock.advance(seconds)
        for env in self._environments.values():
            env.bump()
        return now

    # ---- credentials --------------------------------------------------------------------------

    def token(self, member: str, state: str = "valid", *, user: str | None = None) -> TokenSpec:
        """The environment's first user token in a state ("valid", "expired", "blocked").

        Args:
            member: the environment's key.
            state: the token's state.
            user: only a token of this AFAS user (e.g. `RESTRICTED_USER`); any user when None.
        """
        for token in self.environment(member).spec.tokens:
            if token.state == state and user in (None, token.user):
                return token
        raise KeyError(f"environment {member} has no {state} token" + (f" of user {user}" if user else ""))

    def token_xml(self, member: str, state: str = "valid", *, user: str | None = None) -> str:
        """The token XML as AFAS shows it once: what a user pastes into the configuration."""
        return token_xml(self.token(member, state, user=user).data)

    def token_header(self, member: str, state: str = "valid", *, user: str | None = None) -> str:
        """The `Authorization` header value for the token: `AfasToken <base64 of the XML>`."""
        return token_header(self.token(member, state, user=user).data)

    def oauth_client(self, member: str) -> OAuthClientSpec:
        """The environment's first OAuth client."""
        clients = self.environment(member).spec.oauth_clients
        if not clients:
            raise KeyError(f"environment {member} has no OAuth client")
        return clients[0]


def _derived_hex(seed: int, *parts: str) -> str:
    return hashlib.sha256(":".join(["afas-simulator", str(seed), *parts]).encode()).hexdigest().upper()


def default_environment(
    seed: int,
    member: str,
    code: str,
    *,
    administrations: int,
    lines_per_period: int | None = None,
) -> EnvironmentSpec:
    """An environment with a valid, an expired and a blocked token, a valid token of a user with
    fewer rights (`RESTRICTED_USER`: none to the last administration) and one OAuth client.

    Tokens and secrets are derived from the seed and the environment's key, so they are stable
    between runs, and a test environment (code `T…`) has tokens of its own: a production token opens
    only production.
    """
    ledger = LedgerSpec(administrations=administrations)
    if lines_per_period is not None:
        ledger.lines_per_period = lines_per_period
    spec = EnvironmentSpec(member=member, code=code, ledger=ledger)
    key = spec.key
    spec.tokens = [
        TokenSpec(_derived_hex(seed, key, "valid")),
        TokenSpec(
            _derived_hex(seed, key, "expired"),
            user="API_OUD",
            state="expired",
            expires=DEFAULT_NOW - dt.timedelta(days=30),
        ),
        TokenSpec(_derived_hex(seed, key, "blocked"), user="API_GEBLOKKEERD", state="blocked"),
        # After the full token, so `Simulator.token(member)` keeps returning that one.
        TokenSpec(
            _derived_hex(seed, key, "restricted"), user=RESTRICTED_USER, hidden_units=frozenset({administrations})
        ),
    ]
    spec.oauth_clients = [
        OAuthClientSpec(
            client_id=f"simulator-{key}",
            client_secret=_derived_hex(seed, key, "oauth-secret")[:40].lower(),
        )
    ]
    return spec


def default_config(
    seed: int = 20261116,
    *,
    environments: int = 2,
    administrations: int | None = None,
    lines_per_period: int | None = None,
    realism: Realism | None = None,
    test_environments: Sequence[str] = (),
) -> SimulatorConfig:
    """The demo and test setup: "12345" (`O12345AA`, 3 administrations) and "67890" (`O67890AB`, 2).

    Args:
        seed: the random seed (data, tokens, faults).
        environments: how many environments; beyond the two defaults, members 20000, 21111, … are
            added with 2 administrations each.
        administrations: overrides the number of administrations of every environment.
        lines_per_period: overrides the transaction lines per administration and period.
        realism: latency, limit and fault knobs (AFAS Online's by default; `Realism.fast()` for unit
            tests, `Realism.rehearsal()` for the demo).
        test_environments: members that also get a test environment (`T12345AA` beside `O12345AA`,
            key "T12345") with as many administrations but books and tokens of its own. None by
            default, so the demo and the tests that count environments see only production.
    """
    table = list(_DEFAULT_ENVIRONMENTS[:environments])
    for i in range(max(0, environments - len(_DEFAULT_ENVIRONMENTS))):
        member = str(20000 + 1111 * i)
        table.append((member, f"O{member}A{chr(ord('C') + i % 24)}", 2))
    production = {member: (code, count) for member, code, count in table}
    unknown = [m for m in test_environments if m not in production]
    if unknown:
        raise ValueError(f"no production environment for test environments {unknown}; members: {list(production)}")
    table += [(m, "T" + production[m][0][1:], production[m][1]) for m in test_environments]
    return SimulatorConfig(
        seed=seed,
        environments=[
            default_environment(
                seed,
                member,
                code,
                administrations=administrations if administrations is not None else count,
                lines_per_period=lines_per_period,
            )
            for member, code, count in table
        ],
        realism=realism if realism is not None else Realism(),
    )
