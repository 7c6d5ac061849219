"""A slice validated and staged window by window, while AFAS answers the next window.

`afas.paging` reads a large slice in windows of about 100,000 rows that never share a value of the
field they restart on (for booking lines the entry number). When every rule of the connector's
contract and warnings holds per window (`schemas.checks_per_part`: each rule over groups of rows
groups by that field), checking the windows one by one is checking the slice, so each window is
validated the moment it arrives, on a thread of its own, and the download goes on meanwhile. The
first window stays in memory (most slices have only one, and they are written exactly as before);
from the second on, the windows are staged in local Parquet files (`warehouse.staging`), so a slice
of a million lines never sits in memory whole.

Nothing of this writes the lake: the caller writes the rows in one transaction when every window
passed, as for a slice read whole. A window that breaks the contract stops the download.
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import Future, ThreadPoolExecutor

import polars as pl

from catalog import Connector
from catalog.slices import Slice
from schemas import SoftCheckResult, Validation, combine_soft_checks, soft_checks, validate
from warehouse.staging import StagedRows


class WindowRejected(Exception):
    """A window broke the contract; `validation` is that window's, `rows_before` the slice's rows before it."""

    def __init__(self, validation: Validation, rows_before: int):
        super().__init__(validation.summary)
        self.validation = validation
        self.rows_before = rows_before


class WindowedSlice:
    """Takes a slice's windows (`add`, the client's `on_window`) and gives its rows (`finish`).

    Args:
        connector: the connector read.
        spec: the slice read.
        snapshot_date: the snapshot date of a snapshot connector's rows (its slice columns).
    """

    def __init__(self, connector: Connector, spec: Slice, snapshot_date=None):
        self.connector = connector
        self._slice_columns = spec.columns(connector, snapshot_date)
        # One window in the works at a time: the pager waits for it before handing over the next,
        # so memory holds at most the window being checked and the one being read.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="afas-window")
        self._pending: Future[None] | None = None
        self._kept: pl.DataFrame | None = None
        self._staged: StagedRows | None = None
        self._first: Validation | None = None
        self._soft: list[list[SoftCheckResult]] = []
        self.rows = 0
        self.validate_seconds = 0.0  # spent validating and staging, mostly while AFAS was read

    def add(self, window: pl.DataFrame) -> None:
        """Hand over the next window (client frame, AFAS field ids).

        Raises:
            WindowRejected: an earlier window broke the contract (stops the paging).
            schemas.MissingFieldError: AFAS lacks a required field.
        """
        self._wait()
        self._pending = self._worker.submit(self._take, window)

    def finish(self) -> tuple[pl.DataFrame | StagedRows, Validation, list[SoftCheckResult]]:
        """The slice's rows (a frame, or staged when there were several windows), the first window's
        validation (extra and missing fields; without its frame) and the slice's soft checks.

        Raises: as `add`, for the last window.
        """
        self._wait()
        self._worker.shutdown()
        if self._first is None:
            raise RuntimeError("no window was read")  # the pager hands over at least one, maybe empty
        rows = self._staged if self._staged is not None else self._kept
        return rows, self._first, combine_soft_checks(self._soft)

    def discard(self) -> None:
        """Drop what was staged (the slice failed, or was not written)."""
        self._worker.shutdown(wait=True, cancel_futures=True)
        if self._staged is not None:
            self._staged.close()

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def _take(self, window: pl.DataFrame) -> None:
        started = time.perf_counter()
        validation = validate(self.connector, window)
        if not validation.ok:
            raise WindowRejected(validation, self.rows)
        frame = validation.frame
        self._soft.append(soft_checks(self.connector, frame))
        if self._first is None:
            # Keep what the first window says of the fields, not its rows (they may be staged soon).
            self._first, self._kept = dataclasses.replace(validation, frame=None), frame
        else:
            if self._staged is None:
                self._staged = StagedRows(self.connector, self._slice_columns)
                self._staged.add(self._kept)
                self._kept = None
            self._staged.add(frame)
        self.rows += frame.height
        self.validate_seconds += time.perf_counter() - started
