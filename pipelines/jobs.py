"""Asset jobs: one per kind of partitioning, so schedules and sensors can target exact partitions."""

from __future__ import annotations

import dagster as dg

from afas import catalog
from afas.catalog import Slicing
from assets.factory import asset_key

_LOADED = [c for c in catalog.CONNECTORS if not c.optional]

administrations_job = dg.define_asset_job(
    "administrations_job",
    selection=[asset_key(catalog.ADMINISTRATIONS)],
    description="The administrations of every configured AFAS environment.",
)
administration_assets_job = dg.define_asset_job(
    "administration_assets_job",
    selection=[asset_key(c) for c in _LOADED if c.slicing is Slicing.ADMINISTRATION],
    description="Chart of accounts, allocation codes, dossier items and open-item snapshots per administration.",
)
period_assets_job = dg.define_asset_job(
    "period_assets_job",
    selection=[asset_key(c) for c in _LOADED if c.slicing is Slicing.ADMINISTRATION_PERIOD],
    description="Period values, transactions and allocated transactions per administration and period.",
)
