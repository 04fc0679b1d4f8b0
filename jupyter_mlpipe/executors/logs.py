"""Trial logs: writing them under a size cap, and following a log another process appends to.

A trial's output reaches its ``output.log`` through a pipe drained by :class:`LogPump`, which
writes through :class:`CappedLog`: once the file would pass ``max_bytes``, it is rewritten to its
first line (the ``--- attempt`` header naming the command), a line saying how much was dropped,
and the newest half of the cap. The pump is the log's only writer while the trial runs, so the
rewrite races with nobody; it is atomic (a temporary sibling renamed over the log), so a reader
sees the old or the new file. A full disk never blocks the trial: output that cannot be written
is counted and the count is written once space returns.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

#: At most this much of the file's first line is kept when the log is cut.
HEAD_MAX = 4096
_READ = 1 << 16
#: ``follow_file`` reads at most this much at a time.
FOLLOW_CHUNK = 1 << 20
_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)


class CappedLog:
    """Append-only writer of one log file that keeps it at most about ``max_bytes`` long.

    Args:
        path: the log file (created if missing; existing content is kept).
        max_bytes: the cap; 0 means no cap. The file may exceed it by one marker line.
    """

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.dropped = 0  # bytes cut out to respect the cap
        self.lost = 0  # bytes that could not be written (disk full ...) since the last success
        self._error = ""
        self._prefix = 0  # bytes of the head line and marker at the top after a cut
        self._fd = os.open(self.path, _FLAGS, 0o644)
        self.size = os.fstat(self._fd).st_size

    def write(self, data: bytes) -> None:
        """Append ``data``; never raises for a failed write (it is counted in :attr:`lost`)."""
        try:
            if self.lost:
                self._append(
                    f"\n--- {self.lost} bytes of output lost: {self._error} ---\n".encode())
                self.lost = 0
            if self.max_bytes and self.size + len(data) > self.max_bytes:
                data = self._cut(data)
            self._append(data)
        except OSError as exc:
            self.lost += len(data)
            self._error = os.strerror(exc.errno) if exc.errno else str(exc)

    def _append(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
            self.size += written

    def _cut(self, data: bytes) -> bytes:
        """Rewrite the file as head line + marker + newest part; return what is left to append."""
        keep = self.max_bytes // 2
        with open(self.path, "rb") as fh:
            head = fh.read(HEAD_MAX).split(b"\n", 1)[0][:HEAD_MAX]
        # what stays at the top is not dropped: the head line (and the marker after a cut)
        top = self._prefix or (len(head) + 1 if head else 0)
        if len(data) >= keep:  # the new chunk alone fills the kept half
            self.dropped += self.size - top + len(data) - keep
            data, tail = b"", data[-keep:]
        else:
            with open(self.path, "rb") as fh:
                fh.seek(max(0, self.size - (keep - len(data))))
                tail = fh.read(keep)
            self.dropped += self.size - top - len(tail)
        newline = tail.find(b"\n")
        if 0 <= newline < len(tail) - 1:  # start the kept part on a line boundary
            self.dropped += newline + 1
            tail = tail[newline + 1:]
        marker = (f"--- {self.dropped} bytes of output dropped to keep this log under"
                  f" {self.max_bytes} bytes (setting log_max_bytes) ---\n").encode()
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0),
                     0o644)
        try:
            try:
                body = (head + b"\n" if head else b"") + marker + tail
                self._prefix = len(body) - len(tail)
                view = memoryview(body)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.close(self._fd)
        self._fd = os.open(self.path, _FLAGS, 0o644)
        self.size = os.fstat(self._fd).st_size
        return data

    def close(self) -> None:
        """Write a pending lost-bytes note if possible and close the file."""
        if self.lost:
            self.write(b"")
        os.close(self._fd)


class LogPump:
    """Drain a pipe into a :class:`CappedLog` on a daemon thread until every writer closes it.

    Args:
        read_fd: the pipe's read end (owned and closed by the pump).
        log: where the bytes go (closed by the pump when the pipe ends).
    """

    def __init__(self, read_fd: int, log: CappedLog) -> None:
        self._fd = read_fd
        self.log = log
        self._thread = threading.Thread(target=self._run, name=f"log-{log.path}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                try:
                    chunk = os.read(self._fd, _READ)
                except OSError as exc:
                    if exc.errno == errno.EINTR:
                        continue
                    break
                if not chunk:
                    break
                self.log.write(chunk)
        finally:
            os.close(self._fd)
            self.log.close()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the pipe is drained; False if a process still holds it after ``timeout``
        (a trial's background child inherited its output)."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


def open_pump(path: Path, max_bytes: int) -> tuple[int, LogPump]:
    """A pipe whose write end is for a trial's output and whose read end feeds ``path``.

    Returns:
        (write end — hand it to the process and close it here once started, the pump).
    """
    read_fd, write_fd = os.pipe()
    os.set_inheritable(read_fd, False)
    try:
        log = CappedLog(path, max_bytes)
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        raise
    return write_fd, LogPump(read_fd, log)


def follow_file(path: Path, done: Callable[[], bool], interval: float = 0.25) -> Iterator[str]:
    """Yield lines of ``path`` as they are appended, until ``done()`` and nothing is left.

    Only complete lines are yielded while the writer runs; a last line without a newline is
    yielded once the writer is done. Memory stays bounded: the file is read at most
    :data:`FOLLOW_CHUNK` bytes at a time, and a line longer than that is yielded in pieces. When
    the writer cuts the log to its cap (the file is replaced), following starts again from the
    top of the new file, whose first lines say how much was dropped.
    """
    offset = 0
    inode = None
    pending = b""
    while True:
        finished = done()  # read before the file so the last bytes are never missed
        try:
            with open(path, "rb") as fh:
                current = os.fstat(fh.fileno()).st_ino
                if inode is not None and current != inode:
                    offset, pending = 0, b""
                inode = current
                fh.seek(offset)
                chunk = fh.read(FOLLOW_CHUNK)
        except FileNotFoundError:
            chunk = b""
        offset += len(chunk)
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", "replace") + "\n"
        if len(pending) >= FOLLOW_CHUNK:  # a very long line: hand it on in pieces
            yield pending.decode("utf-8", "replace")
            pending = b""
        if len(chunk) == FOLLOW_CHUNK:
            continue  # more is waiting: read on before checking done() again
        if finished:
            if pending:
                yield pending.decode("utf-8", "replace")
            return
        time.sleep(interval)


#: How the supervisor's line opening each attempt in a log starts (not the trial's output).
ATTEMPT_MARK = "--- attempt "

#: How much of a log's end :func:`last_line` reads, and how long a line it returns.
_TAIL_BYTES, _LINE_CHARS = 8192, 160


def last_line(path: Path) -> str:
    """The last non-blank line of ``path`` (stripped, cut to 160 characters), "" if none.

    A failed trial's last line is usually its error (``ValueError: ...``): the one-line reason
    every front end shows next to "exited with code 1". The supervisor's ``--- attempt N``
    header is not the trial's output and is skipped.
    """
    try:
        with open(path, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - _TAIL_BYTES))
            tail = fh.read()
    except OSError:
        return ""
    for raw in reversed(tail.decode("utf-8", "replace").splitlines()):
        line = raw.strip()
        if line and not line.startswith(ATTEMPT_MARK):  # the supervisor's own header line
            return line if len(line) <= _LINE_CHARS else line[: _LINE_CHARS - 1] + "…"
    return ""
