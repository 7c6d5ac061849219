"""Keeping the lake lean: merge small files, expire old snapshots, delete files nothing refers to.

DuckLake's own maintenance functions do the work; this module only decides the order and the
margins. Every reload of a slice leaves its old file behind (time travel needs it) and each load
writes small files; without maintenance the data folder grows with every run.

- `ducklake_merge_adjacent_files`: small files of one partition become one.
- `ducklake_expire_snapshots(older_than => now − retention)`: time travel stops at the retention
  (default 13 months: a year's close can still be read back a month into the next year's close).
- `ducklake_cleanup_old_files`: deletes the files only expired snapshots referred to.
- `ducklake_delete_orphaned_files(older_than => now − 1 day)`: files no snapshot knows, left by a
  writer killed before its commit; the day's margin keeps files of commits still in flight.

Small inserts stay inlined in the catalog on purpose (flushing them would make one tiny file per
slice, which partitions by slice can never merge).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

from warehouse import lake
from warehouse.settings import LakeSettings

#: Files younger than this that no snapshot knows may belong to a commit in flight: leave them.
ORPHAN_MARGIN = dt.timedelta(days=1)


@dataclass(frozen=True)
class MaintenanceResult:
    """What one maintenance pass did.

    Attributes:
        snapshots_expired: snapshots removed (their states can no longer be read back).
        files_merged: merge passes that combined files (DuckLake reports one row per new file).
        old_files_deleted: data files only expired snapshots referred to.
        orphans_deleted: data files no snapshot referred to.
        oldest_snapshot: the time of the oldest snapshot kept (time travel reaches back to it).
        seconds: wall time.
    """

    snapshots_expired: int
    files_merged: int
    old_files_deleted: int
    orphans_deleted: int
    oldest_snapshot: dt.datetime | None
    seconds: float


def retention_cutoff(settings: LakeSettings, now: dt.datetime) -> dt.datetime:
    """The instant before which snapshots may be expired: `retention_months` calendar months before now."""
    months = now.year * 12 + now.month - 1 - settings.retention_months
    year, month = divmod(months, 12)
    day = min(now.day, 28)  # a month-end date exists in every month when capped at 28
    return now.replace(year=year, month=month + 1, day=day)


def maintain(settings: LakeSettings, *, now: dt.datetime | None = None, logger: logging.Logger | None = None) -> MaintenanceResult:
    """One maintenance pass; safe while loads run (each step is its own, retried, transaction)."""
    started = time.perf_counter()
    now = now or dt.datetime.now(dt.timezone.utc)
    cutoff = retention_cutoff(settings, now)
    con = lake.attach(settings)

    def call(sql: str, params: list | None = None) -> int:
        def work(c):
            return len(c.execute(sql, params or []).fetchall())

        return lake.run_transaction(con, work, what=sql.split("(")[0].removeprefix("CALL "),
                                    timeout_s=settings.busy_timeout_s, logger=logger)

    try:
        merged = call(f"CALL ducklake_merge_adjacent_files('{lake.ALIAS}')")
        expired = call(f"CALL ducklake_expire_snapshots('{lake.ALIAS}', older_than => ?)", [cutoff])
        old = call(f"CALL ducklake_cleanup_old_files('{lake.ALIAS}', cleanup_all => true)")
        orphans = call(f"CALL ducklake_delete_orphaned_files('{lake.ALIAS}', older_than => ?)", [now - ORPHAN_MARGIN])
        (oldest,) = con.execute(f"SELECT min(snapshot_time) FROM {lake.ALIAS}.snapshots()").fetchone()
    finally:
        con.close()
    return MaintenanceResult(expired, merged, old, orphans, oldest, time.perf_counter() - started)
