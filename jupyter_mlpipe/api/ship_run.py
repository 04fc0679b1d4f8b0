"""One run of the ship pipeline: its steps, and the operation record kept current after each.

:class:`ShipRun` is what :meth:`jupyter_mlpipe.api.Mlpipe.ship` starts (see :mod:`.ship` for
the rules); each step returns ``(status, message, result)`` and the run writes them into the
record and the progress lines.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument, MlpipeError, NotFound
from ..store.names import MAX_LABEL, validate_name
from ..store.operations import OperationEvent, OperationRecord, OperationStore

if TYPE_CHECKING:
    from .core import Mlpipe

log = logging.getLogger("jupyter_mlpipe")

Progress = Callable[[OperationEvent], None]


def default_ship_name(project: str, group: int, experiment: int) -> str:
    """``<project>-g<group>-e<experiment>``, the project part shortened to fit 63 characters."""
    suffix = f"-g{group}-e{experiment}"
    head = project[: max(1, MAX_LABEL - len(suffix))].rstrip("-") or "m"
    return validate_name(f"{head}{suffix}"[-MAX_LABEL:].lstrip("-"), "package")


@dataclass(frozen=True)
class ShipPlan:
    """A checked ship request (what the record's ``request`` holds)."""

    project: str
    group: int | None
    experiment: int | None
    name: str | None
    image: str | None
    backend: str
    metric: str | None
    mode: str | None
    force: bool
    source: str | None = None
    model_class: str | None = None
    requirements: str | tuple[str, ...] | None = None
    checkpoints: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            out[key] = list(value) if isinstance(value, tuple) else value
        return out


class ShipRun:
    """One run of the pipeline: the steps, and the record kept current after each."""

    def __init__(
        self,
        api: Mlpipe,
        store: OperationStore,
        plan: ShipPlan,
        record: OperationRecord,
        on_progress: Progress | None,
    ) -> None:
        self.api, self.store, self.plan = api, store, plan
        self.record = record
        self.on_progress = on_progress
        self.experiment = plan.experiment
        self.name = plan.name
        self.image: str | None = plan.image
        self.reused = False  # the package step found this experiment's package in place

    def save(self, record: OperationRecord) -> None:
        self.record = record
        self.store.save(record)

    def say(self, step: str | None, message: str) -> None:
        event = OperationEvent(time.time(), step, message)
        self.store.append_event(self.record.id, event)
        if self.on_progress is not None:
            try:
                self.on_progress(event)
            except Exception:  # a broken display must not break the work it displays
                log.exception("ship %s: the progress callback failed", self.record.id)

    def run(self, raise_errors: bool = False) -> OperationRecord:
        """Run every step; the record ends succeeded or failed, whatever happens."""
        self.save(replace(self.record, status="running", updated=time.time()))
        for step in self.record.steps:
            self.save(self.record.with_step(step.name, status="running", started=time.time()))
            self.say(step.name, f"{step.name}…")
            try:
                outcome = getattr(self, f"_{step.name}")()
            except Exception as exc:  # every failure, expected or not, must land in the record
                self._fail(step.name, exc)
                if raise_errors:
                    raise
                return self.record
            status, message, result = outcome
            self.save(
                replace(
                    self.record.with_step(
                        step.name, status=status, finished=time.time(), message=message
                    ),
                    result={**self.record.result, step.name: result},
                )
            )
            self.say(step.name, message)
        self.save(replace(self.record, status="succeeded", updated=time.time()))
        self.say(None, "done")
        return self.record

    def run_in_background(self) -> None:
        """:meth:`run` in a thread of its own: nothing may escape unlogged."""
        try:
            self.run()
        except Exception:  # only a record that cannot be written gets here
            log.exception("ship %s stopped: its record could not be written", self.record.id)

    def _fail(self, step: str, exc: BaseException) -> None:
        if isinstance(exc, MlpipeError):
            message = str(exc)
        else:
            log.exception("ship %s: step %s failed", self.record.id, step)
            message = f"unexpected {type(exc).__name__}: {exc}"
        failed = self.record.with_step(step, status="failed", finished=time.time(), message=message)
        self.save(
            replace(failed, status="failed", error={"type": type(exc).__name__, "message": message})
        )
        self.say(step, f"failed: {message}")

    # -- the steps: each returns (status, message, result) ------------------------------------
    def _best(self) -> tuple[str, str, dict[str, Any]]:
        plan = self.plan
        assert plan.group is not None
        objective = self.api.resolve_objective(plan.group, plan.metric, plan.mode, plan.project)
        info = self.api.best(plan.group, objective.metric, objective.mode, plan.project)
        self.experiment = info.id
        scores = {k: v for k in info.metrics if (v := info.last(k)) is not None}
        shown = f" ({objective.metric} = {scores[objective.metric]:g}, {objective.mode})"
        return "succeeded", f"experiment {info.id}{shown}", {
            "experiment": info.id, "group": info.group, "metrics": scores,
            "objective": objective.to_dict(),
        }  # fmt: skip

    def _package(self) -> tuple[str, str, dict[str, Any]]:
        plan, eid = self.plan, int(self.experiment)  # type: ignore[arg-type]
        info = self.api.experiment(eid, plan.project)
        if plan.group is not None and info.group != plan.group:
            raise InvalidArgument(f"experiment {eid} is in group {info.group}, not {plan.group}")
        self.name = self.name or default_ship_name(plan.project, info.group, eid)
        reused = self._same_package(eid)
        self.reused = reused is not None
        if reused is not None:
            return "skipped", f"{self.name} already holds experiment {eid}; reusing it", {
                "name": self.name, "path": reused,
            }  # fmt: skip
        package = self.api.package(
            eid,
            self.name,
            source=plan.source,
            checkpoints=None if plan.checkpoints is None else list(plan.checkpoints),
            model_class=plan.model_class,
            requirements=(
                plan.requirements
                if plan.requirements is None or isinstance(plan.requirements, str)
                else list(plan.requirements)
            ),
            force=plan.force,
            project=plan.project,
        )
        return "succeeded", f"wrote {package.path}", {
            "name": package.name, "path": package.path, "experiment": eid,
            "format": package.format, "model_class": package.model_class,
        }  # fmt: skip

    def _same_package(self, eid: int) -> str | None:
        """The folder of an existing package ``self.name`` made from this experiment, if any."""
        from ..packaging import read_lineage

        if self.plan.force:
            return None
        try:
            folder = self.api.package_folder(str(self.name))
            lineage = read_lineage(folder)
        except (NotFound, MlpipeError):
            return None
        same = lineage.get("project") == self.plan.project and lineage.get("experiment") == eid
        return str(folder) if same else None

    def _build(self) -> tuple[str, str, dict[str, Any]]:
        plan = self.plan
        if plan.image is None and plan.backend == "local":
            return "skipped", "not needed: local serving runs the package folder", {}
        push = plan.backend != "local"  # a cluster pulls the image from a registry
        built = self.api.build(
            str(self.name), plan.image, push=push, on_line=lambda line: self.say("build", line)
        )
        digest = str(getattr(built, "digest", "") or "")
        self.image = str(built.image)
        if built.pushed and digest.startswith("sha256:") and "@" not in self.image:
            self.image = f"{_repository(self.image)}@{digest}"
        return "succeeded", f"built {self.image}", {
            "image": self.image, "reference": built.image, "digest": digest,
            "pushed": bool(built.pushed),
        }  # fmt: skip

    def _deploy(self) -> tuple[str, str, dict[str, Any]]:
        kwargs: dict[str, Any] = {"backend": self.plan.backend}
        if self.image:
            kwargs["image"] = self.image
        served = self._already_served() if self.reused and not self.image else None
        record = served or self.api.deploy(str(self.name), **kwargs)
        out = {k: _text_or_none(record.get(k)) for k in ("name", "backend", "url", "endpoint")}
        out["image"] = _text_or_none(record.get("image"))
        where = out["url"] or out["endpoint"] or ""
        if served is not None:
            return "skipped", f"{self.name} already serves this experiment at {where}", out
        return "succeeded", f"serving {self.name}" + (f" at {where}" if where else ""), out

    def _already_served(self) -> dict[str, Any] | None:
        """The live deployment of the reused package ``self.name``, if it is healthy."""
        try:
            live = self.api.deployment(str(self.name))
        except MlpipeError:
            return None
        healthy = live.get("health") == "healthy" and live.get("backend") == self.plan.backend
        return live if healthy else None


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _repository(image: str) -> str:
    """``registry:5000/model:tag`` → ``registry:5000/model`` (a port is not a tag)."""
    head, _, tail = image.rpartition(":")
    return head if head and "/" not in tail else image
