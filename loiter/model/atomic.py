"""Atomic file writes: a reader never sees half a file, a crash never leaves one.

Only a regular file (or a new one) is replaced by a rename. What is not a file is
never renamed over: a terminal, ``/dev/null`` or a FIFO is written in place, and
``/dev/stdout`` (any ``/dev/fd/N``) is our own open descriptor, written where it
stands; a folder, a socket or a disk is refused. :func:`output_problem` says so
before a command runs, so a long run never fails at the end on its output path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

# O_EXCL: never reuse someone else's file; the 0o666 mode goes through the umask, so the
# result has the permissions any new file of the user's would (mkstemp's are 0600).
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
# In place: never create, never truncate a device, never wait for a FIFO's reader, never
# make a terminal ours.
_IN_PLACE = os.O_WRONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_TEMP_EXTRA = len(".." + "0" * 8 + ".tmp")  # what the temp name adds to the target's
_FD_FOLDER = re.compile(r"/proc/(\d+)/fd")
_held: dict[str, int] = {}  # FIFOs opened by output_problem, by real path, until written
_REFUSED = {
    stat.S_IFDIR: "is a folder, not a file",
    stat.S_IFSOCK: "is a socket, not a file",
    stat.S_IFBLK: "is a block device (a disk), not a file",
}


def write_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to a temp file beside ``path``, then rename it over ``path``;
    a device, FIFO or our own descriptor is written in place instead (see the module)."""
    target = Path(path)
    fd = own_descriptor(target)
    if fd is not None:
        _flush_python_streams()  # what print() buffered comes first
        _write_all(fd, data)
        return target
    mode = _mode(target)
    if mode is not None and not stat.S_ISREG(mode):
        _write_in_place(target, mode, data)
        return target
    with replacing(target) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return target


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A new empty file beside ``path`` for a writer that needs a name (ffmpeg); renamed over
    ``path`` when the block succeeds, removed when it fails. A symlink's file is replaced,
    not the link. Only for regular (or new) files: anything else raises OSError."""
    target = Path(os.path.realpath(path))
    mode = _mode(target)
    if mode is not None and not stat.S_ISREG(mode):
        raise OSError(errno.EINVAL, _kind_problem(mode) or "is not a regular file", str(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_beside(target)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def output_problem(path: str | os.PathLike[str]) -> str | None:
    """Why ``path`` cannot take an output, in a few words, or None: checked before a run.

    Creates nothing; whether a new file's folder can be written is the caller's
    check (it may have to be created first).
    """
    target = Path(path)
    fd = own_descriptor(target)
    if fd is not None:
        return _descriptor_problem(fd)
    try:
        mode = _mode(target)
    except OSError as exc:  # e.g. a folder on the way that we may not enter
        return f"cannot be reached ({exc.strerror})"
    if mode is not None and not stat.S_ISREG(mode):
        problem = _kind_problem(mode)
        if problem is None and not os.access(target, os.W_OK):
            return "cannot be written (Permission denied)"
        if problem is None and stat.S_ISFIFO(mode):
            return _hold_reader(target)
        return problem
    real = Path(os.path.realpath(target))
    most = _name_max(real.parent)
    size = len(os.fsencode(real.name))
    if size > most:
        return f"the file name is {size} bytes long; this file system allows {most}"
    longest = _path_max(real.parent)
    if len(os.fsencode(str(real))) >= longest:
        return f"the path is longer than this file system allows ({longest - 1} bytes)"
    return None


def in_place(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is written where it stands (a device, a FIFO, our descriptor):
    it has no folder to check and no file beside it to make."""
    target = Path(path)
    if own_descriptor(target) is not None:
        return True
    mode = _mode(target)
    return mode is not None and not stat.S_ISREG(mode)


