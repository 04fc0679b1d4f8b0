"""Copy a file and compute its SHA-256 from a single read of the source.

A checkpoint can be gigabytes. Reading it twice (``cp`` then ``sha256sum``) costs twice the I/O
and hashing after the copy costs the whole hash time on top of the copy time.

Where the kernel offers ``copy_file_range`` (Linux), the copy stays in the kernel like ``cp``'s,
chunk by chunk, while a second thread reads each copied chunk back from the *destination* while it
is still in the page cache and hashes it (``hashlib`` releases the GIL on large updates). The
source is read from storage once, no byte goes through user space for the write, the copy and the
hash overlap on two cores, and the digest is that of the bytes that actually landed.

Elsewhere (or when the file systems refuse it) each chunk is read once into a reused buffer,
hashed, and written, in one thread: measured on a loaded two-core machine, handing buffers to a
hashing thread cost more in GIL and scheduling waits than it saved. ``bench/checkpoint_copy.py``
measures both against ``cp`` and ``cp`` + ``sha256sum``.
"""

from __future__ import annotations

import errno
import hashlib
import os
import queue
import stat
import threading
from pathlib import Path

from .contained import open_inside

#: Chunk size: large enough that syscall and thread hand-over costs vanish.
CHUNK = 4 << 20
#: Files at most this large are copied without a hashing thread.
SMALL = 2 * CHUNK
#: Use copy_file_range for large files where the platform has it (a switch for the benchmark).
KERNEL_COPY = True
_copy_range = getattr(os, "copy_file_range", None)


def _write_all(fd: int, view: memoryview) -> None:
    """Write all of ``view`` to ``fd`` (``os.write`` may write less than asked)."""
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _copy_buffered(src_fd: int, dst_fd: int, digest: hashlib._Hash) -> int:
    """Read each chunk once into a reused buffer, hash it, write it."""
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    total = 0
    while True:
        n = os.readv(src_fd, [buf])
        if n == 0:
            return total
        digest.update(view[:n])
        _write_all(dst_fd, view[:n])
        total += n


class _NoKernelCopy(Exception):
    """copy_file_range is unavailable for this pair of files; use the buffered copy."""


def _kernel_hasher(fd: int, work: queue.Queue, digest: hashlib._Hash) -> None:
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    while True:
        item = work.get()
        if item is None:
            return
        offset, length = item
        while length:
            n = os.preadv(fd, [view[: min(length, CHUNK)]], offset)
            if n == 0:  # cannot happen for our own private file; never spin
                return
            digest.update(view[:n])
            offset += n
            length -= n


def _copy_kernel(src_fd: int, dst_fd: int, digest: hashlib._Hash) -> int:
    copy_range = _copy_range
    if copy_range is None:
        raise _NoKernelCopy()
    try:
        n = copy_range(src_fd, dst_fd, CHUNK, 0, 0)
    except OSError as exc:
        if exc.errno in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EBADF):
            raise _NoKernelCopy() from exc
        raise
    work: queue.Queue = queue.Queue()
    thread = threading.Thread(target=_kernel_hasher, args=(dst_fd, work, digest), daemon=True)
    thread.start()
    total = 0
    try:
        while n:
            work.put((total, n))
            total += n
            n = copy_range(src_fd, dst_fd, CHUNK, total, total)
    finally:
        work.put(None)
        thread.join()
    return total


def copy_hashed(
    src: Path, dst: Path, *, fsync: bool = True, root: Path | None = None
) -> tuple[str, int]:
    """Copy ``src`` to the new file ``dst`` and return ``(sha256 hex digest, size)``.

    Args:
        src: the file to copy.
        dst: the destination; must not exist (created exclusively with ``src``'s permission
            bits, set-id bits dropped: a 0600 file is never widened to 0644).
        fsync: flush the destination to disk before returning, so a crash after the package
            lands cannot leave a renamed folder with a truncated checkpoint.
        root: when given, ``src`` must really lie inside this folder (links along its path may
            not leave it; checked on the opened file, see :mod:`.contained`).

    Raises:
        Escapes: ``src`` leaves ``root`` or is not a regular file (nothing is created).
        OSError: reading or writing failed (ENOSPC included); ``dst`` may be partial and the
            caller removes it with its temporary folder.
    """
    digest = hashlib.sha256()
    if root is not None:
        src_fd = open_inside(src, root)
    else:
        src_fd = os.open(src, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(src_fd)
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(src_fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        dst_fd = os.open(dst, flags, 0o600)
        try:
            os.fchmod(dst_fd, stat.S_IMODE(info.st_mode) & 0o777)
            total = _copy_large(src_fd, dst_fd, digest) if info.st_size > SMALL else (
                _copy_buffered(src_fd, dst_fd, digest))
            if fsync:
                os.fsync(dst_fd)
        finally:
            os.close(dst_fd)
    finally:
        os.close(src_fd)
    return digest.hexdigest(), total


def _copy_large(src_fd: int, dst_fd: int, digest: hashlib._Hash) -> int:
    if KERNEL_COPY:
        try:
            return _copy_kernel(src_fd, dst_fd, digest)
        except _NoKernelCopy:
            pass
    return _copy_buffered(src_fd, dst_fd, digest)


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in large chunks (used to verify a package after the fact)."""
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        buf = bytearray(CHUNK)
        view = memoryview(buf)
        while n := fh.readinto(buf):
            digest.update(view[:n])
    return digest.hexdigest()
