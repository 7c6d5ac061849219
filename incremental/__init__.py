"""Incremental loading: which slices changed in AFAS since the last look. No Dagster in here."""

from incremental.changes import ChangeSet, Cursor, detect_changes

__all__ = ["ChangeSet", "Cursor", "detect_changes"]
