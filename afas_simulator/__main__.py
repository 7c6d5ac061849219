"""Run the simulator from the command line: `python -m afas_simulator --port 8765`.

Prints each environment's base URL, environment code and token XML (what a user would paste into
the pipeline's configuration), then serves until Ctrl-C.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time

from afas_simulator.config import Realism, SimulatorConfig
from afas_simulator.simulator import RESTRICTED_USER, Simulator, default_config

#: The command line's names of the realism profiles.
PROFILES = {"afas": Realism, "rehearsal": Realism.rehearsal, "fast": Realism.fast}


def build_parser() -> argparse.ArgumentParser:
    """The command line's options."""
    p = argparse.ArgumentParser(prog="python -m afas_simulator", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one (default 8765)")
    p.add_argument("--seed", type=int, default=20261116, help="random seed: same seed, same data")
    p.add_argument("--environments", type=int, default=2, help="number of AFAS environments (default 2)")
    p.add_argument("--administrations", type=int, default=None, help="administrations per environment")
    p.add_argument("--lines-per-period", type=int, default=None, help="transaction lines per administration and period")
    p.add_argument(
        "--test-environment",
        action="append",
        default=[],
        metavar="MEMBER",
        help="also serve a test environment of this member (T12345AA at /T12345/ProfitRestServices), repeatable",
    )
    p.add_argument(
        "--big-slice",
        action="append",
        default=[],
        metavar="UNIT:YEAR:PERIOD:LINES",
        help="give one administration-period exactly this many transaction lines (repeatable), e.g. 1:2025:6:1000000",
    )
    p.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="afas",
        help="afas: AFAS Online's latency, limits and rare faults (default); rehearsal: the same at a tenth of "
        "the time with a few faults per run (the demo's); fast: limits only, no waiting, no random faults",
    )
    p.add_argument(
        "--latency-per-request",
        type=float,
        default=None,
        help="seconds every call takes at least (for a page, with --latency-per-row, its whole answer time)",
    )
    p.add_argument("--latency-per-row", type=float, default=None, help="seconds more per row a page returns")
    p.add_argument("--max-in-flight", type=int, default=None, help="more parallel calls per environment fail (AFAS: 8)")
    p.add_argument("--profit6", action="store_true", help="write decimals the Profit 6 way (-.5)")
    p.add_argument("--transient-error-rate", type=float, default=None, help="share of calls answering a transient 500")
    p.add_argument("--reset-rate", type=float, default=None, help="share of calls whose connection is reset")
    p.add_argument("--verbose", action="store_true", help="log every request")
    return p


def _big_slice(text: str) -> tuple[tuple[int, int, int], int]:
    try:
        unit, year, period, lines = (int(part) for part in text.split(":"))
    except ValueError:
        raise SystemExit(f"--big-slice wants UNIT:YEAR:PERIOD:LINES, e.g. 1:2025:6:1000000 (got {text!r})") from None
    return (unit, year, period), lines


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    """The simulator's settings from the parsed command line."""
    realism = PROFILES[args.profile]()
    overrides = {
        "latency_per_request_s": args.latency_per_request,
        "latency_per_row_s": args.latency_per_row,
        "max_in_flight": args.max_in_flight,
        "transient_error_rate": args.transient_error_rate,
        "reset_rate": args.reset_rate,
    }
    realism = dataclasses.replace(realism, **{k: v for k, v in overrides.items() if v is not None})
    realism.profit6_decimals = args.profit6
    config = default_config(
        args.seed,
        environments=args.environments,
        administrations=args.administrations,
        lines_per_period=args.lines_per_period,
        realism=realism,
        test_environments=args.test_environment,
    )
    big_slices = dict(_big_slice(text) for text in args.big_slice)
    for env in config.environments:
        env.ledger.big_slices = dict(big_slices)
    return config


def main(argv: list[str] | None = None) -> int:
    """Start the simulator and serve until interrupted."""
    args = build_parser().parse_args(argv)
    config = config_from_args(args)
    sim = Simulator(config, quiet=not args.verbose)
    sim.start(args.host, args.port)
    print(f"AFAS Online simulator on {sim.url} (admin: {sim.url}/_simulator/environments)")
    for member in sim.members():
        env = sim.environment(member)
        print(f"\nenvironment {env.spec.code}")
        print(f"  base URL   {sim.base_url(member)}")
        print(f"  token      {sim.token_xml(member)}")
        restricted = sim.token(member, user=RESTRICTED_USER)
        print(f"  restricted {sim.token_xml(member, user=RESTRICTED_USER)} "
              f"({RESTRICTED_USER}, no rights to administration {', '.join(map(str, sorted(restricted.hidden_units)))})")
        client = sim.oauth_client(member)
        print(f"  OAuth      client_id={client.client_id} client_secret={client.client_secret}")
    print("\nCtrl-C stops.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
