"""Dagster assets built from the connector catalog: one asset per GetConnector, none hand-copied.

Each asset loads every partition its run was given (a UI backfill of one administration over many
periods is one run), fetching several slices at once — the client keeps AFAS at its in-flight cap —
while each slice's write is one short lake transaction. Every loaded slice reports its own materialization with
rows, AFAS requests and timings; slices that break a hard rule write nothing and fail the run with
their failure cases.
"""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at load time.


from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed

import dagster as dg

from afas import catalog
from afas.catalog import Connector, Kind, Slicing
from pipelines.partitions import (
    AdministrationRef,
    administration_partitions,
    administration_period_partitions,
    parse_slice,
)
from pipelines.resources import AfasResource, WarehouseResource

from assets.checks import check_results, check_specs
from assets.loading import ContractViolation, SliceLoad, SliceSpec, load_together
from assets.reconciliation import reconcile, reconciliation_spec

GROUP = "afas"
SLICES_AT_ONCE = 8  # slices fetched concurrently in one run; AFAS calls stay capped per environment
_FAILURE_CASES_SHOWN = 20

_DUCKDB_TYPE = {
    Kind.INT: "BIGINT", Kind.TEXT: "VARCHAR", Kind.MONEY: "DECIMAL", Kind.DATE: "DATE",
    Kind.DATETIME: "TIMESTAMPTZ", Kind.BOOL: "BOOLEAN", Kind.BLOB: "VARCHAR",
}


def asset_key(connector: Connector) -> dg.AssetKey:
    return dg.AssetKey(connector.table)


def partitions_for(connector: Connector) -> dg.PartitionsDefinition | None:
    return {
        Slicing.NONE: None,
        Slicing.ADMINISTRATION: administration_partitions,
        Slicing.ADMINISTRATION_PERIOD: administration_period_partitions,
    }[connector.slicing]


def _column_schema(connector: Connector) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(f.column, _DUCKDB_TYPE[f.kind], description=f"AFAS {f.id}: {f.meaning}")
            for f in connector.fields
        ]
    )


def _slices(context: dg.AssetExecutionContext, connector: Connector, afas: AfasResource) -> list[tuple[str, SliceSpec]]:
    if connector.slicing is Slicing.NONE:
        return [(name, SliceSpec(name)) for name in afas.environment_names()]
    specs = []
    for key in context.partition_keys:
        if connector.slicing is Slicing.ADMINISTRATION:
            admin = AdministrationRef.parse(key)
            specs.append((key, SliceSpec(admin.environment, admin.administration_id)))
        else:
            ref = parse_slice(key)
            specs.append((
                str(key),
                SliceSpec(ref.administration.environment, ref.administration.administration_id,
                          ref.period.year, ref.period.period),
            ))
    return specs


def _metadata(load: SliceLoad) -> dict[str, object]:
    meta: dict[str, object] = {
        "rows": load.rows,
        "rows_replaced": load.rows_replaced,
        "afas_requests": load.afas_requests,
        "seconds": round(load.seconds, 3),
        "fetch_seconds": round(load.fetch_seconds, 3),
        "validate_seconds": round(load.validate_seconds, 3),
        "write_seconds": round(load.write_seconds, 3),
        "afas_connector": load.connector.id,
        "table": load.connector.table,
        "environment": load.spec.environment,
        # The lake's state right after this slice's commit: `AT (VERSION => n)` reads it back.
        "lake_snapshot_id": load.snapshot_id,
    }
    if load.snapshot_date is not None:
        meta["snapshot_date"] = load.snapshot_date.isoformat()
    if load.extra_fields:
        meta["new_afas_fields"] = dg.MetadataValue.json(dict(load.extra_fields))
    if load.added_columns:
        meta["columns_added"] = dg.MetadataValue.json(list(load.added_columns))
    if load.missing_optional:
        meta["afas_fields_missing"] = dg.MetadataValue.json(list(load.missing_optional))
    return meta


def _failure_metadata(failures: list[tuple[str, Exception]]) -> dict[str, object]:
    meta: dict[str, object] = {"failed_slices": dg.MetadataValue.json([k for k, _ in failures])}
    for key, exc in failures[:10]:
        if isinstance(exc, ContractViolation):
            v = exc.validation
            meta[f"{key} summary"] = v.summary
            meta[f"{key} error_counts"] = dg.MetadataValue.json({str(k): int(c) for k, c in v.error_counts.items()})
            cases = v.failure_cases.head(_FAILURE_CASES_SHOWN)
            meta[f"{key} failure_cases"] = dg.MetadataValue.md(_markdown(cases))
        else:
            meta[f"{key} error"] = str(exc)
    return meta


