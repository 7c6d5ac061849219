"""One served AFAS environment: its settings, its data, and a version that scenarios bump.

The version is what keeps the server's frame cache honest: every change made through `scenario`
(or a clock move, see simulator.py) bumps it, and cached frames are keyed on it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from afas_simulator.config import EnvironmentSpec
from afas_simulator.dataset import EnvironmentData

#: Scenario operations of the ledger that change data (and so bump the version).
MUTATIONS = frozenset(
    {"book_entry", "change_entry", "delete_entry", "rename_account", "add_administration", "remove_administration",
     "pay_invoice"}
)
#: Read-only helpers a test needs to pick what to change.
LOOKUPS = frozenset({"find_entries", "open_invoices", "administrations", "years"})
#: Arguments that carry money or factors: JSON numbers and strings become Decimal.
_DECIMAL_ARGS = frozenset({"factor", "amount"})


@dataclass
class Environment:
    """An environment as the server sees it.

    Attributes:
        spec: the environment's settings (App Connector, tokens, data size).
        data: its data (the ledger).
        version: bumped by every data change made through the simulator.
    """

    spec: EnvironmentSpec
    data: EnvironmentData
    version: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def member(self) -> str:
        return self.spec.member

    @property
    def key(self) -> str:
        """The simulator's address of this environment: "12345" (production), "T12345" (test)."""
        return self.spec.key

    def bump(self) -> int:
        """Mark the data as changed; returns the new version."""
        with self._lock:
            self.version += 1
            return self.version

    def scenario(self, op: str, **args: Any) -> Any:
        """Run a ledger scenario operation (e.g. `delete_entry`) and bump the version.

        Args:
            op: a name from `MUTATIONS` or `LOOKUPS`.
            **args: the operation's keyword arguments; `factor` and `amount` may be given as
                numbers or strings and are turned into Decimal.

        Returns:
            Whatever the ledger returns.

        Raises:
            ValueError: an unknown operation.
            TypeError, KeyError, ValueError: from the ledger, for bad arguments.
        """
        if op not in MUTATIONS and op not in LOOKUPS:
            raise ValueError(f"unknown scenario operation {op!r}; expected one of {sorted(MUTATIONS | LOOKUPS)}")
        method = getattr(self.data, op, None)
        if method is None:
            raise ValueError(f"this environment's data has no operation {op!r}")
        args = {k: Decimal(str(v)) if k in _DECIMAL_ARGS and v is not None else v for k, v in args.items()}
        if op in LOOKUPS:
            return method(**args)
        # One change at a time per environment; the version moves only once the change is made,
        # so a request that sees the new version also sees the new data.
        with self._lock:
            result = method(**args)
            self.version += 1
        return result
