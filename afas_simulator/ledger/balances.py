"""Period values (`Visionplanner_periodvalues`): movements, running balance and budget per account.

A row exists for every (account, cost centre, cost unit) that has movements in the period. Debit
and Credit are the period's totals from the allocated transactions; Balance is Debit − Credit
accumulated over the fiscal year up to and including the period (period 0 included); Budget is a
deterministic plan figure for profit-and-loss accounts (costs positive, revenue negative, as
Debit − Credit would show them) and null for balance-sheet accounts.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from catalog import PERIOD_VALUES

from . import frames
from .chart import ACCOUNT_NOS, CENTRE_CODES, IS_PROFIT_LOSS, IS_REVENUE, UNIT_CODES
from .periods import OPENING_PERIOD, period_count

KEY = ["account", "dim1", "dim2"]


def cumulate(sums: list[pl.DataFrame]) -> pl.DataFrame:
    """Debit − Credit per key over several periods' sums (columns account, dim1, dim2, balance)."""
    parts = [s for s in sums if s.height]
    if not parts:
        return frames.EMPTY_SUMS.select(*KEY, balance=pl.lit(0, pl.Int64))
    return (
        pl.concat(parts)
        .group_by(KEY)
        .agg((pl.col("debit") - pl.col("credit")).sum().alias("balance"))
    )


def budget_cents(
    rng: np.random.Generator,
    period: int,
    four_weekly: bool,
    account: np.ndarray,
    dim1: np.ndarray,
    dim2: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Whole-euro budgets per key and where they apply (profit-and-loss accounts, regular periods).

    Args:
        rng: the administration-year's budget stream (the same for every period of the year).
        period: the period (0 has no budget); four_weekly: 13 periods instead of 12.
        account, dim1, dim2: key positions (−1 for no cost centre / cost unit).
    """
    n_acc = IS_PROFIT_LOSS.shape[0]
    monthly = 100 * np.round(np.exp(rng.normal(np.log(3_000), 0.7, n_acc)))
    monthly = np.where(IS_REVENUE, 5 * monthly, monthly)
    centre = rng.dirichlet(np.full(len(CENTRE_CODES), 4.0))
    unit = rng.dirichlet(np.full(len(UNIT_CODES), 4.0))
    season = 1 + 0.15 * np.sin(np.arange(14) / period_count(four_weekly) * 2 * np.pi + rng.uniform(0, 6.28))
    scale = 12 / period_count(four_weekly)
    share = np.where(dim1 >= 0, centre[np.maximum(dim1, 0)], 1.0) * np.where(dim2 >= 0, unit[np.maximum(dim2, 0)], 1.0)
    euros = np.round(monthly[account] / 100 * season[period] * scale * share)
    cents = (100 * euros).astype(np.int64)
    cents = np.where(IS_REVENUE[account], -cents, cents)
    valid = IS_PROFIT_LOSS[account] & (period != OPENING_PERIOD)
    return cents, valid


def period_values(
    unit_id: int,
    year: int,
    period: int,
    sums: pl.DataFrame,
    balance: pl.DataFrame,
    descriptions: list[str],
    budget_rng: np.random.Generator,
    four_weekly: bool,
) -> pl.DataFrame:
    """The period-value rows of one slice, in key order.

    Args:
        sums: this period's debit/credit cents per key (`frames.period_sums`).
        balance: Debit − Credit per key accumulated over periods 0..period of the year.
        descriptions: current account descriptions, by account position.
        budget_rng: see `budget_cents`.
    """
    if sums.height == 0:
        return frames.empty(PERIOD_VALUES)
    df = sums.join(balance, on=KEY, how="left")
    account = df["account"].to_numpy()
    dim1 = df["dim1"].to_numpy()
    dim2 = df["dim2"].to_numpy()
    budget, has_budget = budget_cents(budget_rng, period, four_weekly, account, dim1, dim2)
    out = frames.typed(
        PERIOD_VALUES,
        df.height,
        {
            "UnitId": unit_id,
            "Year": year,
            "Period": period,
            "AccountNr": frames.lookup(ACCOUNT_NOS, account),
            "AccountDesc": frames.lookup(descriptions, account),
            "Debit": frames.money(df["debit"].to_numpy()),
            "Credit": frames.money(df["credit"].to_numpy()),
            "Balance": frames.money(df["balance"].fill_null(0).to_numpy()),
            "Budget": frames.money(budget, has_budget),
            "DimAx1": frames.lookup(CENTRE_CODES, dim1),
            "DimAx2": frames.lookup(UNIT_CODES, dim2),
        },
    )
    return out.sort(list(PERIOD_VALUES.key))
