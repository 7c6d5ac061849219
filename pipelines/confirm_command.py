"""`afas-pipeline confirm-removed`: a user confirms that an administration is gone from AFAS.

    afas-pipeline confirm-removed o12345-3

An administration AFAS no longer shows (deleted, or the token's user lost its rights) keeps its data
in the lake, and every load of it fails saying so (`assets.vanished`), until this command: it asks
AFAS once more (and refuses when the administration is there after all), then removes the
administration's rows from every table in one lake commit and records the confirmation in
`removed_administrations`. Doctor and the loads stop reporting it; older lake snapshots keep the
removed rows for time travel (`afas-pipeline sql --as-of`).
"""

from __future__ import annotations

import argparse
from typing import TextIO

from afas.client import AfasClient
from afas.environments import EnvironmentStore
from catalog.slices import AdministrationRef


def add_parser(sub: argparse._SubParsersAction) -> None:
    confirm = sub.add_parser(
        "confirm-removed",
        help="confirm that an administration vanished from AFAS for good: remove its data from the lake",
    )
    confirm.add_argument("administration", help="the administration's partition key, e.g. o12345-3")


def run(args: argparse.Namespace, store: EnvironmentStore, out: TextIO) -> int:
    from assets.vanished import StillPresentError, confirm_removed
    from settings import Settings
    from warehouse import Warehouse

    try:
        admin = AdministrationRef.parse(args.administration)
    except ValueError as exc:
        print(f"error: {exc}", file=out)
        return 2
    (connection,) = store.connections([admin.environment])
    lake = Warehouse(Settings.from_environment().lake())
    with AfasClient(connection) as client:
        try:
            removal = confirm_removed(client, lake, admin.environment, admin.administration_id)
        except StillPresentError as exc:
            print(f"error: {exc}", file=out)
            return 1
    label = f"{admin.key}" + (f" ('{removal.name}')" if removal.name else "")
    if not removal.slices:
        print(f"{label}: the lake holds none of its rows; nothing to remove", file=out)
        return 0
    print(
        f"removed {label}: {removal.rows:,} rows in {removal.slices} slices, in lake snapshot {removal.snapshot_id} "
        f"(the snapshots before it keep them: `afas-pipeline sql --as-of …`). Recorded in removed_administrations; "
        "doctor and the loads no longer report it.",
        file=out,
    )
    return 0
