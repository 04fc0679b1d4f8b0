"""Trials as local processes, run by the group's supervisor.

Each attempt runs in its own session (its own process group); its output goes through a pipe
to the experiment's ``output.log``, which is kept under the ``log_max_bytes`` setting (see
:mod:`.logs`). It is started with a parent-death signal: if the supervisor is
killed, its trials get SIGTERM rather than running on unobserved (the next command that looks
at the group then reconciles it, see :mod:`jupyter_mlpipe.engine.reconcile`).
"""

from __future__ import annotations

import collections
import os
import select
import shlex
import signal
import time
from collections.abc import Iterator, Sequence
from subprocess import Popen

from ..proc import process_create_time, spawn, terminate_group
from ..store import FAILED, RUNNING, STOPPED, SUCCEEDED, TIMED_OUT, GroupRecord, Store
from .base import Executor, TrialLaunch, TrialUpdate
from .logs import ATTEMPT_MARK, LogPump, follow_file, last_line, open_pump

_TICK = 0.05
#: How long an ended trial's output may take to drain (a background child of the trial that
#: keeps the pipe open is not waited for longer).
_DRAIN = 2.0


def exit_message(code: int) -> str:
    """Explain a Popen return code (negative: killed by a signal)."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


class _Running:
    __slots__ = ("launch", "pidfd", "proc", "pump", "started", "stopping")

    def __init__(self, launch: TrialLaunch, proc: Popen[bytes], pump: LogPump) -> None:
        self.launch = launch
        self.proc = proc
        self.pump = pump
        self.started = time.monotonic()
        self.stopping: str | None = None  # the final status to report once it exits
        self.pidfd = _pidfd(proc.pid)

    def close(self) -> None:
        self.pump.join(_DRAIN)
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when ``pid`` exits (Linux ≥ 5.3), else None."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:
        return None


class LocalExecutor(Executor):
    """Runs trials as child processes of the calling (supervisor) process.

    Args:
        store: the project's store (for log paths).
        stop_grace: seconds between SIGTERM and SIGKILL.
        log_max_bytes: cap of each ``output.log`` (0: none), see :class:`.logs.CappedLog`.
    """

    name = "local"

    def __init__(
        self, store: Store, stop_grace: float = 10.0, log_max_bytes: int = 50 << 20
    ) -> None:
        self.store = store
        self.stop_grace = stop_grace
        self.log_max_bytes = log_max_bytes
        self._queue: collections.deque[TrialLaunch] = collections.deque()
        self._running: dict[int, _Running] = {}
        self._parallelism = 1
        self._updates: list[TrialUpdate] = []

    def start(self, group: GroupRecord, launches: Sequence[TrialLaunch], parallelism: int) -> None:
        self._parallelism = max(1, parallelism)
        self._queue.extend(launches)
        self._fill()

    def active(self) -> int:
        return len(self._queue) + len(self._running)

    def _fill(self) -> None:
        while self._queue and len(self._running) < self._parallelism:
            launch = self._queue.popleft()
            log = self.store.log_path(launch.experiment)
            with open(log, "ab") as fh:
                fh.write(f"{ATTEMPT_MARK}{launch.attempt}: {shlex.join(launch.argv)}\n".encode())
            env = {**os.environ, **launch.env}
            pump = None
            try:
                write_end, pump = open_pump(log, self.log_max_bytes)
                try:
                    proc = spawn(launch.argv, cwd=launch.cwd, env=env, stdout_fd=write_end,
                                 die_with_parent=True)
                finally:
                    os.close(write_end)
            except Exception as exc:  # any start failure is the trial's failure
                if pump is not None:
                    pump.join()  # nothing holds the pipe any more: the pump ends at once
                with open(log, "ab") as fh:
                    fh.write(f"--- not started: {exc}\n".encode())
                self._updates.append(TrialUpdate(launch.experiment, FAILED, message=str(exc)))
                continue
            self._running[launch.experiment] = _Running(launch, proc, pump)
            self._updates.append(
                TrialUpdate(
                    launch.experiment,
                    RUNNING,
                    pid=proc.pid,
                    pid_create_time=process_create_time(proc.pid),
                )
            )

    def _check(self) -> None:
        now = time.monotonic()
        for eid, run in list(self._running.items()):
            code = run.proc.poll()
            if code is None:
                timeout = run.launch.timeout
                if timeout is not None and now - run.started > timeout and not run.stopping:
                    run.stopping = TIMED_OUT
                    self._terminate([run])
                continue
            del self._running[eid]
            run.close()
            if run.stopping:
                status, message = run.stopping, f"{run.stopping} ({exit_message(code)})"
            elif code == 0:
                status, message = SUCCEEDED, ""
            else:
                last = last_line(self.store.log_path(eid))
                status, message = FAILED, exit_message(code) + (f": {last}" if last else "")
            self._updates.append(
                TrialUpdate(eid, status, exit_code=code, pid=run.proc.pid, message=message)
            )

    def poll(self, timeout: float = 0.0) -> list[TrialUpdate]:
        deadline = time.monotonic() + timeout
        while True:
            self._check()
            self._fill()
            if self._updates or time.monotonic() >= deadline:
                out, self._updates = self._updates, []
                return out
            self._wait_for_exit(min(_TICK, max(0.0, deadline - time.monotonic())))

    def _wait_for_exit(self, timeout: float) -> None:
        """Sleep until a trial exits or ``timeout`` passes (pidfds wake us at once on Linux)."""
        fds = [r.pidfd for r in self._running.values() if r.pidfd is not None]
        if fds:
            select.select(fds, [], [], timeout)
        else:
            time.sleep(timeout)

    def stop(self, experiments: Sequence[int] | None = None) -> None:
        wanted = None if experiments is None else set(experiments)
        for launch in [q for q in self._queue if wanted is None or q.experiment in wanted]:
            self._queue.remove(launch)
            self._updates.append(
                TrialUpdate(launch.experiment, STOPPED, message="stopped before start")
            )
        runs = [r for e, r in self._running.items() if wanted is None or e in wanted]
        for run in runs:
            run.stopping = run.stopping or STOPPED
        self._terminate(runs)
        self._check()

    def _terminate(self, runs: list[_Running]) -> None:
        for run in runs:
            try:
                os.killpg(run.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + self.stop_grace
        while time.monotonic() < deadline and any(r.proc.poll() is None for r in runs):
            time.sleep(_TICK)
        for run in runs:
            if run.proc.poll() is None:
                terminate_group(run.proc.pid, 0.0)
                run.proc.wait()

    def logs(self, experiment: int, follow: bool = False) -> Iterator[str]:
        path = self.store.log_path(experiment)
        if not follow:
            return self.store.iter_log(experiment)

        def done() -> bool:
            return self.store.read_status(experiment).is_final

        return follow_file(path, done)

    def close(self) -> None:
        self._queue.clear()
