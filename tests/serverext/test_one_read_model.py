"""The same hostile records fed to every front end give the same rows.

NaN, ±inf, null, bools and text in a metrics log, a torn last line, a corrupt status record and a
params record that is a list: the REST API, the Python API's records and DataFrame, the CLI's JSON,
the magics, the dashboard widget and the live plot's lines all say the same.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.store import Store
from tests.fixtures.hostile import EXPECTED_METRICS, expected_rows, write_hostile_group

from .conftest import fetch_json


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _facts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": int(r["id"]),
            "status": r["status"],
            "params": r["params"],
            "loss": _number(r.get("loss")),
            "acc": _number(r.get("acc")),
        }
        for r in rows
    ]


def _from_frame(frame: Any) -> list[dict[str, Any]]:
    rows = []
    for eid, row in frame.iterrows():
        params = {"lr": row["lr"]} if "lr" in row and not _missing(row["lr"]) else {}
        rows.append({"id": eid, "status": row["status"], "params": params, **row.to_dict()})
    return _facts(rows)


def _missing(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


@pytest.mark.integration
async def test_every_front_end_shows_the_same_rows(
    jp_fetch: Any, store: Store, tmp_path: Path
) -> None:
    store, gid = write_hostile_group(store.root, project=store.project, user=store.user)
    expected = expected_rows(store, gid)
    api = Mlpipe()

    # REST (what the sidebar reads)
    detail = await fetch_json(jp_fetch, "groups", str(gid))
    rest = [
        {
            "id": e["id"],
            "status": e["status"],
            "params": e["params"],
            "loss": e["metrics"].get("loss", {}).get("last"),
            "acc": e["metrics"].get("acc", {}).get("last"),
        }
        for e in detail["experiments"]
    ]
    assert rest == expected
    assert detail["experiments"][0]["metrics"] == EXPECTED_METRICS
    assert "status.json" in detail["experiments"][1]["damaged"]
    assert detail["group"]["best"] == expected[2]["id"]  # by loss:min, among succeeded ones

    # the Python API: typed records and the DataFrame
    records = [
        {"id": r.id, "status": r.status, "params": dict(r.params),
         "loss": r.last("loss"), "acc": r.last("acc")}
        for r in api.experiment_rows(gid)
    ]  # fmt: skip
    assert records == expected
    assert _from_frame(api.experiments(gid)) == expected
    assert api.best(gid).id == expected[2]["id"] == api.group(gid).best

    # the CLI's JSON, from another process
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_mlpipe.cli", "experiments", str(gid), "--format", "json"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    cli = [{**r, "params": {"lr": r["lr"]} if r.get("lr") is not None else {}}
           for r in json.loads(done.stdout)]  # fmt: skip
    assert _facts(cli) == expected

    # the magics return the API's DataFrame
    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_mlpipe.magics import register

    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    register(shell, api=api)
    try:
        assert _from_frame(shell.run_line_magic("mlpipe", f"experiments {gid}")) == expected
        assert shell.run_line_magic("mlpipe", f"best {gid}").id == expected[2]["id"]
    finally:
        InteractiveShell.clear_instance()

    # the dashboard widget
    from jupyter_mlpipe.widgets import Dashboard

    board = Dashboard(api, group=gid)
    try:
        board.tick()
        shown = [
            {"id": r.id, "status": r.status, "params": r.params,
             "loss": _number(r.latest.get("loss")), "acc": _number(r.latest.get("acc"))}
            for r in board.rows
        ]  # fmt: skip
        assert shown == expected
        assert board.best == expected[2]["id"]
    finally:
        board.close()

    # the live plot's lines hold the finite points, in order, and highlight the same best
    from jupyter_mlpipe.api.plotting import GroupSource, SeriesStore

    source, series = GroupSource(api, gid), SeriesStore(None)
    series.add(source.poll())
    series.highlight, _ = source.best()
    first = expected[0]["id"]
    assert list(series.lines["loss"][first].y) == [
        0.9, 0.5, 0.3, 0.25,
    ]  # fmt: skip
    assert series.best("loss") == expected[2]["id"]