def own_descriptor(path: Path) -> int | None:
    """The descriptor number when ``path`` leads through this process's ``/proc/PID/fd``
    (``/dev/stdout``, ``/dev/fd/1``): written as the descriptor, at its own offset; re-opened
    it would be a pipe's garbage name or a file rewritten from its start."""
    current = os.path.abspath(path)
    for _ in range(40):  # the kernel's own limit on a chain of links
        folder, name = os.path.split(current)
        match = _FD_FOLDER.fullmatch(os.path.realpath(folder))
        if match and int(match[1]) == os.getpid() and name.isdigit():
            return int(name)
        if not os.path.islink(current):
            return None
        current = os.path.join(folder, os.readlink(current))
    return None


def _descriptor_problem(fd: int) -> str | None:
    import fcntl

    try:
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError:
        return f"descriptor {fd} is not open"
    if flags & os.O_ACCMODE not in (os.O_WRONLY, os.O_RDWR):
        return f"descriptor {fd} is not open for writing"
    return None


def _mode(path: Path) -> int | None:
    """The file type of what ``path`` leads to (links followed), None when nothing is there."""
    try:
        return os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:  # nothing can be there; the name check says why
            return None
        raise


def _kind_problem(mode: int) -> str | None:
    """Why a file of this type is refused; None for those written in place."""
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return None
    return _REFUSED.get(stat.S_IFMT(mode), "is not a regular file")


def _hold_reader(fifo: Path) -> str | None:
    """A FIFO is checked by opening it: that fails at once without a reader, and the
    descriptor is kept for the write, since closing it would tell the reader "end of file"."""
    key = os.path.realpath(fifo)
    try:
        if key not in _held:
            _held[key] = _open_in_place(fifo, stat.S_IFIFO)
    except OSError as exc:
        return exc.strerror
    return None


def _open_in_place(target: Path, mode: int) -> int:
    try:
        return os.open(target, _IN_PLACE)
    except OSError as exc:
        if exc.errno == errno.ENXIO and stat.S_ISFIFO(mode):
            why = "no process is reading this FIFO (start its reader first)"
            raise OSError(exc.errno, why, str(target)) from None
        raise


def _write_in_place(target: Path, mode: int, data: bytes) -> None:
    problem = _kind_problem(mode)
    if problem is not None:
        raise OSError(errno.EINVAL, problem, str(target))
    fd = _held.pop(os.path.realpath(target), None)
    if fd is None:
        fd = _open_in_place(target, mode)
    try:
        os.set_blocking(fd, True)
        _write_all(fd, data)
    finally:
        os.close(fd)


def _flush_python_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            stream.flush()


def _write_all(fd: int, data: bytes) -> None:
    """All of ``data`` (a pipe or terminal takes it in parts)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _temp_beside(target: Path) -> tuple[int, Path]:
    """A new temp file in the target's folder (same file system, so the rename is atomic),
    its name cut so it fits the folder's longest name even when the target's does."""
    room = _name_max(target.parent) - _TEMP_EXTRA
    base = os.fsencode(target.name)
    if len(base) > room:
        cut = room
        while cut > 0 and base[cut] & 0xC0 == 0x80:  # not inside a UTF-8 character
            cut -= 1
        base = base[:cut]
    stem = os.fsdecode(base)
    while True:
        tmp = target.parent / f".{stem}.{secrets.token_hex(4)}.tmp"
        with contextlib.suppress(FileExistsError):
            return os.open(tmp, _FLAGS, 0o666), tmp


def _name_max(folder: Path) -> int:
    return _pathconf(folder, "PC_NAME_MAX", 255)


def _path_max(folder: Path) -> int:
    return _pathconf(folder, "PC_PATH_MAX", 4096)


def _pathconf(folder: Path, name: str, default: int) -> int:
    """The limit of the file system the folder is (or will be) on: its nearest existing one."""
    for place in (folder, *folder.parents):
        try:
            value = os.pathconf(place, name)
        except (OSError, ValueError, AttributeError):
            continue
        return value if value > 0 else default
    return default
