"""The incremental experiments table agrees with the Python API after every kind of change."""

from __future__ import annotations

import math
import time

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.serverext.table import ExperimentTable, TableCache
from jupyter_mlpipe.store import Store
from jupyter_mlpipe.store.files import append_jsonl
from jupyter_mlpipe.store.records import ExperimentStatus

from .conftest import make_group


def _same_as_api(table: ExperimentTable, api: Mlpipe, gid: int) -> None:
    rows, params, metrics = table.rows()
    frame = api.experiments(gid)
    assert [r["id"] for r in rows] == [int(i) for i in frame.index]
    for row in rows:
        expected = frame.loc[row["id"]]
        assert row["status"] == expected["status"]
        for name in params:
            want = expected.get(name)
            if isinstance(want, float) and math.isnan(want):  # the frame's hole for "not set"
                assert name not in row["params"], name
            else:
                assert row["params"][name] == want, name
        for name in metrics:
            got, want = row["metrics"].get(name), expected.get(name)
            if want is None or (isinstance(want, float) and math.isnan(want)):
                assert got is None or got["last"] is None
                continue
            assert got["last"] == want
            assert got["min"] == expected[f"{name}.min"]
            assert got["max"] == expected[f"{name}.max"]


def test_rows_follow_appends_status_changes_new_experiments_and_rewrites(store: Store) -> None:
    api = Mlpipe()
    gid = make_group(store, 3, status="running")
    table = ExperimentTable(store.group_dir(gid))
    _same_as_api(table, api, gid)
    rows, params, metrics = table.rows()
    assert params == ["lr", "opt"] and metrics == ["loss", "acc"]
    assert {r["status"] for r in rows} == {"running"}

    first, second, third = store.experiment_ids(gid)
    append_jsonl(
        store.metrics_path(first),
        {"step": 9, "time": time.time(), "values": {"loss": -1.0, "f1": 0.5}},
    )
    store.write_status(second, ExperimentStatus(status="failed", exit_code=1, attempt=2))
    [fourth] = store.create_experiments(gid, [{"lr": 9.0, "opt": "adam", "extra": 1}])
    _same_as_api(table, api, gid)
    rows, params, metrics = table.rows()
    assert params == ["lr", "opt", "extra"] and "f1" in metrics
    by_id = {r["id"]: r for r in rows}
    assert by_id[first]["metrics"]["loss"]["min"] == -1.0
    assert by_id[second]["status"] == "failed" and by_id[second]["attempt"] == 2
    assert by_id[fourth]["status"] == "queued" and by_id[fourth]["metrics"] == {}

    # a retry rewrites the metrics log from scratch: the old summaries go away
    store.metrics_path(third).write_text('{"step": 0, "time": 1.0, "values": {"loss": 7.0}}\n')
    _same_as_api(table, api, gid)
    assert {r["id"]: r for r in table.rows()[0]}[third]["metrics"]["loss"]["max"] == 7.0


def test_cache_keeps_the_most_recent_tables(store: Store) -> None:
    cache = TableCache(size=2)
    dirs = [store.group_dir(make_group(store, 1)) for _ in range(3)]
    first = cache.get(dirs[0])
    assert cache.get(dirs[0]) is first
    cache.get(dirs[1])
    cache.get(dirs[2])
    assert cache.get(dirs[0]) is not first  # evicted as the least recently used
