"""Reconciliation with AFAS as an asset check of `period_values`.

AFAS's period values are its own aggregate of the books. After period values are loaded, each
partition's transactions must add up to them per account, and allocation rows to their lines. A
mismatch (say, an entry deleted in AFAS that no change feed reported) triggers one reload of that
partition's books; the check passes when that heals it and stays red, naming accounts and amounts,
when it does not.
"""

from collections.abc import Sequence

import dagster as dg

from afas import catalog
from warehouse.reconcile import SLICE_COLUMNS, account_mismatches, allocation_mismatches

from assets.loading import LOAD_ERRORS, SliceLoad, load_together

CHECK_NAME = "reconciles_with_transactions"
_SHOWN = 10


def reconciliation_spec(asset_key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        CHECK_NAME, asset=asset_key, blocking=False,
        description="per account the transactions' net equals debit − credit of the period values, and allocation "
        "rows add up to their lines; a mismatch reloads the partition once",
    )


def _slice(spec) -> tuple[str, int, int, int]:
    return (spec.environment, spec.administration_id, spec.fiscal_year, spec.period)


def _mismatches(store, specs) -> dict[tuple, str]:
    """Slice → what disagrees in it, for the slices that do not reconcile (two queries for all)."""
    slices = [_slice(spec) for spec in specs]
    accounts, allocations = account_mismatches(store, slices), allocation_mismatches(store, slices)
    found: dict[tuple, list[str]] = {}
    for r in accounts.iter_rows(named=True):
        found.setdefault(tuple(r[c] for c in SLICE_COLUMNS), []).append(
            f"account {r['account_no']}: transactions {r['transactions_net']}, period values {r['period_values_net']}")
    for r in allocations.iter_rows(named=True):
        found.setdefault(tuple(r[c] for c in SLICE_COLUMNS), []).append(
            f"entry {r['entry_no']} line {r['line_no']}: line {r['line_amount']}, allocated {r['allocated_amount']}")
    return {key: "; ".join(parts[:_SHOWN]) for key, parts in found.items()}


def reconcile(
    afas, store, asset_key: dg.AssetKey, loads: Sequence[tuple[str, SliceLoad]], log, run_id: str | None = None
) -> dg.AssetCheckResult:
    """Reconcile every loaded partition, reloading a disagreeing one once."""
    healed: list[str] = []
    failing: dict[str, str] = {}
    problems = _mismatches(store, [load.spec for _, load in loads])
    reloaded = []
    for key, load in loads:
        problem = problems.get(_slice(load.spec))
        if problem is None:
            continue
        log.warning(f"{key} does not reconcile ({problem}); reloading its books once")
        client = afas.client(load.spec.environment)
        books = [catalog.TRANSACTIONS, catalog.TRANSACTIONS_ALLOCATED, catalog.PERIOD_VALUES]
        errors = [o for _, o in load_together(client, store, books, load.spec, run_id=run_id) if isinstance(o, Exception)]
        if errors:  # the failing connector's error, and NotWrittenTogether on the others
            failing[key] = f"{problem} (reload failed: {next(e for e in errors if isinstance(e, LOAD_ERRORS))})"
            continue
        reloaded.append((key, load))
    after = _mismatches(store, [load.spec for _, load in reloaded])
    for key, load in reloaded:
        problem = after.get(_slice(load.spec))
        if problem is None:
            healed.append(key)
        else:
            failing[key] = problem
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=CHECK_NAME,
        passed=not failing,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "partitions_checked": len(loads),
            "healed_by_reload": dg.MetadataValue.json(healed),
            "mismatches": dg.MetadataValue.json(failing),
        },
    )
