"""Taking turns: an exclusive lock file around every use of a DuckDB file.

`fcntl.flock` locks belong to an open file description, so they exclude other processes *and* other
threads of this process (each acquisition opens the lock file anew). The kernel drops the lock when
its holder dies, so a crashed writer never leaves the warehouse locked. Unix only, like the rest of
the pipeline's file handling.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


def lock_path_for(path: Path) -> Path:
    """The lock file that guards `path`: `<path>.lock` next to it."""
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `<path>.lock` for the duration of the block.

    Blocks until the lock is free: holders keep it only for one short transaction (seconds), and a
    waiting writer has nothing better to do. Creates the parent folder and the lock file if needed.

    Args:
        path: the file being guarded (the lock file sits next to it).
    """
    lock_file = lock_path_for(path)
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
