"""Atomic file writes: a reader never sees half a file, a crash never leaves one."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

# O_EXCL: never reuse someone else's file; the 0o666 mode goes through the umask, so the
# result has the permissions any new file of the user's would (mkstemp's are 0600).
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def _temp_beside(target: Path) -> tuple[int, Path]:
    """A new temp file in the target's folder (same file system, so the rename is atomic)."""
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
        with contextlib.suppress(FileExistsError):
            return os.open(tmp, _FLAGS, 0o666), tmp


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to a temp file beside ``path``, then rename it over ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_beside(target)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target
