"""Dagster assets built from the connector catalog: one asset per GetConnector, none hand-copied.

Each asset loads every partition its run was given (a UI backfill of one administration over many
periods is one run), fetching several slices at once — the client keeps AFAS at its in-flight cap —
while each slice's write is one short lake transaction. Every loaded slice reports its own
materialization (rows, AFAS requests, timings, the company), and its soft rules as partitioned
check results. A slice that fails writes nothing: each asset it touches gets an observation on that
partition saying why and that the earlier data is kept, and the run fails naming it.

The period's books (transactions, allocations, period values) are one step: see `assets.specs`.
"""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at load time.


from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed

import dagster as dg
import polars as pl

import catalog
from catalog import Connector, Slicing
from assets.partitions import ADMINISTRATION_TAG, COMPANY_TAG, AdministrationRef
from catalog.slices import SNAPSHOT_DATE, Slice
from assets.resources import AfasResource, WarehouseResource
from warehouse.lookups import administration_names, last_loaded

from assets.checks import check_specs, partition_evaluations, run_results
from assets.loading import ContractViolation, NotWrittenTogether, SliceLoad, load_together
from assets.markdown import table_markdown
from assets.reconciliation import ReconcileAsTheyLand, evaluations, reconciliation_spec
from assets.specs import BOOKS, GROUP, asset_key, asset_spec, partitions_for
from assets.vanished import observation_metadata as vanished_metadata

__all__ = ["BOOKS", "GROUP", "asset_key", "connector_assets"]

SLICES_AT_ONCE = 8  # slices fetched concurrently in one run; AFAS calls stay capped per environment
_FAILURE_CASES_SHOWN = 20


def _slices(context: dg.AssetExecutionContext, connector: Connector, afas: AfasResource) -> list[tuple[str, Slice]]:
    keys = afas.environment_names() if connector.slicing is Slicing.NONE else [str(k) for k in context.partition_keys]
    return [(key, Slice.from_partition_key(connector, key)) for key in keys]


def _companies(store, slices: list[tuple[str, Slice]]) -> dict[str, str]:
    """Partition key → "<company name> (<administration key>)", for the partitions whose name is known."""
    names = administration_names(store)
    found = {}
    for key, spec in slices:
        name = names.get((spec.environment, spec.administration_id))
        if name:
            found[key] = f"{name} ({AdministrationRef(spec.environment, spec.administration_id).key})"
    return found


def _tag_the_run(context: dg.AssetExecutionContext, slices: list[tuple[str, Slice]], companies: dict[str, str]) -> None:
    """A run of one administration (a schedule's, a sensor's or a UI backfill's) gets its key and company
    name as tags; added from here because only the run knows the names, whoever launched it."""
    admins = {AdministrationRef(spec.environment, spec.administration_id).key for _, spec in slices}
    if len(admins) != 1 or context.run.tags.get(ADMINISTRATION_TAG):
        return
    (admin,) = admins
    tags = {ADMINISTRATION_TAG: admin}
    company = next((companies[k] for k, _ in slices if k in companies), None)
    if company:
        tags[COMPANY_TAG] = company.removesuffix(f" ({admin})")
    context.instance.add_run_tags(context.run.run_id, tags)


def _metadata(load: SliceLoad, company: str | None) -> dict[str, object]:
    meta: dict[str, object] = {}
    if company:
        meta["administration"] = company
    meta.update({
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
    })
    if load.snapshot_date is not None:
        meta["snapshot_date"] = load.snapshot_date.isoformat()
    if load.extra_fields:
        meta["new_afas_fields"] = dg.MetadataValue.json(dict(load.extra_fields))
    if load.added_columns:
        meta["columns_added"] = dg.MetadataValue.json(list(load.added_columns))
    if load.missing_optional:
        meta["afas_fields_missing"] = dg.MetadataValue.json(list(load.missing_optional))
    return meta


def _administrations_table(store) -> dg.MetadataValue:
    """Partition key and company name of every administration, as the UI shows them."""
    rows = sorted((AdministrationRef(env, admin).key, name) for (env, admin), name in administration_names(store).items())
    return dg.MetadataValue.md(table_markdown(pl.DataFrame(rows, schema=["partition", "company"], orient="row")))


def _reason(exc: Exception) -> str:
    return str(exc.cause if isinstance(exc, NotWrittenTogether) else exc)


