"""The one way jupyter-mlpipe starts and stops processes.

Every command is an argv list handed to the OS as is: no shell ever sees a user value. Trials,
supervisors and model servers start in their own session (so a whole process group can be
signalled and they survive the caller), and are stopped with SIGTERM, a grace period, then
SIGKILL of the whole group.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import MlpipeError


@dataclass(frozen=True)
class CompletedRun:
    """The outcome of :func:`run`: exit status and the combined output."""

    returncode: int
    output: str


def _argv(argv: Sequence[str | os.PathLike[str]]) -> list[str]:
    if isinstance(argv, (str, bytes)):
        raise TypeError("argv must be a list of arguments, not a string (no shell is used)")
    return [os.fspath(a) for a in argv]


def run(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    on_line: Callable[[str], None] | None = None,
) -> CompletedRun:
    """Run ``argv`` to completion, streaming each output line to ``on_line``.

    Raises:
        MlpipeError: the program does not exist or the timeout passed (the process group is
            killed first).
    """
    args = _argv(argv)
    try:
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise MlpipeError(f"cannot run {args[0]!r}: not found on PATH — install it first") from exc
    deadline = None if timeout is None else time.monotonic() + timeout
    lines: list[str] = []
    with proc:  # closes the pipe and reaps the child however we leave
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if on_line is not None:
                on_line(line.rstrip("\n"))
            if deadline is not None and time.monotonic() > deadline:
                terminate_group(proc.pid, 0.0)
                proc.wait()
                raise MlpipeError(f"{args[0]} took longer than {timeout:g}s and was stopped")
        proc.wait()
    return CompletedRun(proc.returncode, "".join(lines))


def spawn(
    argv: Sequence[str | os.PathLike[str]],
    *,
    cwd: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    stdout_path: str | Path | None = None,
    detached: bool = True,
    die_with_parent: bool = False,
    stdout_fd: int | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in the background, its output appended to ``stdout_path``.

    ``stdout_fd`` (an open descriptor, e.g. a pipe's write end; the caller keeps and closes
    it) takes the output instead of ``stdout_path``.

    With ``detached`` the process leads a new session (its own process group), so it outlives
    the caller and :func:`terminate_group` reaches its children. With ``die_with_parent``
    (Linux) the process gets SIGTERM when the calling thread's process dies, so the children of
    a supervisor never outlive it unobserved.

    Raises:
        MlpipeError: the program could not be started.
    """
    args = _argv(argv)
    preexec = None
    if die_with_parent:
        _check_program(args[0], cwd, env)
        setpriv = shutil.which("setpriv")
        if setpriv:  # util-linux: sets the signal, then execs; lets Popen use fast vfork
            args = [setpriv, "--pdeathsig", "TERM", "--", *args]
        else:
            preexec = _parent_death_signal
    out: Any = subprocess.DEVNULL
    if stdout_fd is not None:
        out = stdout_fd
    elif stdout_path is not None:
        out = open(stdout_path, "ab")
    try:
        return subprocess.Popen(
            args,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=detached,
            close_fds=True,
            preexec_fn=preexec,
        )
    except OSError as exc:
        raise MlpipeError(f"cannot start {args[0]!r}: {exc.strerror} — check the command") from exc
    finally:
        if not isinstance(out, int):
            out.close()


def _check_program(program: str, cwd: str | Path | None, env: Mapping[str, str] | None) -> None:
    """Raise the error Popen would, before a wrapper hides it behind its own exit code."""
    if os.sep in program:
        path = Path(cwd or ".") / program
        found = path.is_file() and os.access(path, os.X_OK)
    else:
        search = (env or os.environ).get("PATH", os.defpath)
        found = shutil.which(program, path=search) is not None
    if not found:
        raise MlpipeError(f"cannot start {program!r}: no such program (looked in the trial's"
                          " folder and PATH) — check the command")


_DAEMONS: set[int] = set()  # daemons this process started and has not reaped yet


def start_daemon(argv: Sequence[str | os.PathLike[str]], *, env: Mapping[str, str],
                 stdout_path: str | Path) -> int:
    """Start ``argv`` in a new session with its output appended to ``stdout_path``.

    The daemon starts in the caller's working directory and must not depend on it (pass
    absolute paths): ``posix_spawn`` has no working-directory argument, and changing the
    caller's directory would race with its other threads.

    The daemon outlives the caller (a notebook kernel or the CLI) and leads its own process
    group. It is spawned directly (``posix_spawn``, no intermediate process) for a fast start;
    the caller reaps daemons that ended the next time it starts one, so a long-lived kernel
    collects no zombies.

    Returns:
        The daemon's pid.

    Raises:
        MlpipeError: it could not be started.
    """
    _reap_daemons()
    args = _argv(argv)
    program = args[0] if os.sep in args[0] else shutil.which(args[0], path=env.get("PATH"))
    if not program:
        raise MlpipeError(f"cannot start {args[0]!r}: not found on PATH — install it first")
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
               (os.POSIX_SPAWN_OPEN, 1, os.fspath(stdout_path), flags, 0o644),
               (os.POSIX_SPAWN_DUP2, 1, 2)]
    try:
        pid = os.posix_spawn(program, args, dict(env), file_actions=actions, setsid=True)
    except OSError as exc:
        raise MlpipeError(f"cannot start {args[0]!r}: {exc.strerror}") from exc
    _DAEMONS.add(pid)
    return pid


def _reap_daemons() -> None:
    for pid in list(_DAEMONS):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _DAEMONS.discard(pid)


def _parent_death_signal() -> None:
    """In the child, before exec: ask Linux to send SIGTERM when the parent dies."""
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the reconciler still cleans up
        pass


def process_create_time(pid: int) -> float | None:
    """The start time of ``pid`` (to tell it apart from a later process with the same pid)."""
    import psutil

    try:
        return float(psutil.Process(pid).create_time())
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return None


def pid_alive(pid: int | None, create_time: float | None = None) -> bool:
    """Whether ``pid`` runs and, if ``create_time`` is given, is still the same process."""
    if not pid:
        return False
    import psutil

    try:
        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE:
            return False
        return create_time is None or abs(p.create_time() - create_time) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _signal_group(pid: int, sig: int) -> bool:
    try:
        os.killpg(pid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return False


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    import psutil

    # A group whose members are all zombies is as good as gone.
    for p in psutil.process_iter(["pid", "status"]):
        try:
            if os.getpgid(p.info["pid"]) == pid and p.info["status"] != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.NoSuchProcess, PermissionError):
            continue
    return False


def terminate_group(pid: int, grace: float) -> None:
    """SIGTERM the process group led by ``pid``; SIGKILL it if still alive after ``grace``."""
    if not _signal_group(pid, signal.SIGTERM):
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(pid)
        if not _group_alive(pid):
            return
        time.sleep(0.05)
    _signal_group(pid, signal.SIGKILL)
    _reap(pid)


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
