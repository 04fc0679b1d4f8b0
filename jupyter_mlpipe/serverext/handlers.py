"""Tornado handlers of the REST API under ``<base_url>/mlpipe/api/``.

Handlers are thin: parse and validate the request (:mod:`.requests`), call the
:class:`~jupyter_mlpipe.api.Mlpipe` object injected through ``web_app.settings`` (in a worker
thread, so a slow disk never stalls the server), shape the answer (:mod:`.views`) and write JSON.
Every method is ``@tornado.web.authenticated``; Jupyter's base handler adds the XSRF check for
cookie-authenticated mutations. Errors leave through :func:`.errors.http_error` only.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.web import HTTPError

from ..errors import MlpipeError, StoreError
from . import requests as rq
from .errors import BadRequest, http_error

API_SETTING = "mlpipe.api"
PREFIX = "mlpipe/api"
_OPENAPI = Path(__file__).with_name("openapi.yaml")


class MlpipeHandler(APIHandler):
    """Base: access to the API object, thread offloading, JSON replies and JSON errors."""

    @property
    def api(self) -> Any:
        return self.settings[API_SETTING]

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a blocking API call in the default thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, functools.partial(fn, *args, **kwargs))

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(_dumps(data))

    async def reply_encoded(self, build: Callable[[], Any], status: int = 200) -> None:
        """Build (calling the API) and encode a large answer in a worker thread, then send it.

        Turning a thousand records into JSON takes milliseconds of CPU: off the event loop, so
        other requests (and the server's own status checks) are never stalled by it.
        """
        body = await self.call(lambda: _dumps(build()))
        self.set_status(status)
        self.finish(body)

    def body(self) -> dict[str, Any]:
        return rq.parse_body(self.request.body or b"")

    def project(self) -> str | None:
        value = self.get_query_argument("project", None)
        return None if value is None else rq.name(value, "project")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        if isinstance(exc, HTTPError) or exc is None:
            reason = self._reason or "error"
            message = (exc.log_message if exc is not None else None) or reason
            body = {"error": {"type": reason.replace(" ", ""), "message": message}}
        else:
            status_code, body = http_error(exc)
            self.set_status(status_code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # Domain errors and bad requests are answers, not server faults: log them briefly.
        if isinstance(value, (MlpipeError, BadRequest)):
            self.log.info("mlpipe %s %s: %s", self.request.method, self.request.path, value)
            return
        super().log_exception(typ, value, tb)


def _dumps(data: Any) -> bytes:
    """Compact JSON; values are already strict (no NaN) — see :mod:`.serialize`."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency, this is a safety net
        return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()
    return orjson.dumps(data)


class GroupsHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        project = self.project()
        await self.reply_encoded(
            lambda: {"groups": [info.to_dict() for info in self.api.group_list(project=project)]}
        )


class GroupHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def get(self, group: str) -> None:
        gid, project = rq.parse_id(group, "group"), self.project()
        # read, shape and encode in one worker-thread hop (a 1,000-row group takes milliseconds)
        await self.reply_encoded(lambda: self.api.group_detail(gid, project=project).to_dict())


#: One metrics answer reads at most this much of the logs (a page; the answer says ``more``).
METRICS_PAGE_BYTES = 4 << 20


class GroupMetricsHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def get(self, group: str) -> None:
        gid, project = rq.parse_id(group, "group"), self.project()
        after = rq.cursor(self.get_query_argument("after", None))
        points = rq.parse_int(
            self.get_query_argument("max_points", None), "max_points", 5000, 2, 1_000_000
        )

        def page() -> dict[str, Any]:
            try:
                batch = self.api.metrics(
                    gid, project, after, max_bytes=METRICS_PAGE_BYTES, max_points=points
                )
            except StoreError as exc:
                if after is None:
                    raise
                raise BadRequest(str(exc)) from exc  # the cursor was not one the server sent
            return {"group": gid, **batch.to_dict()}

        await self.reply_encoded(page)


class GroupStopHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def post(self, group: str) -> None:
        gid, project = rq.parse_id(group, "group"), self.project()
        outcome = await self.call(self.api.stop, gid, project=project)
        self.reply({"group": gid, **outcome.to_dict()}, status=202 if outcome.stopping else 200)


class GroupBestHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def get(self, group: str) -> None:
        gid, project = rq.parse_id(group, "group"), self.project()
        raw_metric = self.get_query_argument("metric", None)
        metric = None if raw_metric is None else rq.metric(raw_metric)
        raw_mode = self.get_query_argument("mode", None)
        mode = None if raw_mode is None else rq.mode(raw_mode)
        objective = await self.call(self.api.resolve_objective, gid, metric, mode, project)
        info = await self.call(
            self.api.best, gid, objective.metric, mode=objective.mode, project=project
        )
        self.reply(
            {
                "experiment": info.to_dict(),
                "metric": objective.metric,
                "mode": objective.mode,
                "objective": objective.to_dict(),
            }
        )


class ExperimentLogsHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def get(self, experiment: str) -> None:
        eid, project = rq.parse_id(experiment, "experiment"), self.project()
        tail = rq.parse_int(self.get_query_argument("tail", None), "tail", 200, 1, 10_000)
        lines = await self.call(self.api.log_tail, eid, tail, project=project)
        self.reply({"experiment": eid, "lines": lines})


class ExperimentStopHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def post(self, experiment: str) -> None:
        eid, project = rq.parse_id(experiment, "experiment"), self.project()
        outcome = await self.call(self.api.stop, experiment=eid, project=project)
        self.reply(
            {"experiment": eid, **outcome.to_dict()}, status=202 if outcome.stopping else 200
        )


class SweepsHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = rq.only(self.body(), rq.SWEEP_FIELDS, "sweep")
        text = rq.field(body, "spec", str)
        file = rq.field(body, "file", str)
        if (text is None) == (file is None):
            raise BadRequest("send exactly one of 'spec' (the YAML text) or 'file' (a path)")
        name = rq.field(body, "name", str)
        kwargs: dict[str, Any] = {
            "name": None if name is None else rq.name(name, "sweep"),
            "project": None if body.get("project") is None else rq.name(body["project"], "project"),
            "objective": rq.field(body, "objective", str),
        }
        if file is not None:
            kwargs["file"] = rq.path_under(self.api.settings.repos_root, file, "file")
        else:
            kwargs["text"] = text
        sweep = await self.call(self.api.sweep, **kwargs)
        info = await self.call(self.api.group, sweep.group, project=kwargs["project"])
        self.reply({"group": info.to_dict()}, status=201)


class OperationsHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        records = await self.call(self.api.operations)
        self.reply({"operations": [r.to_dict() for r in records]})

    @tornado.web.authenticated
    async def post(self) -> None:
        kwargs = rq.ship_request(self.body(), self.api.settings.repos_root)
        record = await self.call(self.api.ship, wait=False, **kwargs)
        self.reply(record.to_dict(), status=202)


class OperationHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def get(self, op_id: str) -> None:
        record = await self.call(self.api.operation, op_id)  # the API checks the id
        self.reply(record.to_dict())


class DeploymentsHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        infos = await self.call(self.api.deployment_list)
        self.reply({"deployments": [info.to_dict() for info in infos]})


class DeploymentHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def delete(self, name: str) -> None:
        await self.call(self.api.undeploy, rq.name(name, "deployment"))
        self.reply({"name": name, "removed": True})


class PredictHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def post(self, name: str) -> None:
        name = rq.name(name, "deployment")
        body = rq.only(self.body(), rq.PREDICT_FIELDS, "predict")
        payload, file = body.get("payload"), body.get("file")
        if file is not None:
            if payload is not None:
                raise BadRequest("send 'payload' (JSON) or 'file' (a path), not both")
            # An input file (PNG, JPEG, .npy, .json) must lie inside the repos root.
            payload = rq.path_under(self.api.settings.repos_root, file, "file")
        elif isinstance(payload, list):
            payload = {"data": {"ndarray": payload}}
        # Only JSON data or a checked path reach the API: a bare string could name any file.
        if not isinstance(payload, (dict, Path)) or not payload:
            raise BadRequest(
                "send 'payload' — a Seldon request object like "
                '{"data": {"ndarray": [[...]]}} or an array — or \'file\', a path inside '
                f"{self.api.settings.repos_root}"
            )
        prediction = await self.call(self.api.predict, name, payload)
        self.reply({"name": name, "prediction": prediction.to_dict()})


class OpenAPIHandler(MlpipeHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        self.reply(openapi_document())


@functools.lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    """The OpenAPI description shipped beside this module."""
    import yaml

    return yaml.safe_load(_OPENAPI.read_text(encoding="utf-8"))


class NotFoundHandler(MlpipeHandler):
    """Any other path under the prefix: a JSON 404 (after authentication)."""

    @tornado.web.authenticated
    def prepare_not_found(self) -> None:
        raise HTTPError(404, f"no API route {self.request.path} — see {PREFIX}/openapi.json")

    get = post = delete = put = patch = prepare_not_found


ROUTES: tuple[tuple[str, type[MlpipeHandler]], ...] = (
    (r"groups", GroupsHandler),
    (r"groups/([^/]+)", GroupHandler),
    (r"groups/([^/]+)/metrics", GroupMetricsHandler),
    (r"groups/([^/]+)/stop", GroupStopHandler),
    (r"groups/([^/]+)/best", GroupBestHandler),
    (r"experiments/([^/]+)/logs", ExperimentLogsHandler),
    (r"experiments/([^/]+)/stop", ExperimentStopHandler),
    (r"sweeps", SweepsHandler),
    (r"operations", OperationsHandler),
    (r"operations/([^/]+)", OperationHandler),
    (r"deployments", DeploymentsHandler),
    (r"deployments/([^/]+)", DeploymentHandler),
    (r"deployments/([^/]+)/predict", PredictHandler),
    (r"openapi\.json", OpenAPIHandler),
    (r".*", NotFoundHandler),
)


def setup_handlers(web_app: Any, api: Any) -> list[str]:
    """Register the routes on ``web_app`` and inject the API objects.

    Returns:
        The URL patterns registered (used by tests that walk every route).
    """
    web_app.settings[API_SETTING] = api
    base = web_app.settings.get("base_url", "/")
    patterns = [
        url_path_join(base, PREFIX, path) + "/?$"
        if path != r".*"
        else url_path_join(base, PREFIX, path)
        for path, _ in ROUTES
    ]
    web_app.add_handlers(".*$", list(zip(patterns, (cls for _, cls in ROUTES), strict=True)))
    return patterns
