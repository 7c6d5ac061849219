"""Master data frames: administrations, chart of accounts, allocation codes, changed booking dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from catalog import ACCOUNTS as ACCOUNTS_CONNECTOR
from catalog import ADMINISTRATIONS, ALLOCATION_CODES, CHANGED_ENTRY_DATES

from . import frames
from .chart import ACCOUNTS, AXES, CURRENCY, acc
from .clock import US_PER_DAY, to_us
from .names import ADMINISTRATIONS as ADMIN_NAMES
from .unit import Context

_BANKS = ("Bank ING", "Bank Rabobank", "Bank ABN AMRO", "Bank Triodos", "Bank bunq")


def administration_names(ctx: Context, unit_id: int) -> tuple[str, str]:
    """(AdminNm, AdminCd) of an administration; the list order is shuffled per environment."""
    order = ctx.rng("administrations").permutation(len(ADMIN_NAMES))
    lap, pos = divmod(unit_id - 1, len(ADMIN_NAMES))
    name, code = ADMIN_NAMES[int(order[pos])]
    if lap:
        return f"{name.removesuffix(' B.V.')} {lap + 1} B.V.", f"{code}{lap + 1}"
    return name, code


def administrations(units: dict[int, tuple[str, str]]) -> pl.DataFrame:
    """`Visionplanner_administrations` rows for the given {UnitId: (name, code)}."""
    ids = sorted(units)
    return frames.typed(
        ADMINISTRATIONS,
        len(ids),
        {
            "AdminId": ids,
            "AdminNm": [units[i][0] for i in ids],
            "AdminCd": [units[i][1] for i in ids],
            "CurrencyId": CURRENCY,
            "Blocked": False,
        },
    )


def base_descriptions(ctx: Context, unit_id: int) -> list[str]:
    """Account descriptions as generated (the bank account is named after the administration's bank)."""
    names = [a.description for a in ACCOUNTS]
    names[acc("1100")] = _BANKS[int(ctx.rng(unit_id, "bank").integers(0, len(_BANKS)))]
    return names


def base_account_modified(ctx: Context, unit_id: int) -> np.ndarray:
    """When each account was last changed before the horizon (µs): set up before the first year,
    a few edited later."""
    rng = ctx.rng(unit_id, "accounts")
    n = len(ACCOUNTS)
    setup = to_us(dt.datetime(ctx.spec.first_year - 1, 12, 1, 8, 0))
    office_hours = rng.integers(0, 27, n) * US_PER_DAY + (rng.uniform(0, 9, n) * 3600e6).astype(np.int64)
    setup_times = setup + office_hours
    edited = rng.random(n) < 0.1
    later = setup_times + (rng.random(n) * (ctx.horizon_us - setup_times)).astype(np.int64)
    return np.where(edited, np.maximum(later, setup_times), setup_times)


def accounts(unit_id: int, descriptions: list[str], modified_us: np.ndarray) -> pl.DataFrame:
    """`Visionplanner_changed_description_general_ledger` rows of one administration."""
    n = len(ACCOUNTS)
    return frames.typed(
        ACCOUNTS_CONNECTOR,
        n,
        {
            "UnitId": unit_id,
            "AccountNo": [a.no for a in ACCOUNTS],
            "Description": descriptions,
            "AccountType": [a.account_type for a in ACCOUNTS],
            "Sort": [a.sort for a in ACCOUNTS],
            "CollectAccount": [a.collect_on is not None for a in ACCOUNTS],
            "Blocked": [a.blocked for a in ACCOUNTS],
            "Modified": frames.datetimes(modified_us),
        },
    ).sort(list(ACCOUNTS_CONNECTOR.key))


def allocation_codes(unit_id: int) -> pl.DataFrame:
    """`Precal_Verbijzonderingscodes` rows of one administration (every axis with its codes)."""
    rows = [(ax.id, ax.description, code, text, blocked) for ax in AXES for code, text, blocked in ax.codes]
    return frames.typed(
        ALLOCATION_CODES,
        len(rows),
        {
            "UnitId": unit_id,
            "DimAx": [r[0] for r in rows],
            "AxDescription": [r[1] for r in rows],
            "DimCode": [r[2] for r in rows],
            "CodeDescription": [r[3] for r in rows],
            "Blocked": [r[4] for r in rows],
        },
    ).sort(list(ALLOCATION_CODES.key))


def changed_entry_dates(unit_id: int, days: np.ndarray, last_us: np.ndarray, touched: dict[int, int]) -> pl.DataFrame:
    """`Profit_Fin_ChangedEntrydate` rows: per booking date the latest change (generated or scenario)."""
    latest = dict(zip(days.tolist(), last_us.tolist()))
    for day, us in touched.items():
        latest[day] = max(us, latest.get(day, us))
    ordered = sorted(latest)
    return frames.typed(
        CHANGED_ENTRY_DATES,
        len(ordered),
        {
            "UnitId": unit_id,
            "EntryDate": frames.dates(np.array(ordered, dtype=np.int32)),
            "Modified": frames.datetimes(np.array([latest[d] for d in ordered], dtype=np.int64)),
        },
    )
