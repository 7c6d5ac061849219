"""Soft rules as Dagster asset checks, declared from the schemas.

On a partitioned asset each rule is a partitioned check: one result per loaded slice, so the UI
shows per administration (and period) which rule failed and on which rows. On the unpartitioned
administrations asset a rule has one result per run, its failures named by environment.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import dagster as dg

from catalog import Connector
from schemas import soft_rule_specs

from assets.loading import SliceLoad

_SAMPLE_ROWS = 5


def check_spec(name: str, asset_key: dg.AssetKey, description: str, partitions_def, **more) -> dg.AssetCheckSpec:
    """A non-blocking check, partitioned like its asset.

    Partitioned checks are a preview feature of Dagster 1.13 (pinned; tests cover what we use). Its
    warning is silenced here so that every code-server start does not print it once per check.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(name, asset=asset_key, description=description, blocking=False,
                                 partitions_def=partitions_def, **more)


def check_specs(connector: Connector, asset_key: dg.AssetKey, partitions_def) -> list[dg.AssetCheckSpec]:
    return [check_spec(name, asset_key, description, partitions_def) for name, description in soft_rule_specs(connector)]


def latest_materializations(instance: dg.DagsterInstance, asset_key: dg.AssetKey, partitions: Sequence[str]) -> dict:
    """Partition → the latest materialization of it, as the target a partitioned check result points at.

    Without a target the UI counts a partition's check result as missing (grey), even when it ran:
    Dagster fills the target itself only in single-partition runs. This does the same lookup for a
    run over many partitions (newest first; what this run just materialized comes first).
    """
    from dagster._core.definitions.asset_checks.asset_check_evaluation import (
        AssetCheckEvaluationTargetMaterializationData as Target,
    )

    found: dict[str, Target] = {}
    wanted = list(dict.fromkeys(partitions))
    batch = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key, asset_partitions=wanted), limit=len(wanted))
    records = list(batch.records)
    have = {r.partition_key for r in records}
    for key in wanted:  # a partition this run did not materialize: its earlier materialization, if any
        if key not in have:
            records += instance.fetch_materializations(dg.AssetRecordsFilter(asset_key, asset_partitions=[key]), limit=1).records
    for record in records:
        if record.partition_key not in found:
            found[record.partition_key] = Target(storage_id=record.storage_id, run_id=record.run_id,
                                                 timestamp=record.timestamp)
    return found


def _failing(load: SliceLoad, name: str):
    return next((soft for soft in load.soft if soft.name == name and not soft.passed), None)


def partition_evaluations(
    connector: Connector, asset_key: dg.AssetKey, loads: Sequence[tuple[str, SliceLoad]], companies: Mapping[str, str],
    instance: dg.DagsterInstance,
) -> list[dg.AssetCheckEvaluation]:
    """One evaluation per soft rule and loaded partition."""
    if not loads or not soft_rule_specs(connector):
        return []
    targets = latest_materializations(instance, asset_key, [key for key, _ in loads])
    found = []
    for name, description in soft_rule_specs(connector):
        for key, load in loads:
            soft = _failing(load, name)
            metadata: dict[str, object] = {"rows_checked": load.rows, "failing_rows": soft.failures if soft else 0}
            if key in companies:
                metadata["administration"] = companies[key]
            if soft:
                metadata["sample"] = dg.MetadataValue.json(_jsonable(soft.sample[:_SAMPLE_ROWS]))
            found.append(dg.AssetCheckEvaluation(
                asset_key=asset_key, check_name=name, passed=soft is None, partition=key,
                severity=dg.AssetCheckSeverity.WARN, description=description, metadata=metadata,
                target_materialization_data=targets.get(key),
            ))
    return found


def run_results(
    connector: Connector, asset_key: dg.AssetKey, loads: Sequence[tuple[str, SliceLoad]]
) -> list[dg.AssetCheckResult]:
    """One result per soft rule for an unpartitioned asset: passed when every loaded slice passed."""
    results = []
    for name, description in soft_rule_specs(connector):
        failing: dict[str, int] = {}
        sample: list[dict] = []
        for key, load in loads:
            soft = _failing(load, name)
            if soft:
                failing[key] = soft.failures
                sample.extend(soft.sample[: _SAMPLE_ROWS - len(sample)])
        metadata: dict[str, object] = {"slices_checked": len(loads), "failing_rows": sum(failing.values())}
        if failing:
            metadata["failing_environments"] = dg.MetadataValue.json(dict(list(failing.items())[:50]))
            metadata["sample"] = dg.MetadataValue.json(_jsonable(sample))
        results.append(dg.AssetCheckResult(
            asset_key=asset_key, check_name=name, passed=not failing, severity=dg.AssetCheckSeverity.WARN,
            description=description, metadata=metadata,
        ))
    return results


def _jsonable(rows: list[dict]) -> list[dict]:
    return [{k: (v if isinstance(v, (int, float, str, bool)) or v is None else str(v)) for k, v in r.items()} for r in rows]
