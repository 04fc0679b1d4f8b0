"""Every route needs authentication, mutations need the XSRF token under cookie auth, and no
request can name a path outside the configured roots or smuggle a malformed value through."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.serverext.handlers import ROUTES, MlpipeHandler
from jupyter_mlpipe.store import Store

from .conftest import fetch_json

METHODS = ("get", "post", "put", "patch", "delete")


def _implemented(cls: type) -> list[str]:
    base = MlpipeHandler.__mro__[1:]  # what tornado and jupyter_server provide
    return [
        m
        for m in METHODS
        if getattr(cls, m) is not getattr(base[0], m, None)
        and not any(getattr(b, m, None) is getattr(cls, m) for b in base)
    ]


def _sample_path(pattern: str) -> list[str]:
    return pattern.replace("\\.", ".").replace("([^/]+)", "1").replace(".*", "anything").split("/")


def test_every_handler_method_is_wrapped_by_authenticated() -> None:
    seen = 0
    for _, cls in ROUTES:
        for method in _implemented(cls):
            fn = getattr(cls, method)
            # tornado.web.authenticated wraps with functools.wraps: the wrapper's code lives in
            # tornado.web and keeps the original as __wrapped__.
            assert hasattr(fn, "__wrapped__"), f"{cls.__name__}.{method} is not authenticated"
            assert fn.__code__.co_filename.endswith(("tornado/web.py", "tornado\\web.py")), method
            seen += 1
    assert seen >= 15


@pytest.mark.parametrize("pattern,cls", ROUTES)
async def test_every_route_refuses_requests_without_a_token(
    jp_fetch: Any, pattern: str, cls: type
) -> None:
    for method in _implemented(cls):
        kwargs: dict[str, Any] = {
            "method": method.upper(),
            "raise_error": False,
            "headers": {"Authorization": "token not-the-token"},
        }
        if method in ("post", "put", "patch"):
            kwargs["body"] = json.dumps({"action": "deploy", "name": "x", "spec": "x"})
        response = await jp_fetch("mlpipe", "api", *_sample_path(pattern), **kwargs)
        assert response.code == 403, (pattern, method, response.code)
        assert json.loads(response.body)["error"]["message"]


async def test_cookie_authenticated_mutation_needs_the_xsrf_token(
    jp_fetch: Any, jp_serverapp: Any, store: Store, running_group: int
) -> None:
    group = running_group
    # Log in the way a browser does: the token in the URL once, then only the cookie.
    login = await jp_fetch(
        "lab",
        params={"token": jp_serverapp.identity_provider.token},
        headers={"Authorization": ""},
        raise_error=False,
        follow_redirects=False,
    )
    cookies = [c.split(";")[0] for c in login.headers.get_list("Set-Cookie")]
    jar = "; ".join(cookies)
    assert any(c.startswith("username-") for c in cookies), cookies
    xsrf = next(c.split("=", 1)[1] for c in cookies if c.startswith("_xsrf="))
    url = ("mlpipe", "api", "groups", str(group), "stop")
    base = {"method": "POST", "body": b"", "raise_error": False}

    read = await jp_fetch(
        "mlpipe", "api", "groups", headers={"Authorization": "", "Cookie": jar}, raise_error=False
    )
    assert read.code == 200
    refused = await jp_fetch(*url, headers={"Authorization": "", "Cookie": jar}, **base)
    assert refused.code == 403
    assert store.stop_requests(group) == (False, set())
    allowed = await jp_fetch(
        *url, headers={"Authorization": "", "Cookie": jar, "X-XSRFToken": xsrf}, **base
    )
    assert allowed.code == 202
    assert store.stop_requests(group)[0] is True


@pytest.mark.parametrize(
    "parts,params,status",
    [
        (("groups", "abc"), None, 400),
        (("groups", "0"), None, 400),
        (("groups", "-3"), None, 400),
        (("groups", "1e3"), None, 400),
        (("groups", "99999999999999"), None, 400),
        (("groups", "..", "..", "etc"), None, 404),
        (("experiments", "x", "logs"), None, 400),
        (("experiments", "1", "logs"), {"tail": "0"}, 400),
        (("experiments", "1", "logs"), {"tail": "ten"}, 400),
        (("experiments", "1", "logs"), {"tail": "99999999"}, 400),
        (("groups", "1", "best"), None, 400),
        (("groups", "1", "best"), {"metric": "loss", "mode": "median"}, 400),
        (("groups", "1", "best"), {"metric": "loss; rm"}, 400),
        (("groups", "1", "metrics"), {"after": "not a cursor!"}, 400),
        (("groups", "1", "metrics"), {"after": "AAAA"}, 400),
        (("groups",), {"project": "../../etc"}, 400),
        (("groups",), {"project": "UPPER"}, 400),
        (("operations", "..%2F..%2Fpasswd"), None, 400),
        (("operations", "zzzzzzzzzzzz"), None, 400),
        (("operations", "0123456789ab"), None, 404),
    ],
)
async def test_malformed_reads_are_client_errors(
    jp_fetch: Any, group: int, parts: tuple[str, ...], params: dict[str, str] | None, status: int
) -> None:
    data = await fetch_json(jp_fetch, *parts, params=params, expect=status)
    assert set(data["error"]) == {"type", "message"}


@pytest.mark.parametrize(
    "parts,body,kind",
    [
        (("sweeps",), "not json", "BadRequest"),
        (("sweeps",), "[1, 2]", "BadRequest"),
        (("sweeps",), {}, "BadRequest"),
        (("sweeps",), {"spec": "a: 1", "file": "x.yml"}, "BadRequest"),
        (("sweeps",), {"spec": 5}, "BadRequest"),
        (("sweeps",), {"file": "../outside.yml"}, "InvalidName"),
        (("sweeps",), {"file": "/etc/passwd"}, "InvalidName"),
        (("sweeps",), {"spec": "a: 1", "name": "Bad Name!"}, "InvalidName"),
        (("operations",), {"action": "rm -rf", "name": "x"}, "BadRequest"),
        (("operations",), {"action": "deploy"}, "BadRequest"),
        (("operations",), {"action": "ship", "group": 1, "name": "../x"}, "InvalidName"),
        (("operations",), {"action": "deploy-experiment", "name": "x"}, "BadRequest"),
        (
            ("operations",),
            {"action": "deploy-experiment", "name": "x", "experiment": "1"},
            "BadRequest",
        ),
        (
            ("operations",),
            {"action": "deploy-experiment", "name": "x", "experiment": True},
            "BadRequest",
        ),
        (
            ("operations",),
            {"action": "deploy-experiment", "name": "x", "experiment": 1, "source": "/etc"},
            "InvalidName",
        ),
        (
            ("operations",),
            {"action": "deploy-experiment", "name": "x", "experiment": 1, "source": "../.."},
            "InvalidName",
        ),
        (
            ("operations",),
            {
                "action": "deploy-experiment",
                "name": "x",
                "experiment": 1,
                "checkpoints": ["../../secret"],
            },
            "InvalidName",
        ),
        (
            ("operations",),
            {
                "action": "deploy-experiment",
                "name": "x",
                "experiment": 1,
                "model_class": "os.system('x')",
            },
            "BadRequest",
        ),
        (
            ("operations",),
            {
                "action": "deploy-experiment",
                "name": "x",
                "experiment": 1,
                "requirements": ["-e /etc"],
            },
            "BadRequest",
        ),
        (("operations",), {"action": "ship", "group": 1, "image": "Not An Image"}, "BadRequest"),
        (("operations",), {"action": "deploy-best", "name": "x", "experiment": 1}, "BadRequest"),
        (("deployments", "x", "predict"), {"payload": "/etc/passwd"}, "BadRequest"),
        (("deployments", "x", "predict"), {}, "BadRequest"),
        (("deployments", "x", "predict"), {"file": "/etc/passwd"}, "InvalidName"),
        (("deployments", "x", "predict"), {"file": "../../etc/passwd"}, "InvalidName"),
        (("deployments", "x", "predict"), {"file": "a.png", "payload": [1]}, "BadRequest"),
        (("deployments", "Bad_Name", "predict"), {"payload": [1]}, "InvalidName"),
    ],
)
async def test_malformed_mutations_are_400_and_touch_nothing(
    jp_fetch: Any, store: Store, repos_root: Path, parts: tuple[str, ...], body: Any, kind: str
) -> None:
    (repos_root.parent / "outside.yml").write_text("version: 1\n")
    data = await fetch_json(jp_fetch, *parts, method="POST", body=body, expect=400)
    assert data["error"]["type"] == kind, data
    assert not (store.root / store.user / "_operations").exists()
    assert store.groups() == []


async def test_a_symlink_cannot_lead_a_source_path_out_of_the_repos_root(
    jp_fetch: Any, repos_root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (repos_root / "link").symlink_to(outside)
    data = await fetch_json(
        jp_fetch,
        "operations",
        method="POST",
        expect=400,
        body={"action": "deploy-experiment", "name": "x", "experiment": 1, "source": "link"},
    )
    assert data["error"]["type"] == "InvalidName"


async def test_oversized_bodies_are_refused(jp_fetch: Any) -> None:
    body = json.dumps({"spec": "x" * (1 << 20)})
    data = await fetch_json(jp_fetch, "sweeps", method="POST", body=body, expect=400)
    assert "limit" in data["error"]["message"]


async def test_delete_with_a_bad_name_is_refused(jp_fetch: Any) -> None:
    data = await fetch_json(jp_fetch, "deployments", "..", method="DELETE", expect=400)
    assert data["error"]["type"] == "InvalidName"
