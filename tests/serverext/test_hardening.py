"""REST hardening: client mistakes are 400s (never 500s) and nothing out of range is saved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.serverext import handlers
from jupyter_mlpipe.store import Store

from .conftest import fetch_json

pytestmark = pytest.mark.usefixtures("group")
OPENAPI = Path(handlers.__file__).with_name("openapi.yaml")


@pytest.mark.parametrize("eid", ["%C2%B2", "%D9%A1", "%DB%B3", "9999999999999999999", "1%0A"])
async def test_non_ascii_or_huge_ids_are_400(jp_fetch: Any, eid: str) -> None:
    for parts in (("experiments", eid, "logs"), ("groups", eid), ("groups", eid, "metrics")):
        data = await fetch_json(jp_fetch, *parts, expect=400)
        assert data["error"]["type"] == "BadRequest", (parts, data)


async def test_a_body_nested_100000_deep_is_400(jp_fetch: Any, store: Store) -> None:
    body = '{"spec": ' + "[" * 100_000 + "]" * 100_000 + "}"
    data = await fetch_json(jp_fetch, "sweeps", method="POST", body=body, expect=400)
    assert "nests deeper" in data["error"]["message"]
    assert len(store.groups()) == 1


async def test_huge_integers_are_400_and_never_saved(jp_fetch: Any, store: Store) -> None:
    body = ('{"action": "package", "name": "m", "experiment": 1000000000000000000000000000000}')
    data = await fetch_json(jp_fetch, "operations", method="POST", body=body, expect=400)
    assert data["error"]["type"] == "BadRequest"
    assert not (store.root / store.user / "_operations").exists()
    listed = await fetch_json(jp_fetch, "operations")
    assert listed["operations"] == []


@pytest.mark.parametrize(
    "parts,body,allowed",
    [
        (("sweeps",), {"spec": "version: 1\n", "concurency": 3},
         "file, name, objective, project, spec"),
        (("operations",), {"action": "build", "name": "m", "forse": True}, "action,"),
        (("deployments", "m", "predict"), {"payload": [1], "pyload": [2]}, "file, payload"),
    ],
)
async def test_unknown_fields_are_refused_by_name(
    jp_fetch: Any, store: Store, parts: tuple[str, ...], body: dict[str, Any], allowed: str
) -> None:
    data = await fetch_json(jp_fetch, *parts, method="POST", body=json.dumps(body), expect=400)
    message = data["error"]["message"]
    unknown = (set(body) - {"spec", "action", "name", "payload"}).pop()
    assert repr(unknown) in message and allowed in message, message
    assert len(store.groups()) == 1
    assert not (store.root / store.user / "_operations").exists()


async def test_a_log_tail_is_bounded_by_bytes(jp_fetch: Any, store: Store, group: int) -> None:
    eid = store.experiment_ids(group)[0]
    with open(store.log_path(eid), "wb") as fh:  # 8 MB of one line
        for _ in range(128):
            fh.write(b"q" * (1 << 16))
    data = await fetch_json(jp_fetch, "experiments", str(eid), "logs", params={"tail": "5"})
    assert len(data["lines"]) == 1 and len(data["lines"][0]) <= 1 << 20
    with open(store.log_path(eid), "ab") as fh:
        fh.write(b"\n" + b"".join(b"line %d\n" % i for i in range(10)))
    data = await fetch_json(jp_fetch, "experiments", str(eid), "logs", params={"tail": "5"})
    assert data["lines"] == [f"line {i}" for i in range(5, 10)]



async def test_a_damaged_status_record_does_not_break_the_group_view(
    jp_fetch: Any, store: Store, group: int
) -> None:
    first = store.experiment_ids(group)[0]
    (store.experiment_dir(first) / "status.json").write_text('{"status": "running", "started": "x"')
    (store.experiment_dir(first) / "params.json").write_text("[")
    data = await fetch_json(jp_fetch, "groups", str(group))
    assert data
    assert await fetch_json(jp_fetch, "groups")


def test_the_allowed_body_fields_are_the_documented_ones() -> None:
    """``only`` refuses what the OpenAPI request schemas do not list, and nothing they list."""
    import yaml

    from jupyter_mlpipe.serverext import requests as rq

    doc = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))

    def documented(path: str) -> set[str]:
        body = doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        return set(body["schema"]["properties"])

    assert documented("/sweeps") == set(rq.SWEEP_FIELDS)
    assert documented("/deployments/{name}/predict") == set(rq.PREDICT_FIELDS)
    assert documented("/operations") == set(rq._SHIP_FIELDS)


async def test_a_flood_of_metric_lines_is_paged_and_decimated(
    jp_fetch: Any, store: Store, group: int
) -> None:
    """10⁶ lines once made one 89 MB answer; now each answer reads one page of the log."""
    eid = store.experiment_ids(group)[0]
    line = b'{"step": %d, "time": 1.0, "values": {"loss": %d.5, "acc": 0.5}}\n'
    with open(store.metrics_path(eid), "ab") as fh:
        fh.write(b"".join(line % (i, i % 997) for i in range(200_000)))  # ~12 MB
    sizes, cursor, points = [], None, 0
    while True:
        params = {"after": cursor} if cursor else {}
        response = await jp_fetch(
            "mlpipe", "api", "groups", str(group), "metrics", params=params, method="GET"
        )
        body = json.loads(response.body)
        sizes.append(len(response.body))
        points += sum(len(s["loss"]) for s in body["points"].values() if "loss" in s)
        cursor = body["cursor"]
        if not body["more"]:
            break
    assert len(sizes) >= 3 and max(sizes) < 1_000_000, sizes  # pages, each decimated
    assert points < 200_000  # decimated to at most ~5,000 points per series and page
