"""The simulator's books: a deterministic, lazily generated AFAS ledger plus scenario mutations.

`Ledger` implements `afas_simulator.dataset.EnvironmentData` for one environment; `SimClock` is the
manual clock scenarios move forward. Modules, one job each:

- `clock` time units and the clock; `rand` named random streams; `periods` the fiscal calendar
- `chart` accounts, journals, VAT, allocation axes; `names` Dutch company and month names
- `batch` lines as numpy arrays, exact splitting, allocation; `bulk` memorial/bank entries
- `invoices` invoices, payments, open items; `unit` an administration's skeleton and slice plans
- `frames`, `balances`, `registers`, `documents` the connector frames
- `overlay` scenario changes per slice; `state` all scenario state of an environment
- `cache` the bounded LRU; `views` cached frames from slices + state; `ledger` the `Ledger` itself
"""

from .clock import SimClock
from .ledger import Ledger

__all__ = ["Ledger", "SimClock"]
