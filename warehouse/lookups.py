"""Small reads the pipeline needs from its warehouse, so that no SQL lives in assets or sensors."""

from __future__ import annotations

from warehouse.store import Warehouse


def known_administrations(store: Warehouse) -> list[tuple[str, int]]:
    """(environment, administration id) of every administration loaded so far, sorted."""
    if "administrations" not in store.tables():
        return []
    rows = store.query("SELECT DISTINCT environment, administration_id FROM administrations ORDER BY 1, 2")
    return [(env, int(admin)) for env, admin in rows.iter_rows()]


def attachments(store: Warehouse, environment: str, administration_id: int) -> list[tuple[int, str, str]]:
    """(subject id, file id, file name) of every dossier-item attachment of an administration."""
    if "dossier_items" not in store.tables():
        return []
    rows = store.query(
        "SELECT subject_id, file_id, file_name FROM dossier_items "
        "WHERE environment = $env AND administration_id = $admin AND file_id IS NOT NULL ORDER BY 1, 2",
        {"env": environment, "admin": administration_id},
    )
    return [(int(s), str(f), n) for s, f, n in rows.iter_rows()]
