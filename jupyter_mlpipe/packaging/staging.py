"""Land a package folder atomically: build in a temporary sibling, then rename.

Temporary siblings are named ``.<name>.tmp-<host>-<pid>-<token>`` (a folder being built) and
``.<name>.old-<host>-<pid>-<token>`` (a replaced folder waiting for deletion under ``--force``).
Both live in the destination root, so the final rename never crosses a file system. A process
killed at any point leaves at most such hidden siblings, never a partial ``<name>/``; the next
packaging call into the same root removes the siblings of this host whose owner pid is no longer
alive (and puts an ``.old-`` folder back if its replacement never landed). The deployments root
may be a shared volume: siblings of other hosts, whose pids mean nothing here, are only removed
once untouched for :data:`FOREIGN_STALE_SECONDS`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import re
import secrets
import shutil
import socket
import time
from pathlib import Path

_SIBLING = re.compile(
    r"\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<host>[a-z0-9-]*)-(?P<pid>[0-9]+)-[0-9a-f]{8}"
)
#: Age after which another host's leftover sibling counts as abandoned.
FOREIGN_STALE_SECONDS = 24 * 3600
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    try:  # a zombie (killed, not yet reaped) is as dead as it gets for our purpose
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except OSError:
        return True


def host_tag() -> str:
    """This host's name reduced to ``[a-z0-9-]`` (at most 32 characters) for sibling names."""
    return re.sub(r"[^a-z0-9-]+", "-", socket.gethostname().lower())[:32].strip("-")


def sibling(root: Path, name: str, kind: str) -> Path:
    """A fresh hidden sibling path ``.<name>.<kind>-<host>-<pid>-<token>`` inside ``root``."""
    return root / f".{name}.{kind}-{host_tag()}-{os.getpid()}-{secrets.token_hex(4)}"


def _abandoned(entry: Path, host: str, pid: int) -> bool:
    if host == host_tag():
        return not _pid_alive(pid)
    try:
        return time.time() - entry.lstat().st_mtime > FOREIGN_STALE_SECONDS
    except OSError:
        return False


def clean_stale(root: Path) -> list[Path]:
    """Remove leftovers of killed packaging runs in ``root``; return what was removed.

    Only hidden siblings matching the naming rule whose owner is gone are touched. An
    ``.old-`` folder whose ``<name>/`` is missing (killed between the two renames of a forced
    replace without an atomic exchange) is renamed back instead of deleted.
    """
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for entry in root.iterdir():
        match = _SIBLING.fullmatch(entry.name)
        if not match or not _abandoned(entry, match["host"], int(match["pid"])):
            continue
        final = root / match["name"]
        if match["kind"] == "old" and not final.exists():
            os.rename(entry, final)
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _renameat2(a: Path, b: Path, flags: int) -> bool:
    """``renameat2(a, b, flags)``; False when the kernel, libc or file system lacks it.

    Raises:
        OSError: the rename itself failed (EEXIST for RENAME_NOREPLACE onto an existing path).
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), flags)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _libc_exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths with ``renameat2(RENAME_EXCHANGE)``; False if unsupported."""
    return _renameat2(a, b, _RENAME_EXCHANGE)


def _rename_noreplace(a: Path, b: Path) -> None:
    """Rename ``a`` to ``b``, failing with FileExistsError if ``b`` exists, even if it appears
    between a check and the rename (a plain rename would silently replace an empty folder)."""
    if _renameat2(a, b, _RENAME_NOREPLACE):
        return
    if b.exists() or b.is_symlink():
        raise FileExistsError(errno.EEXIST, "exists", str(b))
    os.rename(a, b)


def fsync_dir(path: Path) -> None:
    """Persist a directory's entries (the renames inside it)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def land(tmp: Path, final: Path, *, replace: bool) -> None:
    """Move the finished folder ``tmp`` to ``final``.

    Args:
        tmp: the fully written temporary sibling.
        final: the destination; must not exist unless ``replace``.
        replace: swap out an existing ``final`` (atomically where the kernel allows), then delete
            the old content.

    Raises:
        FileExistsError: ``final`` exists and ``replace`` is false (checked again at the rename,
            so two concurrent writers cannot both win).
    """
    root = final.parent
    if not (replace and final.exists()):
        _rename_noreplace(tmp, final)
        fsync_dir(root)
        return
    if _libc_exchange(tmp, final):
        # ``tmp`` now holds the old folder; rename it to an .old- sibling so a kill here is cleaned.
        aside = sibling(root, final.name, "old")
        os.rename(tmp, aside)
    else:
        aside = sibling(root, final.name, "old")
        os.rename(final, aside)
        os.rename(tmp, final)
    fsync_dir(root)
    shutil.rmtree(aside, ignore_errors=True)
