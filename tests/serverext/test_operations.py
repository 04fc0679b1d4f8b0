"""POST / GET operations: the sidebar's "Deploy best" runs the API's ship pipeline."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.store import Store
from jupyter_mlpipe.store.files import atomic_write_json

from .conftest import fetch_json, make_group

MODEL = (
    "class TinyModel:\n"
    "    def __init__(self):\n"
    "        self.w = open('model.dat').read()\n"
    "    def predict(self, X, names=None):\n"
    "        return X\n"
)


@pytest.fixture
def model_source(repos_root: Path) -> Path:
    source = repos_root / "model"
    source.mkdir()
    (source / "TinyModel.py").write_text(MODEL)
    return source


@pytest.fixture
def no_servers_left() -> Iterator[None]:
    yield
    api = Mlpipe()
    for name in api.deployments().index:
        api.undeploy(name)


async def _wait(jp_fetch: Any, op_id: str) -> dict[str, Any]:
    for _ in range(1200):
        data = await fetch_json(jp_fetch, "operations", op_id)
        if data["status"] not in ("queued", "running"):
            return data  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)
    raise AssertionError(f"operation {op_id} did not finish: {data}")


async def test_deploy_best_ships_the_best_by_the_direction_asked(
    jp_fetch: Any, store: Store, group: int, model_source: Path, no_servers_left: None
) -> None:
    # make_group: loss falls and acc rises with the experiment's index, so min loss is the last
    ids = store.experiment_ids(group)
    record = await fetch_json(
        jp_fetch,
        "operations",
        method="POST",
        expect=202,
        body={"action": "deploy-best", "group": group, "metric": "loss", "mode": "min",
              "source": "model"},
    )  # fmt: skip
    assert record["status"] == "queued" and record["action"] == "ship"
    assert [s["name"] for s in record["steps"]] == ["best", "package", "build", "deploy"]
    final = await _wait(jp_fetch, record["id"])
    assert final["status"] == "succeeded", final["error"]
    assert final["result"]["best"]["experiment"] == ids[-1]
    name = f"{store.project}-g{group}-e{ids[-1]}"
    assert final["result"]["package"]["name"] == name
    assert final["result"]["deploy"]["url"].startswith("http://127.0.0.1:")
    assert [s["status"] for s in final["steps"]] == ["succeeded", "succeeded", "skipped",
                                                     "succeeded"]  # fmt: skip
    listed = await fetch_json(jp_fetch, "operations")
    assert listed["operations"][0] == final
    on_disk = store.root / store.user / "_operations" / f"{record['id']}.json"
    assert json.loads(on_disk.read_text())["status"] == "succeeded"


async def test_a_second_deploy_best_never_replaces_a_served_package(
    jp_fetch: Any, store: Store, group: int, model_source: Path, no_servers_left: None
) -> None:
    ids = store.experiment_ids(group)
    body = {"action": "deploy-experiment", "experiment": ids[0], "name": "served",
            "source": "model"}  # fmt: skip
    first = await fetch_json(jp_fetch, "operations", method="POST", expect=202, body=body)
    assert (await _wait(jp_fetch, first["id"]))["status"] == "succeeded"
    body = {**body, "experiment": ids[1], "force": True}
    second = await fetch_json(jp_fetch, "operations", method="POST", expect=202, body=body)
    final = await _wait(jp_fetch, second["id"])
    assert final["status"] == "failed"
    assert final["error"]["type"] == "PackageError"
    assert "mlpipe undeploy served" in final["error"]["message"]
    assert final["steps"][0]["status"] == "failed"


async def test_a_failed_step_is_recorded_with_its_error(jp_fetch: Any, store: Store) -> None:
    gid = make_group(store, 1)
    eid = store.experiment_ids(gid)[0]
    for name in ("model.dat", "output.log", "metrics.jsonl"):
        (store.experiment_dir(eid) / name).unlink()
    record = await fetch_json(
        jp_fetch,
        "operations",
        method="POST",
        expect=202,
        body={"action": "ship", "experiment": eid, "source": ".", "model_class": "Nothing"},
    )
    final = await _wait(jp_fetch, record["id"])
    assert final["status"] == "failed"
    assert final["error"]["type"] == "PackageError"
    assert final["steps"][0]["message"] == final["error"]["message"]


async def test_an_operation_of_a_dead_process_reads_as_interrupted(
    jp_fetch: Any, store: Store
) -> None:
    op_id = "0123456789ab"
    atomic_write_json(
        store.root / store.user / "_operations" / f"{op_id}.json",
        {
            "id": op_id, "action": "deploy-best", "request": {}, "status": "running",
            "created": 1.0, "updated": 1.0, "steps": [], "result": {}, "error": None,
            "server": {"pid": 2**22 + 7, "create_time": 1.0},
        },
    )  # fmt: skip
    data = await fetch_json(jp_fetch, "operations", op_id)
    assert data["status"] == "failed"
    assert data["error"]["type"] == "Interrupted"


async def test_a_damaged_record_is_listed_as_damaged_not_a_500(jp_fetch: Any, store: Store) -> None:
    folder = store.root / store.user / "_operations"
    folder.mkdir(parents=True)
    (folder / "00000000000a.json").write_text('{"id": "00000000000a", "created": ' + "9" * 400)
    (folder / "00000000000b.json").write_text(
        json.dumps(
            {
                "id": "00000000000b",
                "action": "ship",
                "status": "queued",
                "created": 1,
                "updated": 1,
                "request": {"group": 2**70},
            }
        )  # fmt: skip
    )
    listed = await fetch_json(jp_fetch, "operations")
    assert {op["id"]: op["status"] for op in listed["operations"]} == {
        "00000000000a": "damaged",
        "00000000000b": "damaged",
    }
    one = await fetch_json(jp_fetch, "operations", "00000000000b")
    assert one["error"]["type"] == "DamagedRecord"


@pytest.mark.parametrize(
    "body,message",
    [
        ({"action": "deploy-best", "group": 1, "surprise": 1}, "unknown field(s) 'surprise'"),
        ({"action": "package", "experiment": 1}, "action must be one of"),
        ({"action": "deploy-best"}, "needs group"),
        ({"action": "ship"}, "exactly one of group, experiment"),
        ({"action": "ship", "group": 1, "experiment": 2}, "exactly one of group, experiment"),
        ({"action": "deploy-best", "group": 1, "mode": "median"}, "mode must be"),
        ({"action": "deploy-best", "group": 1, "backend": "ssh"}, "backend must be"),
        ({"action": "deploy-best", "group": 1, "force": "yes"}, "true or false"),
        ({"action": "deploy-best", "group": 2**53}, "beyond ±(2**53 - 1)"),
        ({"action": "deploy-experiment", "experiment": 0}, "positive integer"),
    ],
)
async def test_bad_ship_requests_are_400_and_record_nothing(
    jp_fetch: Any, store: Store, body: dict[str, Any], message: str
) -> None:
    data = await fetch_json(jp_fetch, "operations", method="POST", body=body, expect=400)
    assert data["error"]["type"] == "BadRequest" and message in data["error"]["message"], data
    assert not (store.root / store.user / "_operations").exists()
