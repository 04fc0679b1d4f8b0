"""Fixtures for the server extension: a Jupyter server with the extension loaded, and a store
holding one finished group written through the store API (no processes)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

# The Jupyter server fixtures (jp_fetch, jp_serverapp, ...) and their async test runner,
# scoped to this folder.
from pytest_jupyter.jupyter_server import *  # noqa: F403

from jupyter_mlpipe.settings import Settings
from jupyter_mlpipe.store import Store
from jupyter_mlpipe.store.files import append_jsonl
from jupyter_mlpipe.store.records import ExperimentStatus, GroupRecord


@pytest.fixture
def jp_server_config() -> dict[str, Any]:
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mlpipe.serverext": True}}}


@pytest.fixture(autouse=True)
def repos_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # autouse: the server reads its settings when it starts, before other fixtures run
    root = tmp_path / "repos"
    root.mkdir()
    monkeypatch.setenv("MLPIPE_REPOS_ROOT", str(root))
    return root


def make_group(store: Store, n: int, steps: int = 3, status: str = "succeeded") -> int:
    """Write a group of ``n`` experiments with params, statuses and ``loss``/``acc`` metrics."""
    now = time.time()

    def record(gid: int) -> GroupRecord:
        return GroupRecord(
            id=gid,
            project=store.project,
            user=store.user,
            name=f"sweep-{gid}",
            created=now,
            spec_file="",
            project_dir=str(store.root),
            algorithm="grid",
            backend="local",
            concurrency=2,
            planned=n,
            status=status,
        )

    gid = store.create_group(record, "version: 1\nkind: group\n").id
    ids = store.create_experiments(gid, [{"lr": 0.1 * (i + 1), "opt": "sgd"} for i in range(n)])
    for k, eid in enumerate(ids):
        folder = store.experiment_dir(eid)
        for step in range(steps):
            loss = 1.0 / (k + 1) + 0.1 * (steps - step)
            append_jsonl(
                folder / "metrics.jsonl",
                {"step": step, "time": now + step, "values": {"loss": loss, "acc": 1 - loss}},
            )
        (folder / "output.log").write_text("".join(f"line {i}\n" for i in range(50)))
        (folder / "model.dat").write_bytes(b"weights")
        store.write_status(
            eid,
            ExperimentStatus(
                status=status, created=now, started=now, finished=now + 5, exit_code=0, attempt=1
            ),
        )
    return gid


@pytest.fixture
def store(repos_root: Path) -> Store:
    settings = Settings.load()
    return Store(settings.outputs_root, settings.user, settings.project)


@pytest.fixture
def group(store: Store) -> int:
    return make_group(store, 4)


@pytest.fixture
def running_group(store: Store) -> int:
    """A group still running (its supervisor just started): stop requests reach it."""
    return make_group(store, 4, status="running")


async def fetch_json(
    jp_fetch: Any,
    *parts: str,
    method: str = "GET",
    body: Any = None,
    params: dict[str, Any] | None = None,
    expect: int = 200,
) -> Any:
    """Call the API with the test token and return the decoded body, checking the status."""
    kwargs: dict[str, Any] = {"method": method, "raise_error": False}
    if params:
        kwargs["params"] = params
    if body is not None:
        kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
    elif method in ("POST", "PUT"):
        kwargs["body"] = b""
        kwargs["allow_nonstandard_methods"] = True
    response = await jp_fetch("mlpipe", "api", *parts, **kwargs)
    data = json.loads(response.body) if response.body else None
    assert response.code == expect, (response.code, data)
    return data


def env_roots() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("MLPIPE_")}
