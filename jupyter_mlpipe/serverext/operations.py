"""Long work (package → build → deploy) as background operations with a pollable record.

A client POSTs what it wants; :class:`Operations` validates it into an :class:`OperationRequest`,
writes an operation record, runs the steps on a small thread pool and rewrites the record after
every step. The record file is the truth (``<outputs_root>/<user>/_operations/<id>.json``):
``GET operations/<id>`` reads it, so any server process sees the same state, and an operation
whose server died is reported as interrupted instead of running forever.

Record: ``{id, action, request, status, created, updated, steps: [{name, status, started,
finished, message}], result, error, server: {pid, create_time}}`` with ``status`` one of
queued, running, succeeded, failed, and step status pending, running, succeeded, failed, skipped.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import proc
from ..errors import MlpipeError, NotFound
from ..store.files import atomic_write_json, read_json
from ..store.names import safe_join
from . import requests as rq
from .errors import BadRequest, http_error
from .serialize import jsonable

log = logging.getLogger(__name__)

ACTIONS = ("deploy-best", "deploy-experiment", "package", "build", "deploy")
_ID = re.compile(r"^[0-9a-f]{12}$")
_STEPS = {
    "deploy-best": ("best", "package", "build", "deploy"),
    "deploy-experiment": ("package", "build", "deploy"),
    "package": ("package",),
    "build": ("build",),
    "deploy": ("deploy",),
}


@dataclass(frozen=True)
class OperationRequest:
    """A validated request for background work. Which fields matter depends on ``action``."""

    action: str
    name: str
    group: int | None = None
    experiment: int | None = None
    metric: str | None = None
    mode: str = "max"
    project: str | None = None
    source: str | None = None
    model_class: str | None = None
    requirements: tuple[str, ...] | None = None
    checkpoints: tuple[str, ...] | None = None
    image: str | None = None
    force: bool = False

    def to_dict(self) -> dict[str, Any]:
        return jsonable(asdict(self))

    @classmethod
    def parse(cls, body: dict[str, Any], repos_root: Path) -> OperationRequest:
        """Validate a client's JSON body.

        Args:
            body: the decoded request body.
            repos_root: the only folder a ``source`` path may point into.

        Raises:
            BadRequest: a field is missing, of the wrong type, or not allowed.
            InvalidName: a name or path breaks the naming rules or leaves its root.
        """
        action = rq.field(body, "action", str, required=True)
        if action not in ACTIONS:
            raise BadRequest(f"action must be one of {', '.join(ACTIONS)}, got {action!r}")
        req = cls(
            action=action,
            name=rq.name(rq.field(body, "name", str, required=True), "deployment"),
            group=rq.body_id(body, "group"),
            experiment=rq.body_id(body, "experiment"),
            metric=None if body.get("metric") is None else rq.metric(body["metric"]),
            mode=rq.mode(body.get("mode", "max")),
            project=None if body.get("project") is None else rq.name(body["project"], "project"),
            source=None
            if body.get("source") is None
            else str(rq.path_under(repos_root, body["source"], "source")),
            model_class=None
            if body.get("model_class") is None
            else rq.identifier(body["model_class"], "model_class"),
            requirements=_tuple(rq.requirements(body.get("requirements"))),
            checkpoints=_tuple(rq.relative_files(body.get("checkpoints"), "checkpoints")),
            image=None if body.get("image") is None else rq.image(body["image"]),
            force=bool(rq.field(body, "force", bool, default=False)),
        )
        req._check_required()
        return req

    def _check_required(self) -> None:
        needs = {
            "deploy-best": ("group", "metric"),
            "deploy-experiment": ("experiment",),
            "package": ("experiment",),
            "build": (),
            "deploy": (),
        }[self.action]
        missing = [key for key in needs if getattr(self, key) is None]
        if missing:
            raise BadRequest(f"action {self.action!r} needs field(s) {', '.join(missing)}")


def _tuple(value: list[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


class OperationStore:
    """Operation records of one user: ``<outputs_root>/<user>/_operations/<id>.json``."""

    def __init__(self, outputs_root: Path, user: str) -> None:
        self.folder = safe_join(outputs_root, user, "_operations")

    def path(self, op_id: str) -> Path:
        if not isinstance(op_id, str) or not _ID.match(op_id):
            raise BadRequest(f"operation id must be 12 hex digits, got {op_id!r}")
        return self.folder / f"{op_id}.json"

    def save(self, record: dict[str, Any]) -> None:
        atomic_write_json(self.path(record["id"]), record)

    def get(self, op_id: str) -> dict[str, Any]:
        try:
            record = read_json(self.path(op_id))
        except FileNotFoundError:
            raise NotFound(f"no operation {op_id!r} — list them with GET operations") from None
        return _mark_interrupted(record)

    def list(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest ``limit`` records, newest first."""
        try:
            files = [f for f in os.listdir(self.folder) if f.endswith(".json")]
        except FileNotFoundError:
            return []
        paths = sorted((self.folder / f for f in files), key=_mtime, reverse=True)[:limit]
        records = []
        for path in paths:
            try:
                records.append(_mark_interrupted(read_json(path)))
            except (FileNotFoundError, MlpipeError):
                continue  # removed or damaged meanwhile: the list shows the readable ones
        return records


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _mark_interrupted(record: dict[str, Any]) -> dict[str, Any]:
    """Report work whose server process is gone as failed (the record itself is not touched)."""
    if record.get("status") not in ("queued", "running"):
        return record
    server = record.get("server") or {}
    if proc.pid_alive(server.get("pid"), server.get("create_time")):
        return record
    return {
        **record,
        "status": "failed",
        "error": {
            "type": "Interrupted",
            "message": "the Jupyter server stopped while this operation ran — start it again",
        },
    }


