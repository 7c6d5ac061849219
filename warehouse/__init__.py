"""The DuckDB warehouse: catalog-derived tables, one transaction per slice, and the analysts' copy.

Public API:
- `Warehouse`: `replace_slice`, `ensure_all_tables`, `publish_all`, `refresh_analyst_db`,
  `query`, `tables`, `slice_counts`.
- `WriteResult`: what a `replace_slice` did.
- `WarehouseError`, `WarehouseBusyError`.

Modules: `tables` (DDL and comments from the catalog), `slices` (slice keys, checks, folder names),
`views` (analyst views), `publish` (Parquet files), `analyst` (the analysts' database),
`connection` and `locks` (opening the file in turn). The package never imports Dagster.
"""

from warehouse.errors import WarehouseBusyError, WarehouseError
from warehouse.store import Warehouse, WriteResult

__all__ = ["Warehouse", "WarehouseBusyError", "WarehouseError", "WriteResult"]
