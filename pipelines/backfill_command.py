"""`afas-pipeline backfill`: one run over a range of an administration's periods, from the shell.

    afas-pipeline backfill o12345-1 2025-01 2025-06          # queued; the daemon starts it
    afas-pipeline backfill o12345-1 2025-00 2025-13 --wait   # and wait for the outcome

Dagster's backfill dialog offers ranges only for time-based partitions; periods (`YYYY-PP`, with 00 and
13) are not time windows, so there it takes a click per period (or typing `2025-` and "Select all" for a
whole year). This command launches the same thing a UI backfill of those partitions launches — one run
of `period_assets_job` over the range — through the code location, so it shows in the UI, waits in the
run queue with the other runs of its environment, and is limited like them.
"""

from __future__ import annotations

import argparse
import os
from typing import TextIO

from assets.partitions import (
    ADMINISTRATION_PARTITIONS_NAME,
    PERIOD_PARTITIONS_NAME,
    AdministrationRef,
    PeriodRef,
    environment_tags,
    period_range_tags,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    backfill = sub.add_parser("backfill", help="load and reconcile a range of an administration's periods (one run)")
    backfill.add_argument("administration", help="the administration's partition key, e.g. o12345-1")
    backfill.add_argument("first", help="first period, YYYY-PP (00 = opening balance), e.g. 2025-01")
    backfill.add_argument("last", help="last period, YYYY-PP, e.g. 2025-06")
    backfill.add_argument("--wait", action="store_true", help="wait for the run to finish and report its outcome")


def run(args: argparse.Namespace, out: TextIO) -> int:
    import dagster as dg

    from pipelines.launch import launcher

    try:
        admin = AdministrationRef.parse(args.administration)
        first, last = PeriodRef.parse(args.first), PeriodRef.parse(args.last)
    except ValueError as exc:
        print(f"error: {exc}", file=out)
        return 2
    if last < first:
        print(f"error: the last period {last.key} comes before the first {first.key}", file=out)
        return 2
    if not os.environ.get("DAGSTER_HOME"):
        print("error: DAGSTER_HOME is not set: point it at the Dagster instance that holds the partitions "
              "(the demo's is data/demo/dagster)", file=out)
        return 2
    with dg.DagsterInstance.get() as instance:
        admins = instance.get_dynamic_partitions(ADMINISTRATION_PARTITIONS_NAME)
        if admin.key not in admins:
            print(f"error: {admin.key} is not an administration partition of this instance "
                  f"(known: {', '.join(admins) or 'none yet: load the administrations first'})", file=out)
            return 2
        periods = set(instance.get_dynamic_partitions(PERIOD_PARTITIONS_NAME))
        missing = [p.key for p in (first, last) if p.key not in periods]
        if missing:
            print(f"error: no period partition {', '.join(missing)}: periods run from AFAS_FIRST_YEAR through "
                  "today's period", file=out)
            return 2
        tags = {**period_range_tags(admin, first, last), **environment_tags(admin.environment)}
        with launcher(instance) as runs:
            run_id = runs.submit("period_assets_job", tags, queued=True)
            print(f"run {run_id}: period_assets_job for {admin.key}, {first.key} .. {last.key}", file=out)
            if not args.wait:
                print("queued: the Dagster daemon (dagster dev, make ui, or dagster-daemon) starts it", file=out)
                return 0
            finished = runs.wait(run_id)
    if finished.success:
        print(", ".join(f"{name} {rows:,} rows" for name, rows in sorted(finished.rows.items())) or "nothing loaded",
              file=out)
        return 0
    print(f"failed: {finished.error}", file=out)
    return 1
