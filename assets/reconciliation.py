"""Reconciliation with AFAS, per administration × period: a partitioned asset check of `period_values`.

AFAS's period values are its own aggregate of the books. After a period's books are loaded, its
transactions must add up to them per account, and allocation rows to their lines. A mismatch (say,
an entry deleted in AFAS that no change feed reported) triggers one reload of that period's books;
the period passes when that heals it and stays red, naming accounts and amounts, when it does not.
A period whose load failed is red too ("not loaded"): its earlier data is kept, but nobody checked it
against AFAS today.

Each outcome is one check evaluation for its partition (Dagster's partitioned asset checks), and one
row of `reconciliation_history` in the lake (the view `reconciliation` shows the latest per period),
so the UI and an analyst's query give the same answer.
"""

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal

import dagster as dg
import polars as pl

from warehouse.reconcile import (
    SLICE_COLUMNS,
    Reconciliation,
    Status,
    account_mismatches,
    allocation_mismatches,
    record,
)

from catalog.slices import Slice
from assets.checks import check_spec, latest_materializations
from assets.loading import LOAD_ERRORS, SliceLoad, load_together
from assets.markdown import table_markdown
from assets.specs import BOOKS

CHECK_NAME = "reconciles_with_transactions"
_SHOWN = 10


def reconciliation_spec(asset_key: dg.AssetKey, partitions_def, reads: Sequence[dg.AssetKey]) -> dg.AssetCheckSpec:
    return check_spec(
        CHECK_NAME, asset_key, partitions_def=partitions_def, additional_deps=list(reads),
        description="Per administration × period: per account the transactions' net equals debit − credit of "
        "AFAS's period values, and allocation rows add up to their booking lines. A mismatch reloads the "
        "period's books once; red when it persists (accounts and amounts in the result) or when the period's "
        "load failed (its earlier data is kept, unchecked). Also in the lake: view `reconciliation`.",
    )


def _differences(store, slices: Sequence[Slice]) -> dict[Slice, pl.DataFrame]:
    """Slice → one row per account or booking line that disagrees, for the slices that do not reconcile."""
    accounts = account_mismatches(store, slices)
    allocations = allocation_mismatches(store, slices)
    rows: dict[Slice, list[dict]] = {}
    for r in accounts.iter_rows(named=True):
        rows.setdefault(Slice(*(r[c] for c in SLICE_COLUMNS)), []).append({
            "what": f"account {r['account_no']}", "transactions": r["transactions_net"],
            "afas": r["period_values_net"], "difference": r["difference"],
        })
    for r in allocations.iter_rows(named=True):
        rows.setdefault(Slice(*(r[c] for c in SLICE_COLUMNS)), []).append({
            "what": f"entry {r['entry_no']} line {r['line_no']} allocations", "transactions": r["line_amount"],
            "afas": r["allocated_amount"], "difference": r["line_amount"] - r["allocated_amount"],
        })
    return {key: pl.DataFrame(found, infer_schema_length=None) for key, found in rows.items()}


def _outcome(key: Slice, status: str, differences: pl.DataFrame | None = None, detail: str | None = None) -> Reconciliation:
    if differences is None or differences.height == 0:
        return Reconciliation(key, status, detail=detail)
    accounts = differences.filter(pl.col("what").str.starts_with("account "))
    total = sum((abs(Decimal(d)) for d in accounts["difference"].to_list()), start=Decimal("0.00"))
    parts = [f"{r['what']}: ours {r['transactions']}, AFAS {r['afas']}" for r in differences.head(_SHOWN).iter_rows(named=True)]
    more = f" (+{differences.height - _SHOWN} more)" if differences.height > _SHOWN else ""
    return Reconciliation(key, status, differences.height, total, "; ".join(parts) + more + (detail or ""))


