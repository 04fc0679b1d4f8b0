"""Open files only when they really lie inside a folder, whatever links the path goes through.

An experiment's outputs folder is writable by its trial (and, on a shared volume, by others): a
link planted there (``leak.dat -> /etc/shadow``, or a linked directory ``etcdir -> /etc`` used as
``checkpoints: ["etcdir/hostname"]``) must never carry a file from outside into a package. The
check is made on the *opened* file (its real path read back from the descriptor), so swapping a
link between the check and the copy does not help either.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class Escapes(Exception):
    """A path leaves its folder through a link, or is not a regular file (internal to packaging;
    callers turn it into a skipped entry or a :class:`~jupyter_mlpipe.errors.PackageError`)."""


def real(path: str | os.PathLike[str]) -> Path:
    """``path`` with every link resolved (missing trailing parts kept as they are)."""
    return Path(os.path.realpath(path))


def is_inside(path: str | os.PathLike[str], root: str | os.PathLike[str]) -> bool:
    """Whether ``path``, links resolved, is ``root`` (links resolved) or lies below it."""
    target, base = real(path), real(root)
    return target == base or base in target.parents


def check_inside(path: Path, root: Path) -> None:
    """Raise :class:`Escapes` unless ``path`` resolves to a regular file inside ``root``."""
    if not is_inside(path, root):
        raise Escapes(f"{path} leads to {real(path)}, outside {real(root)}")
    if not real(path).is_file():
        raise Escapes(f"{path} is not a regular file")


def _opened_path(fd: int, path: Path) -> Path | None:
    """The real path of the file open on ``fd``, or None when it cannot be told safely."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:  # no /proc: resolve the name and make sure it names the opened inode
        resolved = real(path)
        try:
            named, opened = os.stat(resolved), os.fstat(fd)
        except OSError:
            return None
        same = (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)
        return resolved if same else None


def open_inside(path: Path, root: Path) -> int:
    """Open ``path`` for reading when the opened file is a regular file inside ``root``.

    Args:
        path: the file; links along it are allowed as long as they stay inside ``root``.
        root: the folder the file must really lie in.

    Returns:
        a read-only descriptor (the caller closes it).

    Raises:
        Escapes: the opened file lies outside ``root`` or is not a regular file (a FIFO or a
            device is never read: the open does not block on it).
        OSError: the file cannot be opened.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise Escapes(f"{path} is not a regular file")
        opened = _opened_path(fd, path)
        base = real(root)
        if opened is None or not (opened == base or base in opened.parents):
            raise Escapes(f"{path} leads to {opened or 'an unknown file'}, outside {base}")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd
