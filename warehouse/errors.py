"""The warehouse's exceptions: one base class, so callers can catch everything the warehouse raises."""

from __future__ import annotations


class WarehouseError(Exception):
    """Base class of the warehouse's own errors (bad input raises plain `ValueError`)."""


class WarehouseBusyError(WarehouseError):
    """The pipeline's DuckDB file stayed locked by another process for longer than allowed.

    DuckDB lets one process open a file for writing, and a reader in another process (even a
    read-only one) blocks it. The pipeline's own writers take turns through a lock file, so this
    error means some other tool has the file open: typically an analyst's notebook or DBeaver.
    """
