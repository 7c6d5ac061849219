"""The warehouse's exceptions: one base class, so callers can catch everything the warehouse raises."""

from __future__ import annotations


class WarehouseError(Exception):
    """Base class of the warehouse's own errors (bad input raises plain `ValueError`)."""


class WarehouseConfigError(WarehouseError):
    """The lake settings name no usable lake (unknown catalog, missing extension, unreachable catalog)."""


class WarehouseBusyError(WarehouseError):
    """A write kept meeting a busy catalog or a conflict for longer than the settings allow.

    Writers of several processes share the lake; DuckLake detects conflicting commits and the
    warehouse retries the whole transaction. This error means the catalog stayed locked past the
    bound, typically by a stopped (SIGSTOP) or hung process in the middle of its commit. Nothing of
    the failed write is visible; the slice's earlier data is intact.
    """