def _now() -> float:
    return time.time()


class Operations:
    """Runs operation requests against the Python API in background threads.

    Args:
        api: the :class:`~jupyter_mlpipe.api.Mlpipe` façade.
        store: where records live.
        workers: threads running operations at once.
    """

    def __init__(self, api: Any, store: OperationStore, workers: int = 2) -> None:
        self.api = api
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mlpipe-op")
        pid = os.getpid()
        self._server = {"pid": pid, "create_time": proc.process_create_time(pid)}

    def submit(self, request: OperationRequest) -> dict[str, Any]:
        """Write a queued record, schedule the work, return the record."""
        now = _now()
        record = {
            "id": uuid.uuid4().hex[:12],
            "action": request.action,
            "request": request.to_dict(),
            "status": "queued",
            "created": now,
            "updated": now,
            "result": {},
            "error": None,
            "steps": [
                {"name": s, "status": "pending", "started": None, "finished": None, "message": ""}
                for s in self._steps(request)
            ],
            "server": self._server,
        }
        self.store.save(record)
        self._pool.submit(self._run, request, record)
        return record

    def _steps(self, request: OperationRequest) -> tuple[str, ...]:
        return _STEPS[request.action]

    def close(self) -> None:
        """Stop taking work; running operations finish in their threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    # -- the work ---------------------------------------------------------------------------
    def _run(self, request: OperationRequest, record: dict[str, Any]) -> None:
        record = {**record, "status": "running", "updated": _now()}
        self.store.save(record)
        context: dict[str, Any] = {"experiment": request.experiment}
        for index, step in enumerate(record["steps"]):
            record = self._set_step(record, index, status="running", started=_now())
            try:
                outcome = self._step(step["name"], request, context)
            except Exception as exc:  # every failure, expected or not, must land in the record
                if not isinstance(exc, (MlpipeError, BadRequest)):
                    log.exception("operation %s: step %s failed", record["id"], step["name"])
                _, body = http_error(exc)
                record = self._set_step(
                    record,
                    index,
                    status="failed",
                    finished=_now(),
                    message=body["error"]["message"],
                )
                self.store.save(
                    {**record, "status": "failed", "error": body["error"], "updated": _now()}
                )
                return
            status = "skipped" if outcome is None else "succeeded"
            record["result"] = {**record["result"], step["name"]: jsonable(outcome)}
            record = self._set_step(
                record,
                index,
                status=status,
                finished=_now(),
                message=_describe(step["name"], outcome),
            )
        self.store.save({**record, "status": "succeeded", "updated": _now()})

    def _set_step(self, record: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
        steps = [dict(s) for s in record["steps"]]
        steps[index].update(changes)
        record = {**record, "steps": steps, "updated": _now()}
        self.store.save(record)
        return record

    def _step(self, step: str, request: OperationRequest, context: dict[str, Any]) -> Any:
        handlers: dict[str, Callable[[OperationRequest, dict[str, Any]], Any]] = {
            "best": self._best,
            "package": self._package,
            "build": self._build,
            "deploy": self._deploy,
        }
        return handlers[step](request, context)

    def _best(self, request: OperationRequest, context: dict[str, Any]) -> Any:
        info = self.api.best(
            request.group, request.metric, mode=request.mode, project=request.project
        )
        data = jsonable(info)
        context["experiment"] = int(data["id"])
        return data

    def _package(self, request: OperationRequest, context: dict[str, Any]) -> Any:
        return self.api.package(
            context["experiment"],
            request.name,
            source=request.source,
            checkpoints=None if request.checkpoints is None else list(request.checkpoints),
            model_class=request.model_class,
            requirements=None if request.requirements is None else list(request.requirements),
            force=request.force,
            project=request.project,
        )

    def _build(self, request: OperationRequest, context: dict[str, Any]) -> Any:
        # The local deployer serves the package folder directly: an image is only built when
        # one was asked for or the deployments run on a cluster (where the API may derive the
        # image from the registry setting, or explain that one is needed).
        pipeline = request.action in ("deploy-best", "deploy-experiment")
        if pipeline and request.image is None and self.api.settings.deploy_backend == "local":
            return None
        result = self.api.build(request.name, request.image)
        data = jsonable(result)
        context["image"] = data.get("image") if isinstance(data, dict) else None
        return result

    def _deploy(self, request: OperationRequest, context: dict[str, Any]) -> Any:
        image = context.get("image") or request.image
        if image:
            return self.api.deploy(request.name, image=image)
        return self.api.deploy(request.name)


def _describe(step: str, outcome: Any) -> str:
    if outcome is None:
        return "not needed for a local deployment" if step == "build" else "skipped"
    data = jsonable(outcome)
    if not isinstance(data, dict):
        return ""
    if step == "best":
        return f"experiment {data.get('id')}"
    if step == "package":
        return f"wrote {data.get('path', '')}"
    if step == "build":
        return f"built {data.get('image', '')}"
    return f"serving at {data.get('url', data.get('endpoint', ''))}"
