"""Replacing a file all at once, with the mode asked for, leaving no temporary file behind.

A reader sees the old file or the new one, never half of one: the content goes to a temporary file
in the same folder, which `os.replace` then puts in place. The temporary file is created with the
final mode (0600 for secrets) and set to it explicitly, so neither the umask nor the mode of the
file it replaces decides who may read a secret. A process killed between creating and replacing
(SIGKILL, power loss) cannot clean up after itself, so every write first removes the temporary files
of earlier writes of that file whose process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from pathlib import Path

#: `.<name>.<pid>.<random>.tmp`: hidden, named after the file it becomes and the process writing it
#: (the random part keeps two threads of one process apart).
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.tmp$")

#: A temporary file this old is stale even if a process with its pid runs (the pid was reused):
#: a write takes milliseconds.
STALE_AFTER_S = 600.0


def write_atomically(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data`; with `mode` (e.g. 0o600) the new file has exactly that mode.

    Without `mode` the file gets the usual 0666 minus the umask, like `open(path, "w")`.
    """
    folder = path.parent
    remove_stale_temporaries(folder, path.name)
    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            if mode is not None:
                os.fchmod(fh.fileno(), mode)  # the umask may have taken bits away; this is the mode
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()  # after os.replace it is gone already; after an error it must not stay


def remove_stale_temporaries(folder: Path, name: str | None = None, *, legacy: tuple[str, ...] = ()) -> list[Path]:
    """Remove temporary files left in `folder` by writes (of `name` only, when given) that were killed.

    Args:
        legacy: further exact file names that earlier versions used as temporary files here.

    Returns:
        the files removed.
    """
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:  # no folder yet, or not ours to read
        return removed
    for entry in entries:
        m = _TEMPORARY.match(entry.name)
        ours = m is not None and (name is None or m.group("name") == name) and _is_stale(entry, int(m.group("pid")))
        if ours or entry.name in legacy:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _is_stale(entry: os.DirEntry, pid: int) -> bool:
    try:
        age = time.time() - entry.stat(follow_symlinks=False).st_mtime
    except OSError:
        return False
    if age > STALE_AFTER_S:
        return True
    if pid == os.getpid():
        return False  # another thread of this process may be writing it right now
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # the process exists (another user's)
    return False