def _markdown(frame) -> str:
    if frame.height == 0:
        return "(none)"
    cols = frame.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.iter_rows():
        lines.append("| " + " | ".join("" if v is None else str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)


def _spec(connector: Connector) -> dg.AssetSpec:
    return dg.AssetSpec(
        asset_key(connector),
        group_name=GROUP,
        description=f"{connector.description}. AFAS GetConnector `{connector.id}`, DuckDB table `{connector.table}`.",
        metadata={"afas_connector": connector.id, "dagster/column_schema": _column_schema(connector)},
        kinds={"duckdb"},
        deps=[] if connector is catalog.ADMINISTRATIONS else [asset_key(catalog.ADMINISTRATIONS)],
        skippable=True,
    )


def _load_slice_of_each(afas: AfasResource, store, connectors: list[Connector], spec: SliceSpec, run_id: str) -> list:
    """One slice of each connector, committed together (a period's books never disagree)."""
    return load_together(afas.client(spec.environment), store, connectors, spec, run_id=run_id)


def connector_assets_step(name: str, connectors: list[Connector]) -> dg.AssetsDefinition:
    """One step that loads the given connectors (all sliced alike), one asset each.

    The books of a period (transactions, allocations, period values) share a step: a period's three
    slices are fetched and then committed in one lake transaction, so reconciliation (and every
    reader) sees them from the same load.
    """
    slicing = connectors[0].slicing
    partitioned = slicing is not Slicing.NONE
    reconciles = catalog.PERIOD_VALUES in connectors
    checks = [c for connector in connectors for c in check_specs(connector, asset_key(connector))]
    if reconciles:
        checks.append(reconciliation_spec(asset_key(catalog.PERIOD_VALUES)))

    @dg.multi_asset(
        name=name,
        specs=[_spec(c) for c in connectors],
        partitions_def=partitions_for(connectors[0]),
        backfill_policy=dg.BackfillPolicy.single_run() if partitioned else None,
        check_specs=checks,
        can_subset=len(connectors) > 1,
    )
    def _step(context: dg.AssetExecutionContext, afas: AfasResource, warehouse: WarehouseResource) -> Iterator:
        store = warehouse.warehouse(logger=context.log)  # a retried commit shows in the run's log
        selected = [c for c in connectors if asset_key(c) in context.selected_asset_keys]
        slices = _slices(context, selected[0], afas)
        context.log.info(f"loading {len(slices)} slice(s) of {', '.join(c.id for c in selected)}")
        loads: dict[str, list[tuple[str, SliceLoad]]] = {c.id: [] for c in selected}
        failures: list[tuple[str, Exception]] = []
        with ThreadPoolExecutor(max_workers=SLICES_AT_ONCE, thread_name_prefix="slice") as pool:
            futures = {pool.submit(_load_slice_of_each, afas, store, selected, spec, context.run.run_id): k for k, spec in slices}
            for future in as_completed(futures):
                k = futures[future]
                for connector, outcome in future.result():
                    if isinstance(outcome, Exception):
                        context.log.error(f"{k} {connector.id}: {outcome}")
                        failures.append((k if len(selected) == 1 else f"{k} {connector.table}", outcome))
                        continue
                    loads[connector.id].append((k, outcome))
                    if partitioned:
                        yield dg.AssetMaterialization(asset_key=asset_key(connector), partition=k,
                                                      metadata=_metadata(outcome))
        # One summary line, not one per slice: every log line is an event Dagster stores (a write to its
        # event log), and each slice's figures are already in its materialization.
        context.log.info(", ".join(
            f"{c.table}: {len(loads[c.id])} slice(s), {sum(load.rows for _, load in loads[c.id]):,} rows, "
            f"{sum(load.afas_requests for _, load in loads[c.id])} AFAS calls" for c in selected
        ) + (f"; {len(failures)} failed" if failures else ""))
        for connector in selected:
            done_loads = loads[connector.id]
            if not partitioned and done_loads:
                yield dg.AssetMaterialization(
                    asset_key=asset_key(connector),
                    metadata={
                        "rows": sum(load.rows for _, load in done_loads),
                        "afas_requests": sum(load.afas_requests for _, load in done_loads),
                        "afas_connector": connector.id,
                        "environments": dg.MetadataValue.json({k: load.rows for k, load in done_loads}),
                        "lake_snapshot_ids": dg.MetadataValue.json({k: load.snapshot_id for k, load in done_loads}),
                    },
                )
            yield from check_results(connector, asset_key(connector), done_loads)
        if reconciles and catalog.PERIOD_VALUES in selected:
            key = asset_key(catalog.PERIOD_VALUES)
            yield reconcile(afas, store, key, loads[catalog.PERIOD_VALUES.id], context.log, context.run.run_id)
        if failures:
            raise dg.Failure(
                description=f"{len(failures)} slice load(s) failed; earlier data of those slices is unchanged. "
                f"First: {failures[0][1]}",
                metadata=_failure_metadata(failures),
            )

    return _step


#: Loaded together in one step, in this order: the books of a period, period values last.
BOOKS = [catalog.TRANSACTIONS, catalog.TRANSACTIONS_ALLOCATED, catalog.PERIOD_VALUES]


def connector_assets() -> list[dg.AssetsDefinition]:
    """One asset per loaded catalog connector (the optional change feed is not loaded)."""
    steps = [connector_assets_step("period_books", BOOKS)]
    for connector in catalog.CONNECTORS:
        if not connector.optional and connector not in BOOKS:
            steps.append(connector_assets_step(connector.table, [connector]))
    return steps
