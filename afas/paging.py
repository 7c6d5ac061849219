"""Reading every row of one slice: ordered pages, fetched concurrently, never deep.

Rules (afas-rest-api.md §4):
- Pages are ordered on the connector's unique key; without it AFAS may return rows twice or never.
- `take` is explicit (AFAS defaults to 100) and sized by the 150,000-cells rule.
- A page shorter than `take` is the last one; AFAS gives no total.
- `skip` stays below `max_skip` (100,000): when a window of that many rows is full, the next
  window starts at the last key value seen (`field >= value`, dropping that value's rows from the
  window before), so paging restarts at skip 0 instead of going deep.
- Pages of a window are fetched concurrently; the environment's in-flight cap (limits.py) holds.
- A page AFAS cannot build ("Out of memory") is fetched as two halves.
- A caller may take the rows window by window (`on_window`) instead of as one frame: windows that
  restart on the key never share a value of that field (a value that fills a whole window is held
  back until the window that ends it), so a window can be validated and staged on its own while
  AFAS answers the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

from afas.errors import OutOfMemoryError
from afas.filters import Condition, Filter, Op

log = logging.getLogger("afas")

PageFetcher = Callable[[Filter | None, int, int], pl.DataFrame]
"""Fetches one page: (filter, skip, take) → typed rows."""

WindowSink = Callable[[pl.DataFrame], None]
"""Takes the rows of one window, in order; what it raises stops the paging."""


@dataclass
class SliceResult:
    """All rows of a slice (none when they went to an `on_window` sink) and what it took to get them."""

    frame: pl.DataFrame
    pages: int


def fixed_fields(f: Filter | None) -> set[str]:
    """Fields pinned to one value by equality in every OR group."""
    if f is None or f.is_empty:
        return set()
    per_group = []
    for g in f.groups:
        per_group.append({(c.field, c.value_text()) for c in g if c.op is Op.EQ})
    common = set.intersection(*per_group) if per_group else set()
    return {field for field, _ in common}


class SlicePager:
    """Pages through one slice.

    Args:
        fetch_page: does one call.
        base_filter: the slice's filter.
        take: rows per page.
        max_skip: rows per window before restarting from the last key (rounded down to whole pages).
        resume_field: an integer sort field to restart windows on, or None to page deep instead.
        pool: executes page fetches; the caller owns it.
        parallel: pages requested ahead at once (the environment's cap limits actual calls).
        on_window: takes each window's rows as soon as they are final, instead of one frame at the
            end; with a `resume_field`, no two windows share a value of it.
    """

    def __init__(
        self,
        fetch_page: PageFetcher,
        base_filter: Filter | None,
        *,
        take: int,
        max_skip: int,
        resume_field: str | None,
        pool: ThreadPoolExecutor,
        parallel: int,
        on_window: WindowSink | None = None,
    ):
        self._fetch = fetch_page
        self._on_window = on_window
        self._base = base_filter
        self._take = take
        self._pages_per_window = max(1, max_skip // take)
        self._resume = resume_field
        self._pool = pool
        self._parallel = max(1, parallel)
        self.pages = 0

    def run(self) -> SliceResult:
        parts: list[pl.DataFrame] = []
        held: list[pl.DataFrame] = []  # rows of one key value that filled whole windows, not yet ended

        def emit(frames: list[pl.DataFrame]) -> None:
            frames = [f for f in frames if f.height] or frames[:1]
            if not frames:
                return
            window = frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")
            if self._on_window is None:
                parts.append(window)
            else:
                self._on_window(window)

        window_filter = self._base
        skip0 = 0
        while True:
            frames, full = self._window(window_filter, skip0)
            window = pl.concat(frames, how="vertical") if frames else None
            if not full or window is None or window.height == 0:
                emit([*held, window] if window is not None else held)
                break
            if self._resume is None:
                # No integer key to restart on: keep paging deep (slower on AFAS, still correct).
                emit([window])
                skip0 += window.height
                continue
            last = window[self._resume][-1]
            keep = window.filter(pl.col(self._resume) != last)
            if keep.height == 0:
                # One key value fills a whole window; continue deep within it.
                held.append(window)
                skip0 += window.height
                continue
            emit([*held, keep])
            held = []
            restart = Filter.where(Condition(self._resume, Op.GE, last))
            window_filter = restart if self._base is None else self._base.and_(restart)
            skip0 = 0
        frame = pl.concat(parts, how="vertical") if parts else None
        return SliceResult(frame if frame is not None else pl.DataFrame(), self.pages)

    def _window(self, f: Filter | None, skip0: int) -> tuple[list[pl.DataFrame], bool]:
        """Pages of one window in order, and whether every page of it was full."""
        first = self._page(f, skip0)
        if first.height < self._take or self._pages_per_window == 1:
            return [first], first.height >= self._take
        results: dict[int, pl.DataFrame] = {0: first}
        futures: dict[int, Future[pl.DataFrame]] = {}
        next_index = 1
        end: int | None = None  # index of the first short page
        while True:
            while (
                next_index < self._pages_per_window
                and (end is None or next_index < end)
                and len(futures) < self._parallel
            ):
                futures[next_index] = self._pool.submit(self._page, f, skip0 + next_index * self._take)
                next_index += 1
            if not futures:
                break
            index = min(futures)
            results[index] = futures.pop(index).result()
            if results[index].height < self._take and (end is None or index < end):
                end = index
                for i in [i for i in futures if i > end]:
                    futures.pop(i).cancel()
        last = end if end is not None else self._pages_per_window - 1
        ordered = [results[i] for i in range(last + 1)]
        return ordered, end is None

    def _page(self, f: Filter | None, skip: int, take: int | None = None) -> pl.DataFrame:
        take = take or self._take
        try:
            page = self._fetch(f, skip, take)
            self.pages += 1
            return page
        except OutOfMemoryError as exc:
            if take <= 1:
                # Halving ends here; "fewer rows per page" would send the user the wrong way.
                raise OutOfMemoryError.even_one_row(exc) from None
            half = take // 2
            log.warning("AFAS ran out of memory for %d rows at skip %d; fetching two pages of %d", take, skip, half)
            head = self._page(f, skip, half)
            if head.height < half:
                return head
            tail = self._page(f, skip + half, take - half)
            return pl.concat([head, tail], how="vertical")
