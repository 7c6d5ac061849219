"""The simulator as one object: environments with their data, a shared clock, faults, statistics,
and the HTTP server that serves them.

    from afas_simulator import Simulator, default_config

    with Simulator(default_config(seed=7)) as sim:          # serves on a free loopback port
        base = sim.base_url("12345")                          # http://127.0.0.1:PORT/12345/ProfitRestServices
        headers = {"Authorization": sim.token_header("12345")}
        sim.faults.script("503", times=1, retry_after=1)      # the next call meets maintenance
        sim.scenario("12345", "delete_entry", unit_id=1, entry_no=5)
        sim.stats["12345"].max_in_flight
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable
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


def _ledger_factory(spec: EnvironmentSpec, seed: int, clock: Clock) -> EnvironmentData:
    from afas_simulator.ledger import Ledger

    return Ledger(spec.ledger, seed, clock, env_key=spec.member)


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
            if spec.member in self._environments:
                raise ValueError(f"environment {spec.member} is configured twice")
            self._environments[spec.member] = Environment(spec, factory(spec, self.config.seed, self.clock))
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
        """An environment's API root on this server.

        A client uses it as its base-URL override instead of
        `https://{member}.rest.afas.online/ProfitRestServices`.
        """
        self.environment(member)
        return f"{self.url}/{member}/ProfitRestServices"

    # ---- environments -----------------------------------------------------------------------

    def members(self) -> list[str]:
        """Member numbers of the environments served."""
        return list(self._environments)

    def environment(self, member: str) -> Environment:
        """An environment (settings, data, version). Raises KeyError when unknown."""
        try:
            return self._environments[member]
        except KeyError:
            raise KeyError(f"no environment {member!r}; served: {self.members()}") from None

    def find_environment(self, member: str) -> Environment | None:
        """An environment, or None when unknown."""
        return self._environments.get(member)

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

    def token(self, member: str, state: str = "valid") -> TokenSpec:
        """The environment's first user token in a state ("valid", "expired", "blocked")."""
        for token in self.environment(member).spec.tokens:
            if token.state == state:
                return token
        raise KeyError(f"environment {member} has no {state} token")

    def token_xml(self, member: str, state: str = "valid") -> str:
        """The token XML as AFAS shows it once: what a user pastes into the configuration."""
        return token_xml(self.token(member, state).data)

    def token_header(self, member: str, state: str = "valid") -> str:
        """The `Authorization` header value for the token: `AfasToken <base64 of the XML>`."""
        return token_header(self.token(member, state).data)

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
    """An environment with a valid, an expired and a blocked token and one OAuth client.

    Tokens and secrets are derived from the seed and member, so they are stable between runs.
    """
    ledger = LedgerSpec(administrations=administrations)
    if lines_per_period is not None:
        ledger.lines_per_period = lines_per_period
    return EnvironmentSpec(
        member=member,
        code=code,
        tokens=[
            TokenSpec(_derived_hex(seed, member, "valid")),
            TokenSpec(
                _derived_hex(seed, member, "expired"),
                user="API_OUD",
                state="expired",
                expires=DEFAULT_NOW - dt.timedelta(days=30),
            ),
            TokenSpec(_derived_hex(seed, member, "blocked"), user="API_GEBLOKKEERD", state="blocked"),
        ],
        oauth_clients=[
            OAuthClientSpec(
                client_id=f"simulator-{member}",
                client_secret=_derived_hex(seed, member, "oauth-secret")[:40].lower(),
            )
        ],
        ledger=ledger,
    )


def default_config(
    seed: int = 20261116,
    *,
    environments: int = 2,
    administrations: int | None = None,
    lines_per_period: int | None = None,
    realism: Realism | None = None,
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
    """
    table = list(_DEFAULT_ENVIRONMENTS[:environments])
    for i in range(max(0, environments - len(_DEFAULT_ENVIRONMENTS))):
        member = str(20000 + 1111 * i)
        table.append((member, f"O{member}A{chr(ord('C') + i % 24)}", 2))
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