def _failure_observation(store, connector: Connector, key: str, spec: Slice, exc: Exception,
                         company: str | None) -> dg.AssetObservation:
    """On the failed partition of an asset the run touched: why, and that the earlier data is kept."""
    slice_values = {k: v for k, v in spec.columns(connector).items() if k != SNAPSHOT_DATE}
    before = last_loaded(store, connector.table, slice_values)
    kept = (f"kept unchanged: the rows loaded {before.isoformat(timespec='seconds')} are still served"
            if before else "none: this partition was never loaded")
    meta: dict[str, object] = {"load_failed": dg.MetadataValue.text(_reason(exc)), "earlier_data": kept}
    if company:
        meta["administration"] = company
    if isinstance(exc, ContractViolation):
        meta["failure_cases"] = dg.MetadataValue.md(table_markdown(exc.validation.failure_cases.head(_FAILURE_CASES_SHOWN)))
    vanished = vanished_metadata(store, exc)  # an administration gone from AFAS: since when its data is kept
    meta.update(vanished)
    return dg.AssetObservation(asset_key=asset_key(connector), partition=key, metadata=meta,
                               description=vanished.get("vanished_from_afas")
                               or f"load failed; earlier data {kept.split(':')[0]}")


def _failure_metadata(failures: list[tuple[str, Exception]]) -> dict[str, object]:
    meta: dict[str, object] = {"failed_slices": dg.MetadataValue.json([k for k, _ in failures])}
    for key, exc in failures[:10]:
        if isinstance(exc, ContractViolation):
            v = exc.validation
            meta[f"{key} summary"] = v.summary
            meta[f"{key} error_counts"] = dg.MetadataValue.json({str(k): int(c) for k, c in v.error_counts.items()})
            meta[f"{key} failure_cases"] = dg.MetadataValue.md(table_markdown(v.failure_cases.head(_FAILURE_CASES_SHOWN)))
        else:
            meta[f"{key} error"] = str(exc)
    return meta


def _to_load(connectors: list[Connector], selected: list[Connector]) -> list[Connector]:
    """A period's books load together whenever transactions or allocations are asked for (see assets.specs);
    period values alone is the cheap refresh of AFAS's totals."""
    if connectors == BOOKS and any(c is not catalog.PERIOD_VALUES for c in selected):
        return BOOKS
    return selected


