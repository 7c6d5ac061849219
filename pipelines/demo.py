"""`make demo`: the whole path from an AFAS App Connector to typed rows, on the local simulator.

Starts the simulator on a free loopback port, registers its environments the way a user would
(`connect`: verified, secret stored owner-only under data/demo/home), runs `doctor` on them and
reads one administration's transactions for a period, printing where everything is.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

from afas import catalog
from afas.client import AfasClient
from afas_simulator import Simulator, default_config
from pipelines.cli import main as cli
from pipelines.environments import EnvironmentStore

DEMO_HOME = Path("data") / "demo" / "home"


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


def run() -> int:
    print("Starting the local AFAS Online simulator ...", flush=True)
    with Simulator(default_config()) as sim:
        print(f"  listening on {sim.url} with environments {', '.join(sim.members())}\n")
        for member in sim.members():
            spec = sim.environment(member).spec
            args = ["--home", str(DEMO_HOME), "connect", spec.code, "--base-url", sim.base_url(member), "--token-stdin"]
            code = cli(args, stdin=_Pipe(sim.token_xml(member)))
            if code:
                return code
        code = cli(["--home", str(DEMO_HOME), "doctor"])
        if code:
            print("\ndoctor found problems; see above", file=sys.stderr)
            return code
        (connection, *_) = EnvironmentStore(DEMO_HOME).connections()
        with AfasClient(connection) as client:
            started = time.perf_counter()
            result = client.fetch(catalog.TRANSACTIONS.id, administration=1, year=2025)
            frame = result.frame
            print(
                f"\nRead {frame.height} transaction lines of administration 1, 2025 from {connection.name} in "
                f"{result.requests} ordered pages ({time.perf_counter() - started:.2f} s); typed columns:"
            )
            print("  " + ", ".join(f"{k}: {v}" for k, v in list(frame.schema.items())[:10]) + ", ...")
            debit, credit = frame["AmtDebit"].sum(), frame["AmtCredit"].sum()
            print(f"  sum debit {debit} = sum credit {credit}: {'balanced' if debit == credit else 'NOT balanced'}")
    print(f"\nEnvironments are registered under {DEMO_HOME}/ (secrets in secrets/, mode 0600).")
    print("Run the simulator on its own with `make simulator`; check a real AFAS environment with")
    print("`.venv/bin/afas-pipeline connect O12345AA` and `.venv/bin/afas-pipeline doctor`.")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
