"""REST handlers against a real Jupyter server (pytest-jupyter) over a store written on disk."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.store import Store
from jupyter_mlpipe.store.files import append_jsonl

from .conftest import fetch_json


async def test_groups_lists_the_group_with_counts(jp_fetch: Any, group: int) -> None:
    data = await fetch_json(jp_fetch, "groups")
    [row] = data["groups"]
    assert row["id"] == group
    assert row["name"] == f"sweep-{group}"
    assert row["counts"]["succeeded"] == 4


async def test_group_detail_has_params_and_metric_summaries(jp_fetch: Any, group: int) -> None:
    data = await fetch_json(jp_fetch, "groups", str(group))
    assert data["group"]["id"] == group
    assert data["counts"]["succeeded"] == 4
    assert data["params"] == ["lr", "opt"]
    assert sorted(data["metrics"]) == ["acc", "loss"]
    first = data["experiments"][0]
    assert first["status"] == "succeeded"
    assert first["params"] == {"lr": 0.1, "opt": "sgd"}
    loss = first["metrics"]["loss"]
    # steps 0..2 log 1.0 + 0.3, 0.2, 0.1: last is the smallest here
    assert loss["last"] == loss["min"]
    assert loss["max"] > loss["min"]
    assert isinstance(first["started"], float)  # timestamps travel as seconds since the epoch


async def test_metrics_are_incremental(jp_fetch: Any, store: Store, group: int) -> None:
    first = await fetch_json(jp_fetch, "groups", str(group), "metrics")
    assert len(first["points"]) == 4
    some = next(iter(first["points"].values()))
    assert [p[0] for p in some["loss"]] == [0, 1, 2]
    again = await fetch_json(
        jp_fetch, "groups", str(group), "metrics", params={"after": first["cursor"]}
    )
    assert again["points"] == {}
    eid = store.experiment_ids(group)[-1]
    append_jsonl(
        store.metrics_path(eid), {"step": 3, "time": time.time(), "values": {"loss": 0.01}}
    )
    third = await fetch_json(
        jp_fetch, "groups", str(group), "metrics", params={"after": again["cursor"]}
    )
    assert list(third["points"]) == [str(eid)]
    assert third["points"][str(eid)]["loss"][0][0] == 3
    assert third["points"][str(eid)]["loss"][0][2] == 0.01


async def test_non_finite_metric_values_become_null(
    jp_fetch: Any, store: Store, group: int
) -> None:
    eid = store.experiment_ids(group)[0]
    append_jsonl(store.metrics_path(eid), {"step": 9, "time": 1.0, "values": {"loss": None}})
    data = await fetch_json(jp_fetch, "groups", str(group), "metrics")
    assert data["points"][str(eid)]["loss"][-1] == [9, 1.0, None]


async def test_log_tail(jp_fetch: Any, store: Store, group: int) -> None:
    eid = store.experiment_ids(group)[0]
    data = await fetch_json(jp_fetch, "experiments", str(eid), "logs", params={"tail": "3"})
    assert data == {"experiment": eid, "lines": ["line 47", "line 48", "line 49"]}


async def test_best_by_metric(jp_fetch: Any, store: Store, group: int) -> None:
    data = await fetch_json(
        jp_fetch, "groups", str(group), "best", params={"metric": "loss", "mode": "min"}
    )
    # experiment k logs a last loss of 1/(k+1) + 0.1: the last experiment wins
    assert data["experiment"]["id"] == store.experiment_ids(group)[-1]
    high = await fetch_json(
        jp_fetch, "groups", str(group), "best", params={"metric": "loss", "mode": "max"}
    )
    assert high["experiment"]["id"] == store.experiment_ids(group)[0]


async def test_stop_requests_reach_the_store(
    jp_fetch: Any, store: Store, running_group: int
) -> None:
    group = running_group
    eid = store.experiment_ids(group)[1]
    await fetch_json(jp_fetch, "experiments", str(eid), "stop", method="POST", expect=202)
    assert store.stop_requests(group) == (False, {eid})
    await fetch_json(jp_fetch, "groups", str(group), "stop", method="POST", expect=202)
    assert store.stop_requests(group)[0] is True


async def test_unknown_ids_are_404_with_a_json_error(jp_fetch: Any, group: int) -> None:
    data = await fetch_json(jp_fetch, "groups", "999", expect=404)
    assert data["error"]["type"] == "NotFound"
    assert "999" in data["error"]["message"]
    await fetch_json(jp_fetch, "experiments", "999", "logs", expect=404)
    data = await fetch_json(jp_fetch, "no", "such", "route", expect=404)
    assert "openapi.json" in data["error"]["message"]


async def test_deployments_empty_and_unknown(jp_fetch: Any) -> None:
    assert await fetch_json(jp_fetch, "deployments") == {"deployments": []}
    data = await fetch_json(
        jp_fetch,
        "deployments",
        "nope",
        "predict",
        method="POST",
        body={"payload": [[1, 2]]},
        expect=404,
    )
    assert data["error"]["type"] == "NotFound"
    await fetch_json(jp_fetch, "deployments", "nope", method="DELETE", expect=404)


async def test_openapi_describes_every_route(jp_fetch: Any) -> None:
    import re

    from jupyter_mlpipe.serverext.handlers import ROUTES

    doc = await fetch_json(jp_fetch, "openapi.json")
    assert doc["openapi"].startswith("3.")
    described = {re.sub(r"\{[a-z_]+\}", "([^/]+)", p.strip("/")) for p in doc["paths"]}
    routed = {pattern.replace("\\.", ".") for pattern, _ in ROUTES if pattern != ".*"}
    assert routed == described


async def test_sweep_with_a_broken_spec_is_a_400_spec_error(
    jp_fetch: Any, repos_root: Path
) -> None:
    data = await fetch_json(
        jp_fetch,
        "sweeps",
        method="POST",
        body={"spec": "version: 1\nkind: group\nhptuning: [\n"},
        expect=400,
    )
    assert data["error"]["type"] == "SpecError"


async def test_a_rewritten_metrics_log_is_reported_as_reset(
    jp_fetch: Any, store: Store, group: int
) -> None:
    first = await fetch_json(jp_fetch, "groups", str(group), "metrics")
    eid = store.experiment_ids(group)[0]
    store.metrics_path(eid).write_text('{"step": 0, "time": 1.0, "values": {"loss": 5.0}}\n')
    again = await fetch_json(
        jp_fetch, "groups", str(group), "metrics", params={"after": first["cursor"]}
    )
    assert again["reset"] == [eid]
    assert again["points"][str(eid)]["loss"] == [[0, 1.0, 5.0]]


@pytest.fixture
def no_repos_root_setting(repos_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLPIPE_REPOS_ROOT")


async def test_repos_root_defaults_to_the_jupyter_root_folder(
    no_repos_root_setting: None, jp_serverapp: Any, jp_root_dir: Path
) -> None:
    api = jp_serverapp.web_app.settings["mlpipe.api"]
    assert api.settings.repos_root == jp_root_dir.resolve()


async def test_an_explicit_repos_root_wins(jp_serverapp: Any, repos_root: Path) -> None:
    assert jp_serverapp.web_app.settings["mlpipe.api"].settings.repos_root == repos_root.resolve()
