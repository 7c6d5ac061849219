"""Small reads the pipeline needs from its warehouse, so that no SQL lives in assets or sensors.

Each read has the same shape (is the table there, one parameterised query, rows into Python), which
`duplicates` pairs; each is its own question, so they stay separate functions.
"""

from __future__ import annotations

import datetime as dt

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


def periods_of_entry_dates(
    store: Warehouse, environment: str, pairs: list[tuple[int, dt.date]]
) -> dict[tuple[int, dt.date], list[tuple[int, int]]]:
    """For (administration, booking date) pairs: the (fiscal year, period) slices holding entries of that date."""
    if not pairs or "transactions" not in store.tables():
        return {}
    units = sorted({u for u, _ in pairs})
    dates = sorted({d for _, d in pairs})
    rows = store.query(
        "SELECT DISTINCT administration_id, entry_date, fiscal_year, period FROM transactions "
        "WHERE environment = $env AND list_contains($units, administration_id) AND list_contains($dates, entry_date)",
        {"env": environment, "units": units, "dates": dates},
    )
    found: dict[tuple[int, dt.date], list[tuple[int, int]]] = {}
    for unit, entry_date, year, period in rows.iter_rows():
        found.setdefault((int(unit), entry_date), []).append((int(year), int(period)))
    return found


def administration_names(store: Warehouse) -> dict[tuple[str, int], str]:
    """(environment, administration id) → the company name AFAS gives it (`administrations.name`)."""
    if "administrations" not in store.tables():
        return {}
    rows = store.query("SELECT environment, administration_id, any_value(name) FROM administrations GROUP BY ALL")
    return {(env, int(admin)): name for env, admin, name in rows.iter_rows() if name}


def last_loaded(store: Warehouse, table: str, slice_values: dict[str, object]) -> dt.datetime | None:
    """When the slice of `table` was last written (None: never), from the view `slice_loads`."""
    if "slice_load_history" not in store.tables():
        return None
    where = " AND ".join(f"{column} = ${column}" for column in slice_values)
    rows = store.query(f"SELECT max(loaded_at) FROM slice_loads WHERE table_name = $table AND {where}",
                       {"table": table, **slice_values})
    return rows.item() if rows.height else None


def rows_held(store: Warehouse, table: str, slice_values: dict[str, object]) -> int:
    """Rows the lake holds for a slice of `table` now: its latest load's row count (0: never loaded).

    Without a `snapshot_date` in `slice_values`, a snapshot table's latest snapshot of the slice counts
    (what the aging views show), so a new empty snapshot is compared with the one before it.
    """
    if "slice_load_history" not in store.tables():
        return 0
    where = " AND ".join(f"{column} = ${column}" for column in slice_values)
    rows = store.query(
        f"SELECT row_count FROM slice_load_history WHERE table_name = $table AND {where} "
        "ORDER BY snapshot_date DESC NULLS LAST, written_at DESC, loaded_at DESC LIMIT 1",
        {"table": table, **slice_values},
    )
    return int(rows.item()) if rows.height else 0


def held_slices(store: Warehouse, environment: str, administration_id: int) -> list[tuple[str, dict[str, object], int]]:
    """(table, slice values, rows) of every slice of an administration that holds rows now, sorted."""
    if "slice_load_history" not in store.tables():
        return []
    rows = store.query(
        "SELECT table_name, fiscal_year, period, snapshot_date, row_count FROM slice_loads "
        "WHERE environment = $env AND administration_id = $admin AND row_count > 0 ORDER BY ALL",
        {"env": environment, "admin": administration_id},
    )
    found = []
    for table, year, period, snapshot_date, count in rows.iter_rows():
        values: dict[str, object] = {"environment": environment, "administration_id": administration_id}
        if year is not None:
            values.update(fiscal_year=int(year), period=int(period))
        if snapshot_date is not None:
            values["snapshot_date"] = snapshot_date
        found.append((table, values, int(count)))
    return found


def held_administrations(
    store: Warehouse, environment: str | None = None, administration_id: int | None = None
) -> dict[tuple[str, int], dt.datetime]:
    """(environment, administration id) of every administration the lake holds rows of (only of this
    environment / administration when given) → when they were last loaded (from the view `slice_loads`;
    an administration whose data was removed is not held)."""
    if "slice_load_history" not in store.tables():
        return {}
    rows = store.query(
        "SELECT environment, administration_id, max(loaded_at) FROM slice_loads "
        "WHERE administration_id IS NOT NULL AND row_count > 0 "
        "AND ($env IS NULL OR environment = $env) AND ($admin IS NULL OR administration_id = $admin) "
        "GROUP BY ALL ORDER BY ALL",
        {"env": environment, "admin": administration_id},
    )
    return {(env, int(admin)): loaded for env, admin, loaded in rows.iter_rows()}
