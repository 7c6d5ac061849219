"""Asset jobs: one per kind of partitioning, so schedules and sensors can target exact partitions."""

from __future__ import annotations

import dagster as dg

import catalog
from catalog import Slicing
from assets.factory import asset_key

_LOADED = [c for c in catalog.CONNECTORS if not c.optional]

administrations_job = dg.define_asset_job(
    "administrations_job",
    selection=[asset_key(catalog.ADMINISTRATIONS)],
    description="Loads the administrations (administraties) of every configured AFAS environment, with their "
    "company names; the administrations sensor turns new ones into partitions.",
)
administration_assets_job = dg.define_asset_job(
    "administration_assets_job",
    selection=[asset_key(c) for c in _LOADED if c.slicing is Slicing.ADMINISTRATION],
    description="Per administration: the chart of accounts (rekeningschema), allocation codes "
    "(verbijzonderingscodes), dossier items and today's snapshot of outstanding receivables and payables.",
)
period_assets_job = dg.define_asset_job(
    "period_assets_job",
    selection=[asset_key(c) for c in _LOADED if c.slicing is Slicing.ADMINISTRATION_PERIOD],
    description="Per administration × period: the period's books — transactions, allocated transactions and AFAS's "
    "period values — committed together and reconciled. A range of periods in one run: `afas-pipeline backfill "
    "o12345-1 2025-01 2025-06`, or the Launchpad with tags dagster/asset_partition_range_start = o12345-1|2025-01 "
    "and dagster/asset_partition_range_end = o12345-1|2025-06 (the backfill dialog: type 2025- and Select all).",
)