def connector_assets_step(name: str, connectors: list[Connector]) -> dg.AssetsDefinition:
    """One step that loads the given connectors (all sliced alike), one asset each.

    The books of a period share a step: a period's three slices are fetched and then committed in one
    lake transaction, so reconciliation (and every reader) sees them from the same load.
    """
    partitions_def = partitions_for(connectors[0])
    partitioned = partitions_def is not None
    reconciles = connectors == BOOKS
    checks = [c for connector in connectors for c in check_specs(connector, asset_key(connector), partitions_def)]
    if reconciles:
        checks.append(reconciliation_spec(asset_key(catalog.PERIOD_VALUES), partitions_def,
                                          [asset_key(catalog.TRANSACTIONS), asset_key(catalog.TRANSACTIONS_ALLOCATED)]))

    @dg.multi_asset(
        name=name,
        specs=[asset_spec(c) for c in connectors],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run() if partitioned else None,
        check_specs=checks,
        can_subset=len(connectors) > 1,
        description=("A period's books: transactions, transactions_allocated and period_values, loaded and "
                     "reconciled together." if reconciles else None),
    )
    def _step(context: dg.AssetExecutionContext, afas: AfasResource, warehouse: WarehouseResource) -> Iterator:
        store = warehouse.warehouse(logger=context.log)  # a retried commit shows in the run's log
        selected = [c for c in connectors if asset_key(c) in context.selected_asset_keys]
        loading = _to_load(connectors, selected)
        slices = _slices(context, loading[0], afas)
        companies = _companies(store, slices) if partitioned else {}
        if partitioned and slices:
            _tag_the_run(context, slices, companies)
        if loading != selected:
            context.log.info(f"{', '.join(c.table for c in selected)} selected: loading the period's books together "
                             f"({', '.join(c.table for c in loading)})")
        context.log.info(f"loading {len(slices)} slice(s) of {', '.join(c.id for c in loading)}")
        loads: dict[str, list[tuple[str, SliceLoad]]] = {c.id: [] for c in loading}
        failures: list[tuple[str, Exception]] = []
        failed: dict[str, tuple[Slice, Exception]] = {}  # partition → its spec and first real error
        reconciling = reconciles and catalog.PERIOD_VALUES in loading
        with ThreadPoolExecutor(max_workers=SLICES_AT_ONCE, thread_name_prefix="slice") as pool, \
                ReconcileAsTheyLand(afas, store, context.log, context.run.run_id) as reconciler:
            futures = {pool.submit(load_together, afas.client(spec.environment), store, loading, spec,
                                   run_id=context.run.run_id): (k, spec) for k, spec in slices}
            for future in as_completed(futures):
                k, spec = futures[future]
                landed = future.result()
                for connector, outcome in landed:
                    if isinstance(outcome, Exception):
                        context.log.error(f"{k} {connector.id}: {outcome}")
                        failures.append((k if len(loading) == 1 else f"{k} {connector.table}", outcome))
                        if k not in failed or isinstance(failed[k][1], NotWrittenTogether):
                            failed[k] = (spec, outcome)
                        if partitioned:
                            yield _failure_observation(store, connector, k, spec, outcome, companies.get(k))
                        continue
                    loads[connector.id].append((k, outcome))
                    if partitioned:
                        yield dg.AssetMaterialization(asset_key=asset_key(connector), partition=k,
                                                      metadata=_metadata(outcome, companies.get(k)))
                        # Its checks right away, not after the last slice: each is an event Dagster
                        # stores, and stored now they overlap the other slices' waits for AFAS.
                        yield from partition_evaluations(connector, asset_key(connector), [(k, outcome)], companies,
                                                         context.instance)
                if reconciling:
                    period_values = [o for c, o in landed if c is catalog.PERIOD_VALUES and not isinstance(o, Exception)]
                    done = reconciler.add(k, period_values[0]) if period_values and k not in failed else reconciler.poll()
                    if done:
                        yield from evaluations(asset_key(catalog.PERIOD_VALUES), done, companies, context.instance)
            if reconciling:
                yield from evaluations(asset_key(catalog.PERIOD_VALUES), reconciler.finish(failed), companies,
                                       context.instance)
        # One summary line, not one per slice: every log line is an event Dagster stores (a write to its
        # event log), and each slice's figures are already in its materialization.
        context.log.info(", ".join(
            f"{c.table}: {len(loads[c.id])} slice(s), {sum(load.rows for _, load in loads[c.id]):,} rows, "
            f"{sum(load.afas_requests for _, load in loads[c.id])} AFAS calls" for c in loading
        ) + (f"; {len(failures)} failed" if failures else ""))
        for connector in loading:
            done_loads = sorted(loads[connector.id], key=lambda pair: pair[0])
            if not partitioned and done_loads:
                yield dg.AssetMaterialization(
                    asset_key=asset_key(connector),
                    metadata={
                        "rows": sum(load.rows for _, load in done_loads),
                        "afas_requests": sum(load.afas_requests for _, load in done_loads),
                        "afas_connector": connector.id,
                        "environments": dg.MetadataValue.json({k: load.rows for k, load in done_loads}),
                        "lake_snapshot_ids": dg.MetadataValue.json({k: load.snapshot_id for k, load in done_loads}),
                        **({"administrations": _administrations_table(store)} if connector is catalog.ADMINISTRATIONS else {}),
                    },
                )
                yield from run_results(connector, asset_key(connector), done_loads)
        if partitioned:  # partitioned checks report per partition above; their step outputs say "done"
            for check_key in context.selected_asset_check_keys:
                yield dg.Output(None, output_name=context.assets_def.get_output_name_for_asset_check_key(check_key))
        if failures:
            raise dg.Failure(
                description=f"{len(failed)} partition(s) failed to load; their earlier data is unchanged and still "
                f"served. First: {_reason(failures[0][1])}",
                metadata=_failure_metadata(failures),
            )

    return _step


def connector_assets() -> list[dg.AssetsDefinition]:
    """One asset per loaded catalog connector (the optional change feed is not loaded)."""
    steps = [connector_assets_step("period_books", BOOKS)]
    for connector in catalog.CONNECTORS:
        if not connector.optional and connector not in BOOKS:
            steps.append(connector_assets_step(connector.table, [connector]))
    return steps
