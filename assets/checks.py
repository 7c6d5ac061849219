"""Soft rules as Dagster asset checks: declared from the schemas, results summed over the run's slices."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg

from afas.catalog import Connector
from schemas import soft_rule_specs

from assets.loading import SliceLoad

_SAMPLE_ROWS = 5


def check_specs(connector: Connector, asset_key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(name, asset=asset_key, description=description, blocking=False)
        for name, description in soft_rule_specs(connector)
    ]


def check_results(
    connector: Connector, asset_key: dg.AssetKey, loads: Sequence[tuple[str, SliceLoad]]
) -> list[dg.AssetCheckResult]:
    """One result per soft rule: passed when every loaded slice passed; failures named by partition."""
    results = []
    for name, description in soft_rule_specs(connector):
        failing: dict[str, int] = {}
        sample: list[dict] = []
        for key, load in loads:
            for soft in load.soft:
                if soft.name == name and not soft.passed:
                    failing[key] = soft.failures
                    sample.extend(soft.sample[: _SAMPLE_ROWS - len(sample)])
        metadata: dict[str, object] = {
            "slices_checked": len(loads),
            "failing_rows": sum(failing.values()),
        }
        if failing:
            metadata["failing_partitions"] = dg.MetadataValue.json(dict(list(failing.items())[:50]))
            metadata["sample"] = dg.MetadataValue.json(_jsonable(sample))
        results.append(
            dg.AssetCheckResult(
                asset_key=asset_key,
                check_name=name,
                passed=not failing,
                severity=dg.AssetCheckSeverity.WARN,
                description=description,
                metadata=metadata,
            )
        )
    return results


def _jsonable(rows: list[dict]) -> list[dict]:
    return [{k: (v if isinstance(v, (int, float, str, bool)) or v is None else str(v)) for k, v in r.items()} for r in rows]
