"""Opt-in: mirror every attachment of the administrations you choose.

The asset is partitioned by administration and is in no schedule: materialize it from the UI for
the administrations whose documents you want. Files land in `<data>/documents/<environment>/<id>/`
under their own names; files already there are not downloaded again.
"""

# No `from __future__ import annotations` here: Dagster inspects the `context` annotation at load time.


from pathlib import Path

import dagster as dg

import catalog
from afas.documents import save_document
from assets.factory import GROUP, asset_key
from assets.specs import AREA_TAG
from assets.partitions import AdministrationRef, administration_partitions
from assets.resources import AfasResource, WarehouseResource
from warehouse.lookups import attachments


@dg.asset(
    key=dg.AssetKey("document_files"),
    group_name=GROUP,
    partitions_def=administration_partitions,
    deps=[asset_key(catalog.DOSSIER_ITEMS)],
    description="Attachments of dossier items, downloaded through AppConnectorSubject (opt-in: pick the "
    "administrations in the UI).",
    kinds={"file"},
    tags={AREA_TAG: "documents"},
)
def document_files(context: dg.AssetExecutionContext, afas: AfasResource, warehouse: WarehouseResource):
    admin = AdministrationRef.parse(context.partition_key)
    items = attachments(warehouse.warehouse(), admin.environment, admin.administration_id)
    client = afas.client(admin.environment)
    folder = Path(afas.data_dir) / "documents" / admin.environment / str(admin.administration_id)
    downloaded = kept = 0
    for subject_id, file_id, _file_name in items:
        marker = folder / ".ids" / file_id
        if marker.exists():
            kept += 1
            continue
        path = save_document(client.document(subject_id, file_id), file_id, folder)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(path.name)
        downloaded += 1
    context.log.info(f"{downloaded} downloaded, {kept} already present, in {folder}")
    return dg.MaterializeResult(metadata={"downloaded": downloaded, "already_present": kept, "folder": str(folder)})
