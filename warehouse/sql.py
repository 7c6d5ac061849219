"""Quoting for the few places where names and texts must be spliced into SQL (DDL, COMMENT, paths)."""

from __future__ import annotations

import re

_SNAKE = re.compile(r"^[a-z_][a-z0-9_]*$")


def ident(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def check_column_name(name: str) -> None:
    """Reject column names that are not snake_case (callers snake_case AFAS field ids first).

    Raises:
        ValueError: `name` is not lowercase letters, digits and underscores.
    """
    if not _SNAKE.match(name):
        raise ValueError(f"column {name!r} is not snake_case; rename new AFAS fields before writing them")
