"""The warehouse: a DuckLake (DuckDB 1.5.5) with catalog-derived tables, one transaction per slice.

Public API:
- `Warehouse`: `replace_slice`, `replace_slices` (a period's books in one commit), `ensure_all_tables`,
  `query` (also `as_of` a past instant), `tables`, `slice_counts`, `snapshots`.
- `LakeSettings`: which lake (SQLite catalog on one machine, PostgreSQL when shared) and its data path.
- `SliceWrite`, `WriteResult`: what a write is given and what it did.
- `WarehouseError`, `WarehouseBusyError`, `WarehouseConfigError`.

Modules: `settings` (the lake's location), `extensions` (DuckDB extensions from the wheels only),
`lake` (attaching, retrying a transaction), `tables` (DDL, comments, partitioning from the catalog),
`slice_locks` (PostgreSQL advisory locks per slice), `slices` (slice keys and checks), `views`
(analyst views in the lake), `maintenance` (merging files, expiring snapshots), `export` (query results
to CSV, Parquet, Excel), `access` (analysts' read-only attach), `lookups` and `reconcile` (the
pipeline's own reads). The package never imports Dagster.
"""

from warehouse.errors import WarehouseBusyError, WarehouseConfigError, WarehouseError
from warehouse.settings import LakeSettings
from warehouse.store import SliceWrite, Warehouse, WriteResult

__all__ = [
    "LakeSettings",
    "SliceWrite",
    "Warehouse",
    "WarehouseBusyError",
    "WarehouseConfigError",
    "WarehouseError",
    "WriteResult",
]
