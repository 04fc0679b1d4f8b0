"""The sweep driver: asks the search for params, runs them through an executor, records all.

It runs inside a group's supervisor process (:mod:`.supervisor`) and is the only writer of the
group's status records. Each loop it: acts on stop requests, schedules new experiments up to the
group's concurrency, collects executor updates into the store, retries failed attempts when asked
to, feeds intermediate metrics to adaptive searches (hyperband pruning) and checks the
early-stopping policies. Everything it needs after a restart is rebuilt from the store.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..executors.base import Executor, TrialUpdate
from ..search import CompletedTrial, Suggestion, early_stop_reached, make_search
from ..settings import Settings
from ..spec import Spec, parse_spec
from ..store import (
    FAILED,
    FINAL_STATES,
    QUEUED,
    RUNNING,
    STOPPED,
    SUCCEEDED,
    TIMED_OUT,
    ExperimentStatus,
    GroupRecord,
    Store,
)
from ..store.metrics import MetricLine, finite_or_none, read_lines
from ..store.reader import METRICS
from ..tracking.function_trial import REASON_FILE
from .launch import make_launch

LOST = "lost"


def objective(spec: Spec) -> tuple[str, str] | None:
    """(metric name, optimization) an adaptive search optimises, or None."""
    metric = spec.hptuning.metric if spec.hptuning is not None else None
    return None if metric is None else (metric.name, metric.optimization)


def with_reason(message: str, folder: Path) -> str:
    """A failure's message with the trial's own one-line reason appended, when it left one.

    A trial explains its failure by writing ``REASON_FILE`` (see
    :mod:`jupyter_mlpipe.tracking.function_trial`) in its experiment ``folder`` — function sweeps
    write the exception's last line there — so the table shows
    ``exited with code 1: ValueError: lr must be positive``.
    """
    try:
        with open(folder / REASON_FILE, encoding="utf-8", errors="replace") as fh:
            reason = fh.readline(501).strip()
    except OSError:
        return message
    if not reason:
        return message
    # the trial's own reason replaces the executor's guess (its last output line), if any
    head = message.split(": ", 1)[0]
    return f"{head}: {reason}" if head else reason


@dataclass
class _Live:
    """What the driver tracks of one of its experiments."""

    number: int
    params: dict[str, Any]
    attempt: int = 1
    offset: int = 0
    last: dict[str, float] = field(default_factory=dict)
    intermediate: dict[int, float] = field(default_factory=dict)


class Driver:
    """Drives one group to completion.

    Args:
        store: the project's store.
        group_id: the group to drive.
        settings: the settings in force (data root, stop grace).
        executor: where trials run.
        tick: seconds to wait for executor news per loop.
    """

    def __init__(
        self, store: Store, group_id: int, settings: Settings, executor: Executor, tick: float = 0.2
    ) -> None:
        self.store = store
        self.settings = settings
        self.executor = executor
        self.tick = tick
        self.group = store.read_group(group_id)
        self.spec = parse_spec(store.read_spec_text(group_id), file=self.group.spec_file)
        self.live: dict[int, _Live] = {}
        self.running: set[int] = set()
        self.stopping = False
        self.early_stopped = False
        self.target = objective(self.spec)

    # -- set-up from the store ----------------------------------------------------------------
    def _adopt(self) -> set[int]:
        """Experiments an earlier supervisor left queued, running or lost whose trials the
        executor still sees (Kubernetes Jobs outlive their supervisor): they are not launched
        again — same Job, same index — and their results arrive as usual."""
        unfinished = [rec.id for rec in self.store.experiments(self.group.id)
                      if rec.state.status in (QUEUED, RUNNING) or rec.state.reason == LOST]
        if not unfinished:
            return set()
        adopted = self.executor.adopt(self.group, unfinished)
        if adopted:
            self.store.log_event(self.group.id, "adopted", experiments=sorted(adopted))
        return adopted

    def _history(self) -> tuple[list[CompletedTrial], list[int], list[Suggestion]]:
        """Finished trials (for the search), experiments to run again (lost before they
        started) and, for those and the adopted ones, the suggestions the search must take
        back."""
        history, pending, suggestions = [], [], []
        searched = set(self.spec.matrix)
        if self.spec.hptuning is not None and self.spec.hptuning.hyperband is not None:
            searched.add(self.spec.hptuning.hyperband.resource.name)
        adopted = self._adopt()
        for number, rec in enumerate(self.store.experiments(self.group.id)):
            state = rec.state
            if rec.id in adopted:
                self.live[rec.id] = _Live(number, dict(rec.params), attempt=max(1, state.attempt))
                if state.status == RUNNING:
                    self.running.add(rec.id)
                chosen = {k: v for k, v in rec.params.items() if k in searched}
                suggestions.append(Suggestion(number=number, params=chosen))
                continue
            if state.status == QUEUED or (state.reason == LOST and state.started is None):
                pending.append(rec.id)
                self.live[rec.id] = _Live(number, dict(rec.params), attempt=max(1, state.attempt))
                chosen = {k: v for k, v in rec.params.items() if k in searched}
                suggestions.append(Suggestion(number=number, params=chosen))
                continue
            lines, _ = read_lines(Path(rec.path) / METRICS)
            value = self._final_value(lines)
            inter = {
                line.step: line.values[self.target[0]]
                for line in lines
                if self.target and line.step is not None and self.target[0] in line.values
            }
            history.append(
                CompletedTrial(
                    number=number,
                    params={k: v for k, v in rec.params.items() if k in searched},
                    value=value,
                    failed=state.status != SUCCEEDED,
                    intermediate=inter,
                    pruned=state.reason == "pruned",
                )
            )
        return history, pending, suggestions

    def _final_value(self, lines: list[MetricLine]) -> float | None:
        if not self.target:
            return None
        vals = [line.values[self.target[0]] for line in lines if self.target[0] in line.values]
        return finite_or_none(vals[-1]) if vals else None

    # -- the loop -----------------------------------------------------------------------------
    def run(self) -> GroupRecord:
        """Run until every experiment is final; return the group's final record."""
        history, pending, suggestions = self._history()
        self.search = make_search(self.spec, history=history, seed=self.group.seed,
                                  pending=suggestions)
        for eid in pending:
            self._launch(eid)
        while True:
            self._handle_stop_requests()
            if not (self.stopping or self.early_stopped):
                self._schedule()
            for update in self.executor.poll(self.tick):
                self._apply(update)
            self._read_metrics()
            if self.executor.active() == 0:
                # Results just told may let an adaptive search suggest more: ask once more
                # before deciding the group is over.
                if self.stopping or self.early_stopped or self.search.finished:
                    break
                self._schedule()
                if self.executor.active() == 0:
                    break  # nothing running and nothing to suggest: the search is stuck
        return self._finish()

    def _schedule(self) -> None:
        """Start experiments up to the concurrency, as far as the search has params to give."""
        limit = max(1, self.spec.hptuning.concurrency if self.spec.hptuning else 1)
        while self.executor.active() < limit:
            suggestion = self.search.ask()
            if suggestion is None:
                return
            params = self.spec.params_for(suggestion.params)
            (eid,) = self.store.create_experiments(self.group.id, [params])
            self.live[eid] = _Live(suggestion.number, params)
            self.store.log_event(
                self.group.id, "experiment-created", experiment=eid, number=suggestion.number
            )
            self._launch(eid)

    def _launch(self, eid: int) -> None:
        live = self.live[eid]
        status = self.store.read_status(eid)
        queued = status.evolve(status=QUEUED, attempt=live.attempt, reason="")
        if queued != status:
            self.store.write_status(eid, queued)
        try:
            launch = make_launch(
                self.store, self.group, self.spec, eid, live.params, live.attempt, self.settings
            )
        except SpecError as exc:  # e.g. a template that fails for these params only
            self._start_failed(eid, f"cannot render the command: {exc}")
            return
        limit = self.spec.hptuning.concurrency if self.spec.hptuning else 1
        self.executor.start(self.group, [launch], limit)

    def _start_failed(self, eid: int, message: str) -> None:
        """Record a start failure as the experiment's final state, visible in its log too."""
        with open(self.store.log_path(eid), "a", encoding="utf-8") as log:
            log.write(f"--- not started: {message}\n")
        self._apply(TrialUpdate(eid, FAILED, message=message))

    # -- updates ------------------------------------------------------------------------------
    def _apply(self, update: TrialUpdate) -> None:
        eid = update.experiment
        status = self.store.read_status(eid)
        now = time.time()
        if update.status == RUNNING:
            self.running.add(eid)
            self.store.write_status(
                eid,
                status.evolve(
                    status=RUNNING,
                    started=now,
                    finished=None,
                    pid=update.pid,
                    pid_create_time=update.pid_create_time,
                    message="",
                ),
            )
            return
        self.running.discard(eid)
        if update.status == FAILED:
            folder = self.store.group_dir(self.group.id) / str(eid)
            update = replace(update, message=with_reason(update.message, folder))
        live = self.live.get(eid)
        retry = (
            update.status in (FAILED, TIMED_OUT)
            and live is not None
            and live.attempt <= self.group.max_retries
            and not self.stopping
        )
        final = status.evolve(
            status=update.status,
            finished=now,
            exit_code=update.exit_code,
            message=update.message,
            reason=status.reason if update.status == STOPPED else "",
        )
        if update.status == STOPPED and not status.reason:
            final = final.evolve(reason="user")
        if update.exit_code is not None:
            note_exit(self.store, eid, status.attempt, update.exit_code)
        if retry:
            assert live is not None
            self.store.log_event(
                self.group.id,
                "retried",
                experiment=eid,
                attempt=live.attempt,
                message=update.message,
            )
            self._rotate_metrics(eid, live)
            live.attempt += 1
            self._launch(eid)
            return
        self.store.write_status(eid, final)
        self.store.log_event(
            self.group.id, f"experiment-{update.status}", experiment=eid, message=update.message
        )
        if live is not None:
            self._read_metrics_of(eid, live)
            self.search.tell(
                live.number,
                finite_or_none(live.last.get(self.target[0], math.nan)) if self.target else None,
                failed=update.status != SUCCEEDED,
            )

    def _rotate_metrics(self, eid: int, live: _Live) -> None:
        """Keep a failed attempt's metrics apart, so tables and plots show the retry's own."""
        folder = self.store.group_dir(self.group.id) / str(eid)
        if (folder / METRICS).exists():
            os.replace(folder / METRICS, folder / f"metrics.attempt{live.attempt}.jsonl")
        live.offset, live.last, live.intermediate = 0, {}, {}

    def _read_metrics(self) -> None:
        """New points of running experiments (those that ended were read when they ended)."""
        if not (self.target or self.spec.hptuning and self.spec.hptuning.early_stopping):
            return  # nothing in the loop consumes intermediate metrics
        for eid in self.running:
            self._read_metrics_of(eid, self.live[eid])

    def _read_metrics_of(self, eid: int, live: _Live) -> None:
        lines, live.offset = read_lines(
            self.store.group_dir(self.group.id) / str(eid) / METRICS, live.offset
        )
        for line in lines:
            live.last.update(line.values)
            self._check_point(eid, live, line)

    def _check_point(self, eid: int, live: _Live, line: MetricLine) -> None:
        policies = self.spec.hptuning.early_stopping if self.spec.hptuning else ()
        if policies and not self.early_stopped:
            hit = early_stop_reached(policies, live.last)
            if hit is not None:
                self.early_stopped = True
                self.store.log_event(
                    self.group.id,
                    "early-stopping",
                    experiment=eid,
                    metric=hit.metric,
                    value=live.last.get(hit.metric),
                )
        step = line.step
        value = line.values.get(self.target[0], math.nan) if self.target else math.nan
        if step is not None and math.isfinite(value):
            live.intermediate[step] = value
            status = self.store.read_status(eid)
            if (
                status.status == RUNNING
                and status.reason != "pruned"
                and self.search.report(live.number, int(step), value)
            ):
                self.store.write_status(eid, status.evolve(reason="pruned"))
                self.store.log_event(self.group.id, "pruned", experiment=eid, step=step)
                self.executor.stop([eid])

    def _handle_stop_requests(self) -> None:
        stop_all, ids = self.store.stop_requests(self.group.id)
        if stop_all and not self.stopping:
            self.stopping = True
            self.store.log_event(self.group.id, "stopping")
            self.executor.stop(None)
        for eid in ids:
            if eid in self.live and not self.store.read_status(eid).is_final:
                status = self.store.read_status(eid)
                if status.reason != "user":
                    self.store.write_status(eid, status.evolve(reason="user"))
                    self.executor.stop([eid])

    def _finish(self) -> GroupRecord:
        states = [self.store.read_status(e) for e in self.store.experiment_ids(self.group.id)]
        failed = sum(s.status in (FAILED, TIMED_OUT) for s in states)
        lost = sum(s.status == STOPPED and s.reason == LOST for s in states)
        if self.stopping:
            status, message = STOPPED, "stopped on request"
        elif failed or lost:
            parts = [f"{failed} of {len(states)} experiments failed or timed out"] if failed else []
            if lost:
                parts.append(f"{lost} were interrupted when a supervisor died")
            status, message = FAILED, "; ".join(parts)
        else:
            status, message = SUCCEEDED, "early stopping reached" if self.early_stopped else ""
        for eid, state in zip(self.store.experiment_ids(self.group.id), states, strict=True):
            if state.status not in FINAL_STATES:  # never expected; keep the store truthful
                self.store.write_status(
                    eid,
                    state.evolve(
                        status=STOPPED,
                        finished=time.time(),
                        reason="user",
                        message="left unfinished when its group ended",
                    ),
                )
        record = self.store.read_group(self.group.id).evolve(
            status=status, finished=time.time(), message=message
        )
        self.store.write_group(record)
        self.store.log_event(self.group.id, f"group-{status}", message=message)
        return record


def mark_lost(store: Store, eid: int, status: ExperimentStatus, why: str) -> None:
    """Record that an experiment's supervisor vanished while it was queued or running."""
    store.write_status(
        eid, status.evolve(status=STOPPED, finished=time.time(), reason=LOST, message=why)
    )


def note_exit(store: Store, eid: int, attempt: int, code: int) -> None:
    """Note an attempt's exit code before its status record (best effort: the note is what
    survives a full disk, see :meth:`Store.mark_exit`)."""
    try:
        store.mark_exit(eid, attempt, code)
    except OSError:
        pass
