"""Frames as Markdown tables: how the Dagster UI shows rows (failure cases, differences) readably."""

from __future__ import annotations

import polars as pl


def table_markdown(frame: pl.DataFrame) -> str:
    """The frame as a Markdown table ("(none)" when it has no rows); `|` in values is escaped."""
    if frame.height == 0:
        return "(none)"
    cols = frame.columns
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.iter_rows():
        lines.append("| " + " | ".join("" if v is None else str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines)
