"""`make demo`: the whole pipeline on the local AFAS Online simulator, with no credentials.

1. starts the simulator (port 8765, or a free one) behaving like AFAS Online at a tenth of its
   latency, with a few transient faults (`Realism.rehearsal()`), and registers its environments the
   way a user would (`connect`: verified, secret stored owner-only under data/demo/home);
2. runs `doctor` on them;
3. loads every asset through Dagster for all administrations over two years — administrations first,
   whose rows become the `afas_administration` partitions, then per administration its master data
   and open items, and its books period by period — as runs launched through the code location,
   like the UI's own (`pipelines.launch`), so each shows on its job's page and the Overview timeline;
4. checks that the lake holds exactly the simulator's rows (`pipelines.simulator_check`), and says how
   many faults the client met and retried on the way;
5. prints what landed in the lake (embedded: SQLite catalog, Parquet files under data/demo/lake),
   how analysts attach it from DuckDB's CLI, Python or DBeaver, and a trial-balance query.

The Dagster instance lives in data/demo/dagster, so `make ui` shows these runs afterwards.
"""

from __future__ import annotations

import io
import os
import socket
import sys
import time
from pathlib import Path

DEMO_DIR = Path("data") / "demo"
DEMO_PORT = 8765
DEMO_FIRST_YEAR = 2025  # the simulator's books start in 2025 and run to its "now" in 2026


def demo_environment(port: int) -> dict[str, str]:
    """Variables that point the pipeline at the demo's folders (shared with `make ui`)."""
    return {
        "AFAS_PIPELINE_HOME": str((DEMO_DIR / "home").resolve()),
        "AFAS_DATA_DIR": str(DEMO_DIR.resolve()),
        "DAGSTER_HOME": str((DEMO_DIR / "dagster").resolve()),
        "AFAS_FIRST_YEAR": str(DEMO_FIRST_YEAR),
        "AFAS_SIMULATOR_PORT": str(port),
        # The demo always uses the embedded lake (no server), whatever the shell has configured.
        "AFAS_WAREHOUSE": "sqlite",
        "AFAS_WAREHOUSE_DATA": "",
    }


def prepare_dagster_home(folder: Path) -> None:
    """A Dagster instance folder for the demo (storage on disk; no telemetry from a demo)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "dagster.yaml"
    if not config.exists():
        config.write_text("telemetry:\n  enabled: false\n")


def free_port(preferred: int) -> int:
    """`preferred` if it is free, else (or for 0) a port the system picks."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return s.getsockname()[1]
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


class _Pipe(io.StringIO):
    def isatty(self) -> bool:
        return False


def simulator_environments(port: int) -> list[tuple[str, str, str]]:
    """(environment code, base URL, token XML) of the default simulator served on `port`."""
    from afas_simulator import default_config

    served = []
    for spec in default_config().environments:
        valid = next(t for t in spec.tokens if t.state == "valid")
        token = f"<token><version>1</version><data>{valid.data}</data></token>"
        served.append((spec.code, f"http://127.0.0.1:{port}/{spec.key}/ProfitRestServices", token))
    return served


def register(environments: list[tuple[str, str, str]], home: Path) -> int:
    """`afas-pipeline connect` for each environment, the token through stdin as a user would pipe it."""
    from pipelines.cli import main as cli

    for code, base_url, token in environments:
        status = cli(["--home", str(home), "connect", code, "--base-url", base_url, "--token-stdin"], stdin=_Pipe(token))
        if status:
            return status
    return 0


def lake_matches_simulator(sim) -> bool:
    """Print, per environment and table, whether the lake holds exactly the simulator's rows."""
    from afas.credentials import EnvironmentCode
    from pipelines.simulator_check import compare_with_simulator
    from settings import Settings
    from warehouse import Warehouse

    warehouse = Warehouse(Settings.from_environment().lake())
    hits = sim.faults.random_hits()
    print(f"\nAFAS (the simulator) answered {hits['500']} calls with a transient error and reset "
          f"{hits['reset']} connections; the client retried each. Checking the lake against its data ...")
    exact = True
    for member in sim.members():
        env = sim.environment(member)
        key = EnvironmentCode.parse(env.spec.code).key.lower()
        for table in compare_with_simulator(warehouse, env.data, key):
            exact &= table.exact
            print(f"  {key} {table}")
    if not exact:
        print("\nThe lake differs from the simulator's data (see above).", file=sys.stderr)
    return exact


def run() -> int:
    port = free_port(int(os.environ.get("AFAS_SIMULATOR_PORT") or DEMO_PORT))
    os.environ.update(demo_environment(port))
    prepare_dagster_home(Path(os.environ["DAGSTER_HOME"]))

    from afas_simulator import Realism, Simulator, default_config
    from pipelines.cli import main as cli

    print(f"Starting the local AFAS Online simulator on port {port} (AFAS-like: latency at a tenth, "
          "a few transient faults) ...", flush=True)
    with Simulator(default_config(realism=Realism.rehearsal())).start(port=port) as sim:
        home = Path(os.environ["AFAS_PIPELINE_HOME"])
        if register(simulator_environments(port), home) or cli(["--home", str(home), "doctor"]):
            print("\nThe simulator's environments did not pass doctor; see above.", file=sys.stderr)
            return 1
        from pipelines.load_all import LoadFailed, load_everything

        started = time.perf_counter()
        try:
            # Launched like the UI's runs (each its own process), so `make ui` shows them on the job pages.
            load_everything(progress=lambda line: print(line, flush=True), launched=True)
        except LoadFailed as failed:
            print(f"\n{failed}", file=sys.stderr)
            return 1
        print(f"\nLoaded everything in {time.perf_counter() - started:.1f} s.")
        if not lake_matches_simulator(sim):
            return 1
    from pipelines.report import print_landing_report

    from settings import Settings

    print_landing_report(Settings.from_environment().lake(),
                         cli=f"AFAS_DATA_DIR={DEMO_DIR} .venv/bin/afas-pipeline")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
