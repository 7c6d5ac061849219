"""The ground floor: what every other package agrees on, pure (no I/O, no settings, no Dagster).

- `catalog.connectors`: every AFAS GetConnector this project reads, its fields and how it is sliced;
- `catalog.slices`: `Slice`, one slice of a connector (how it filters AFAS, its warehouse columns,
  its partition key);
- `catalog.periods`: AFAS fiscal periods (0..13) and which exist on a day;
- `catalog.clock`: the time zone AFAS's datetimes are in;
- `catalog.redaction`: which typed values a message may repeat (never one that could be a secret);
- `catalog.types`: one mapping from a field's kind to its Polars, DuckDB and Dagster types.

Everything in `catalog.connectors` is importable from `catalog` itself.
"""

from catalog.connectors import *  # noqa: F401,F403  (the catalog's names, as `catalog.TRANSACTIONS`)
from catalog.connectors import __all__  # noqa: F401
