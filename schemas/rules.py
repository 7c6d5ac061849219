"""Row and frame rules, written once as Polars expressions over warehouse columns.

A `Rule` is a per-row boolean expression: `True` passes, `False` fails, and `null` means the rule
does not apply to that row (a datetime rule on a row without datetimes). Frame-level rules are
still per-row expressions, using window functions (`over`) so that every row of an unbalanced
entry or a duplicated key fails: the same expression then serves Pandera (hard rules), the soft
checks, the failure counts and the samples, without any per-row Python.

Example:
    >>> import polars as pl
    >>> rule = in_range("period_range", "period", 0, 13, "period is 0..13")
    >>> pl.DataFrame({"period": [0, 14, None]}).select(rule.passes)["period"].to_list()
    [True, False, None]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

#: An explanation: (frame, at most this many items) → human-readable lines for the summary.
Explain = Callable[[pl.DataFrame, int], list[str]]


@dataclass(frozen=True, eq=False)  # eq=False: comparing polars expressions builds expressions
class Rule:
    """One named rule.

    Attributes:
        name: stable identifier, letters, digits and underscores (valid as a Dagster check name).
        description: one line for people: what holds when the rule passes.
        columns: the warehouse columns the rule reads; failure cases and samples show these.
        passes: per-row boolean expression; `null` means "does not apply" and counts as a pass.
        explain: optional override for the summary lines of a failed rule (default: the failing
            rows' `columns`).
        groups_by: for a rule over groups of rows (a key, an entry), the columns that make a group;
            `None` for a rule each row passes or fails on its own. A slice checked in parts gives the
            same outcome as checked whole when every group lies within one part.
    """

    name: str
    description: str
    columns: tuple[str, ...]
    passes: pl.Expr
    explain: Explain | None = None
    groups_by: tuple[str, ...] | None = None

    def holds_per_part(self, split_column: str) -> bool:
        """Whether checking parts separately equals checking them together, for parts that never
        share a value of `split_column`."""
        return self.groups_by is None or split_column in self.groups_by

    def failures(self) -> pl.Expr:
        """Per-row `True` where the rule fails (nulls, i.e. "does not apply", are not failures)."""
        return self.passes.not_().fill_null(False)

    def describe_failures(self, frame: pl.DataFrame, limit: int = 3) -> list[str]:
        """Up to `limit` lines naming failing rows or groups, for a summary people read."""
        if self.explain is not None:
            return self.explain(frame, limit)
        rows = frame.filter(self.failures()).select(self.columns).head(limit)
        return [_pairs(row) for row in rows.iter_rows(named=True)]


def in_range(name: str, column: str, low: int, high: int, description: str) -> Rule:
    """`low <= column <= high`."""
    return Rule(name, description, (column,), pl.col(column).is_between(low, high))


def key_unique(columns: Sequence[str]) -> Rule:
    """No two rows share the key. Nulls compare equal: an absent allocation axis is a value."""
    cols = tuple(columns)

    def explain(frame: pl.DataFrame, limit: int) -> list[str]:
        dupes = frame.group_by(cols).len().filter(pl.col("len") > 1).sort(cols, nulls_last=True)
        return [
            f"key {_pairs({c: row[c] for c in cols})} occurs {row['len']} times"
            for row in dupes.head(limit).iter_rows(named=True)
        ]

    return Rule(
        "key_unique",
        f"the key ({', '.join(cols)}) identifies one row within the slice",
        cols,
        pl.struct(cols).is_duplicated().not_(),
        explain,
        groups_by=cols,
    )


def entry_balanced(administration: str, entry: str, debit: str, credit: str, *, allocated: bool) -> Rule:
    """Σ debit = Σ credit per journal entry (administration, entry)."""
    group = (administration, entry)
    passes = pl.col(debit).sum().over(group) == pl.col(credit).sum().over(group)
    description = "every journal entry's debits add up to its credits"
    if allocated:
        description += " (over all allocation splits, so the splits add up to the lines)"

    def explain(frame: pl.DataFrame, limit: int) -> list[str]:
        sums = (
            frame.group_by(group)
            .agg(pl.col(debit).sum().alias("debit"), pl.col(credit).sum().alias("credit"))
            .filter(pl.col("debit") != pl.col("credit"))
            .sort(group)
        )
        lines = [
            f"entry {row[entry]} of administration {row[administration]} does not balance: "
            f"debit {row['debit']}, credit {row['credit']}"
            for row in sums.head(limit).iter_rows(named=True)
        ]
        if sums.height > limit:
            lines.append(f"{sums.height - limit} more unbalanced entries")
        return lines

    return Rule("entry_balanced", description, (administration, entry, debit, credit), passes, explain, groups_by=group)


def balanced_per(name: str, group: Sequence[str], debit: str, credit: str, description: str) -> Rule:
    """Σ debit = Σ credit per group (e.g. all accounts of one period)."""
    g = tuple(group)
    passes = pl.col(debit).sum().over(g) == pl.col(credit).sum().over(g)
    return Rule(name, description, (*g, debit, credit), passes, groups_by=g)


def text_present(name: str, column: str, description: str, *, key: Sequence[str] = ()) -> Rule:
    """`column` holds something other than whitespace; `key` columns are shown with failures."""
    value = pl.col(column)
    passes = value.is_not_null() & (value.str.strip_chars().str.len_chars() > 0)
    return Rule(name, description, (*key, column), passes)


def present_when(name: str, column: str, when: str, description: str, *, key: Sequence[str] = ()) -> Rule:
    """Where `when` holds a value, `column` holds non-blank text too."""
    value = pl.col(column)
    filled = value.is_not_null() & (value.str.strip_chars().str.len_chars() > 0)
    passes = pl.when(pl.col(when).is_not_null()).then(filled)
    return Rule(name, description, (*key, when, column), passes)


def not_before(name: str, later: str, earlier: str, description: str, *, key: Sequence[str] = ()) -> Rule:
    """`later >= earlier` where both are known."""
    return Rule(name, description, (*key, earlier, later), pl.col(later) >= pl.col(earlier))


def one_sided(debit: str, credit: str, *, key: Sequence[str] = ()) -> Rule:
    """Exactly one of the two amounts is non-zero."""
    return Rule(
        "line_one_sided",
        f"exactly one of {debit} and {credit} is non-zero on each line",
        (*key, debit, credit),
        (pl.col(debit) != 0) ^ (pl.col(credit) != 0),
    )


def not_negative(columns: Sequence[str], *, key: Sequence[str] = ()) -> Rule:
    """None of `columns` is below zero."""
    cols = tuple(columns)
    return Rule(
        "amounts_not_negative",
        f"{' and '.join(cols)} are never negative (a correction is booked on the other side)",
        (*key, *cols),
        pl.all_horizontal(pl.col(c) >= 0 for c in cols),
    )


def within_years(name: str, date: str, year: str, slack: int, description: str, *, key: Sequence[str] = ()) -> Rule:
    """The calendar year of `date` lies within `year` ± `slack` (fiscal years need not be calendar years)."""
    passes = pl.col(date).dt.year().cast(pl.Int64).is_between(pl.col(year) - slack, pl.col(year) + slack)
    return Rule(name, description, (*key, year, date), passes)


def abs_not_above(name: str, smaller: str, larger: str, description: str, *, key: Sequence[str] = ()) -> Rule:
    """`|smaller| <= |larger|`."""
    return Rule(name, description, (*key, smaller, larger), pl.col(smaller).abs() <= pl.col(larger).abs())


def not_both_zero(name: str, a: str, b: str, description: str, *, key: Sequence[str] = ()) -> Rule:
    """At least one of two amounts is non-zero."""
    return Rule(name, description, (*key, a, b), (pl.col(a) != 0) | (pl.col(b) != 0))


def nonzero(name: str, column: str, description: str, *, key: Sequence[str] = ()) -> Rule:
    """`column` is not zero."""
    return Rule(name, description, (*key, column), pl.col(column) != 0)


def _pairs(values: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())