def reconcile(
    afas, store, loads: Sequence[tuple[str, SliceLoad]], failed: Mapping[str, tuple[Slice, Exception]], log,
    run_id: str | None = None,
) -> dict[str, tuple[Reconciliation, pl.DataFrame | None]]:
    """Reconcile every loaded partition (reloading a disagreeing one once); failed ones are `not_loaded`.

    Returns partition key → (outcome, the rows that disagree or None); every outcome is recorded in
    the lake's `reconciliation_history`.
    """
    outcomes: dict[str, tuple[Reconciliation, pl.DataFrame | None]] = {}
    for key, (spec, error) in failed.items():
        outcomes[key] = (_outcome(spec, Status.NOT_LOADED, detail=f"load failed, earlier data kept: {error}"), None)
    problems = _differences(store, [load.spec for _, load in loads])
    reloaded = []
    for key, load in loads:
        found = problems.get(load.spec)
        if found is None:
            outcomes[key] = (_outcome(load.spec, Status.RECONCILED), None)
            continue
        log.warning(f"{key} does not reconcile ({found.height} difference(s)); reloading its books once")
        written = load_together(afas.client(load.spec.environment), store, BOOKS, load.spec, run_id=run_id)
        errors = [o for _, o in written if isinstance(o, LOAD_ERRORS)]
        if errors:
            outcomes[key] = (_outcome(load.spec, Status.DIFFERENCES, found, f" (the reload failed: {errors[0]})"), found)
            continue
        reloaded.append((key, load))
    after = _differences(store, [load.spec for _, load in reloaded])
    for key, load in reloaded:
        found = after.get(load.spec)
        status = Status.RECONCILED_AFTER_RELOAD if found is None else Status.DIFFERENCES
        outcomes[key] = (_outcome(load.spec, status, found), found)
    record(store, [outcome for outcome, _ in outcomes.values()], run_id=run_id)
    return outcomes


class ReconcileAsTheyLand:
    """Reconciles a run's periods while the others still load: whatever landed since the last batch
    goes into the next, one batch at a time on a thread of its own. Waiting for AFAS, each period is
    reconciled right after it lands, so the run does not end with all of them; bound by CPU, batches
    grow by themselves and the queries stay few (two per batch, as for a whole run at once)."""

    def __init__(self, afas, store, log, run_id: str | None = None):
        self._reconcile = lambda loads, failed: reconcile(afas, store, loads, failed, log, run_id)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reconcile")
        self._waiting: list[tuple[str, SliceLoad]] = []
        self._running: Future | None = None

    def __enter__(self) -> "ReconcileAsTheyLand":
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, key: str, load: SliceLoad) -> dict[str, tuple[Reconciliation, pl.DataFrame | None]]:
        """Queue a landed period (its period values' load); returns the outcomes of a batch that finished."""
        self._waiting.append((key, load))
        return self.poll()

    def poll(self) -> dict[str, tuple[Reconciliation, pl.DataFrame | None]]:
        """The outcomes of the batch that finished since the last call, if any; starts the next batch."""
        done = {}
        if self._running is not None and self._running.done():
            done, self._running = self._running.result(), None
        if self._running is None and self._waiting:
            batch, self._waiting = self._waiting, []
            self._running = self._pool.submit(self._reconcile, batch, {})
        return done

    def finish(self, failed: Mapping[str, tuple[Slice, Exception]]) -> dict[str, tuple[Reconciliation, pl.DataFrame | None]]:
        """Every outcome not returned yet, the failed partitions' (`not_loaded`) included."""
        done = self._running.result() if self._running is not None else {}
        self._running = None
        if self._waiting or failed:
            done = {**done, **self._reconcile(self._waiting, failed)}
            self._waiting = []
        return done


def evaluations(
    asset_key: dg.AssetKey, outcomes: Mapping[str, tuple[Reconciliation, pl.DataFrame | None]],
    companies: Mapping[str, str], instance: dg.DagsterInstance,
) -> list[dg.AssetCheckEvaluation]:
    """One check evaluation per partition, with what disagrees as a table."""
    targets = latest_materializations(instance, asset_key, list(outcomes)) if outcomes else {}
    found = []
    for key, (outcome, differences) in sorted(outcomes.items()):
        metadata: dict[str, object] = {
            "status": outcome.status,
            "differences": outcome.differences,
            "difference_total_eur": dg.MetadataValue.text(str(outcome.difference_total)),
        }
        if key in companies:
            metadata["administration"] = companies[key]
        if differences is not None and differences.height:
            metadata["what_disagrees"] = dg.MetadataValue.md(table_markdown(differences.head(50)))
        if outcome.detail and outcome.status == Status.NOT_LOADED:
            metadata["reason"] = dg.MetadataValue.text(outcome.detail)
        found.append(dg.AssetCheckEvaluation(
            asset_key=asset_key, check_name=CHECK_NAME, passed=outcome.passed, partition=key,
            severity=dg.AssetCheckSeverity.ERROR, metadata=metadata, target_materialization_data=targets.get(key),
            description={
                Status.RECONCILED: "reconciles with AFAS",
                Status.RECONCILED_AFTER_RELOAD: "reconciles with AFAS after one reload of the period's books",
                Status.DIFFERENCES: f"{outcome.differences} difference(s) with AFAS after one reload",
                Status.NOT_LOADED: "not reconciled: the period's load failed (earlier data kept)",
            }[outcome.status],
        ))
    return found
