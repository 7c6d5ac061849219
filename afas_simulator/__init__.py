"""A faithful local AFAS Online (AFAS Profit REST API) for tests, demos and benchmarks.

    from afas_simulator import Simulator, default_config

    with Simulator(default_config(seed=7)) as sim:
        print(sim.base_url("12345"), sim.token_xml("12345"))

The contract it reproduces is `shared/reference/afas-rest-api.md`. The simulator stands alone: it
does not import the project's client (`afas/` other than the connector catalog), so it can catch
the client's mistakes. `python -m afas_simulator --help` runs it from the command line.
"""

from afas_simulator.config import (
    EnvironmentSpec,
    LedgerSpec,
    OAuthClientSpec,
    Realism,
    SimulatorConfig,
    TokenSpec,
)
from afas_simulator.simulator import Simulator, default_config

__all__ = [
    "EnvironmentSpec",
    "LedgerSpec",
    "OAuthClientSpec",
    "Realism",
    "Simulator",
    "SimulatorConfig",
    "TokenSpec",
    "default_config",
]
