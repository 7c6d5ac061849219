"""Incremental loading: which slices changed in AFAS since the last look, what that reloads, and
looking at many environments within a time budget. No Dagster in here."""

from incremental.changes import ChangeSet, Cursor, detect_changes
from incremental.plan import BalanceRange, ReloadPlan, plan_reloads
from incremental.sweep import Sweep, in_turn, sweep

__all__ = ["BalanceRange", "ChangeSet", "Cursor", "ReloadPlan", "Sweep", "detect_changes", "in_turn",
           "plan_reloads", "sweep"]
