"""`StagedRows`: a slice too large to hold in memory, kept as local Parquet files until it is written.

A slice of a million booking lines is read from AFAS in windows of about 100,000 rows. Held as one
frame it costs the process hundreds of MiB (the frame, its concatenation, the Arrow copy DuckDB
scans); staged, each window is written to a Parquet file of its own as soon as it is read and
validated — while AFAS answers the next window — and the lake's transaction inserts from those
files, which DuckDB scans in a streaming way. Memory then grows with the window, not with the slice.

The files live in a temporary folder of this machine (`TMPDIR`), never in the lake's data path: they
are no part of the lake until its transaction has copied them, and are deleted with `close()` (or
when the object is collected), whether the write happened or not.

Every window is checked against the slice it will replace when it is added (the same check
`Warehouse.replace_slices` makes on a frame), so a staged slice needs no second look at its rows.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from catalog import Connector
from warehouse.slices import check_frame_in_slice

#: Staged files are read back once, on the same machine: fast to write beats small.
_COMPRESSION = "lz4"


class StagedRows:
    """Rows of one slice in local Parquet files, added window by window.

    Args:
        connector: the connector whose slice these rows are.
        slice: the slice's columns and values (as given to `Warehouse.replace_slices`).
    """

    def __init__(self, connector: Connector, slice: Mapping[str, object]):
        self.connector = connector
        self.slice = dict(slice)
        self._folder = tempfile.TemporaryDirectory(prefix="afas-staged-")
        self._files: list[Path] = []
        self._schema: pl.Schema | None = None
        self._lock = threading.Lock()
        self.height = 0

    def add(self, frame: pl.DataFrame) -> None:
        """Stage one window of the slice (columns and types as every other window's).

        Raises:
            ValueError: rows outside the slice, or columns unlike the windows before.
        """
        check_frame_in_slice(self.connector, self.slice, frame)
        with self._lock:
            if self._schema is None:
                self._schema = frame.schema
            elif frame.schema != self._schema:
                raise ValueError(f"a window of {self.connector.table} has other columns than the windows before it")
            path = Path(self._folder.name) / f"window-{len(self._files):05d}.parquet"
            self._files.append(path)
        frame.write_parquet(path, compression=_COMPRESSION, statistics=False)
        with self._lock:
            self.height += frame.height

    @property
    def columns(self) -> list[str]:
        return list(self._schema or {})

    @property
    def files(self) -> list[str]:
        return [str(p) for p in self._files]

    def close(self) -> None:
        """Delete the staged files."""
        self._folder.cleanup()

    def __enter__(self) -> "StagedRows":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
