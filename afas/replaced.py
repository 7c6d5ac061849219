"""AFAS's `(replaced)` in unlinked fields: found in a page's bytes, emptied in typed fields, counted.

AFAS sends the literal string `"(replaced)"` in unlinked fields whatever their dataType [S], so a
decimal, int, date or boolean field can hold a JSON string where a number, date or boolean belongs.
`ReplacedCells.strip` runs on the answer's bytes before either parser (`afas.frames`' fast and exact
paths) sees them: in typed fields the cell becomes `null`, never 0 and never a parse failure; in
text fields the text is kept, since it is what AFAS shows its users. Both are counted per field.

Finding the cells on the bytes is exact: inside a JSON string every `"` is escaped, so `{` or `,`,
then `"F"`, `:` and `"(replaced)"` can only be field F's value.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from catalog import REPLACED

_LITERAL = b'"' + REPLACED.encode() + b'"'


class ReplacedCells:
    """Finds `(replaced)` cells of a connector's fields in a GetConnector answer.

    Args:
        emptied: field ids whose `(replaced)` becomes null (fields that hold numbers, dates, booleans).
        kept: field ids whose `(replaced)` stays as text.
    """

    def __init__(self, emptied: Iterable[str], kept: Iterable[str]):
        self._emptied = frozenset(emptied)
        ids = sorted(self._emptied | frozenset(kept))
        self._pattern = (
            re.compile(
                rb'([{,]\s*"(' + b"|".join(re.escape(i.encode()) for i in ids) + rb')"\s*:\s*)' + re.escape(_LITERAL)
            )
            if ids
            else None
        )

    def strip(self, body: bytes) -> tuple[bytes, dict[str, int]]:
        """The answer with `(replaced)` emptied in typed fields, and the cells found per field id.

        An answer without the literal anywhere (nearly all of them) is returned as it is after one
        byte search.
        """
        if self._pattern is None or _LITERAL not in body:
            return body, {}
        found: Counter[str] = Counter()

        def empty_typed(m: re.Match[bytes]) -> bytes:
            field_id = m.group(2).decode()
            found[field_id] += 1
            return m.group(1) + b"null" if field_id in self._emptied else m.group(0)

        return self._pattern.sub(empty_typed, body), dict(found)
