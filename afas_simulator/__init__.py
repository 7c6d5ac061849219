"""A faithful local AFAS Online (AFAS Profit REST API) for tests, demos and benchmarks.

    from afas_simulator import Simulator, default_config

    with Simulator(default_config(seed=7)) as sim:
        print(sim.base_url("12345"), sim.token_xml("12345"))

The contract it reproduces is `shared/reference/afas-rest-api.md`. The simulator stands alone: it
does not import the project's client (`afas/` other than the connector catalog), so it can catch
the client's mistakes. `python -m afas_simulator --help` runs it from the command line.

It follows the contract; where the contract is silent it picks a behaviour, marked [G] in the code
(and never stricter than the contract). Where it knowingly differs from AFAS Online:

- Timing is a model, not a measurement [G]: 0.3 s per call, 40 µs per row, 2 s per 100,000 rows of
  deep `skip` (`Realism`). Contains/starts-with filters cost the same as indexed ones (AFAS: >100×
  slower [S]); the client never depends on them being fast.
- Load: only the hard cap of 8 calls in flight is enforced; AFAS's advice of 5 and failures on row
  locks under parallel calls are stood in for by seeded random transient 500s and resets.
- Limits: "Out of memory" past 200,000 cells per page and "Out of String space" past 75 MB per answer
  [G thresholds and texts; the contract gives the 150,000-cell rule of thumb and the 75 MB cap].
- Order: without a unique order, ties are shuffled per call with a seeded generator [G mechanism;
  the contract says only that the order may differ].
- Texts and numbers [G]: the 401 of a bad token has no body; an unknown field is a 500; `errorNumber`
  values, metainfo `length`/`controlType`, the English wording of AFAS's texts on an environment
  whose `language` is "en", the 404 body of a missing file; a date filter value with AFAS's false
  `Z` reads as local time (the contract says only that values must not carry it).
- Rights [G]: a token's user without rights to an administration (`TokenSpec.hidden_units`) gets
  its rows left out of every connector with a `UnitId` field and its documents as 404, while the
  administrations connector still lists it (afas_simulator/rights.py).
- Test and accept environments [G]: separate environments with their own books and tokens, opt in
  (`default_config(test_environments=…)`); addressed as "T12345"/"A12345" beside production "12345".
- OAuth: client secrets only; a private-key JWT (`client_assertion`) is not supported.
- Not modelled: the `IntegrationId` header is accepted and ignored; classic-token App Connectors do
  not stop on 31 Aug 2027 (tokens do expire, on 1 May 2027).
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
