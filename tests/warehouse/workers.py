"""Functions run in child processes (multiprocessing 'spawn' imports them from here)."""

from __future__ import annotations

from pathlib import Path

from afas.catalog import TRANSACTIONS
from tests.warehouse.frames import frame, period_slice, transaction
from warehouse import Warehouse


def write_periods(db: str, publish_dir: str, periods: list[int], lines: int) -> list[int]:
    """Load `lines` transaction lines into each period of administration 1, 2025; returns rows inserted."""
    wh = Warehouse(Path(db), Path(publish_dir))
    inserted = []
    for period in periods:
        rows = [transaction(1, 2025, period, period * 1000 + i, 1, "8000", "0.00", f"{i}.50") for i in range(lines)]
        inserted.append(wh.replace_slice(TRANSACTIONS, period_slice(period=period), frame(TRANSACTIONS, rows)).rows_inserted)
    return inserted
