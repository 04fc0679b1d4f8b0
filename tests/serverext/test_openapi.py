"""Every route's real answers conform to openapi.yaml (validated by openapi-core)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from jupyter_mlpipe.serverext.handlers import ROUTES
from jupyter_mlpipe.store import Objective, Store

from .conftest import make_group

SPEC = Path(__file__).resolve().parents[2] / "jupyter_mlpipe" / "serverext" / "openapi.yaml"
ECHO = Path(__file__).resolve().parents[1] / "fixtures" / "models" / "echo"


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    return OpenAPI.from_dict(yaml.safe_load(SPEC.read_text(encoding="utf-8")))


class Conformance:
    """Calls the API, validates each answer against the document, remembers the routes seen."""

    def __init__(self, jp_fetch: Any, openapi: OpenAPI) -> None:
        self.jp_fetch = jp_fetch
        self.openapi = openapi
        self.seen: set[str] = set()

    async def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        expect: int = 200,
        query: dict[str, str] | None = None,
        **params: str,
    ) -> Any:
        params = {**(query or {}), **params}  # `query` holds names like `method`
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        if params:
            kwargs["params"] = params
        if body is not None:
            kwargs["body"] = json.dumps(body)
        elif method in ("POST", "PUT"):
            kwargs["body"], kwargs["allow_nonstandard_methods"] = b"", True
        response = await self.jp_fetch("mlpipe", "api", *path.split("/"), **kwargs)
        assert response.code == expect, (method, path, response.code, response.body[:500])
        request = MockRequest(
            "http://localhost", method.lower(), f"/mlpipe/api/{path}", args=params or None
        )
        answer = MockResponse(
            response.body, status_code=response.code, content_type="application/json"
        )
        self.openapi.validate_response(request, answer)  # raises with every schema error
        self.seen.add(_route_of(method, path))
        return json.loads(response.body)


def _route_of(method: str, path: str) -> str:
    for pattern, _ in ROUTES:
        if pattern != r".*" and re.fullmatch(pattern, path):
            return f"{method} {pattern}"
    raise AssertionError(f"no route for {path}")


def _wanted() -> set[str]:
    wanted = set()
    for pattern, handler in ROUTES:
        if pattern == r".*":
            continue
        for method in ("get", "post", "delete"):
            if method in handler.__dict__:
                wanted.add(f"{method.upper()} {pattern}")
    return wanted


async def test_every_route_answers_as_the_document_says(
    jp_fetch: Any, openapi: OpenAPI, store: Store, repos_root: Path
) -> None:
    call = Conformance(jp_fetch, openapi)
    gid = make_group(store, 3)
    running = make_group(store, 2, status="running")
    first = store.experiment_ids(gid)[0]
    await call("GET", "groups")
    detail = await call("GET", f"groups/{gid}")
    assert [e["id"] for e in detail["experiments"]] == store.experiment_ids(gid)
    batch = await call("GET", f"groups/{gid}/metrics")
    await call("GET", f"groups/{gid}/metrics", after=batch["cursor"])
    await call("GET", f"groups/{gid}/best", metric="loss", mode="min")
    await call("GET", f"groups/{gid}/best", expect=400)  # no objective: the mode is required
    await call("GET", "groups/99", expect=404)
    for view in ("importance", "history", "parallel", "slices"):  # no objective: a reason
        answer = await call("GET", f"groups/{gid}/views/{view}")
        assert answer["kind"] == view and "has no objective" in answer["reason"]
    viewed = make_group(store, 4)
    store.write_group(store.read_group(viewed).evolve(objective=Objective("loss", "min")))
    for view in ("history", "parallel", "slices"):
        answer = await call("GET", f"groups/{viewed}/views/{view}")
        assert answer["reason"] == "" and answer["included"] == 4, answer
    ranked = await call("GET", f"groups/{viewed}/views/importance", query={"method": "ped-anova"})
    assert ranked["method"] == "ped-anova" and ranked["reason"] == "", ranked
    await call("GET", f"groups/{viewed}/views/importance", query={"method": "shap"}, expect=400)
    await call("GET", f"experiments/{first}/logs", tail="5")
    assert (await call("POST", f"groups/{gid}/stop"))["stopping"] is False
    assert (await call("POST", f"groups/{running}/stop", expect=202))["stopping"] is True
    assert (await call("POST", f"experiments/{first}/stop"))["stopping"] is False
    spec = (
        'version: 1\nkind: group\nhptuning:\n  matrix:\n    x: {values: [1]}\nrun:\n  cmd: "true"\n'
    )
    await call("POST", "sweeps", body={"spec": spec, "objective": "x:max"}, expect=201)
    await call("POST", "sweeps", body={"spec": "kind: [\n"}, expect=400)
    await call("GET", "openapi.json")
    # a real deployment of an experiment shipped through the API, predicted, then removed
    shutil.copytree(ECHO, repos_root / "echo")
    body = {
        "action": "ship",
        "experiment": first,
        "name": "echo-openapi",
        "source": "echo",
        "model_class": "EchoModel",
    }
    op = await call("POST", "operations", body=body, expect=202)
    for _ in range(600):
        record = await call("GET", f"operations/{op['id']}")
        if record["status"] in ("succeeded", "failed"):
            break
        await asyncio.sleep(0.1)
    assert record["status"] == "succeeded", record
    await call("GET", "operations")
    try:
        listed = await call("GET", "deployments")
        assert [d["name"] for d in listed["deployments"]] == ["echo-openapi"]
        answer = await call(
            "POST", "deployments/echo-openapi/predict", body={"payload": [[1.0, 2.0]]}
        )
        assert answer["prediction"]["response"]["data"]["ndarray"] == [[1.0, 2.0]]
    finally:
        await call("DELETE", "deployments/echo-openapi")
    missing = _wanted() - call.seen
    assert not missing, f"routes never validated: {sorted(missing)}"
