"""Time to compute every view of a 1,000-experiment group, importance included.

A synthetic group is written to a temporary store: 1,000 succeeded experiments over four params
(two floats, an integer, a categorical), each with 20 points of ``loss`` and ``accuracy``, the
group's objective ``accuracy:max``. Measured through the API, as the REST routes and a notebook
call it:

* **warm**: the API object already holds the group's read model (what the Jupyter server and a
  notebook's repeated calls see): importance (mean decrease impurity), parallel coordinates,
  history, slices, and comparing 5 experiments;
* **cold**: a new API object — the first view reads all 1,000 experiments' records;
* the peers: the same importance with Optuna's default evaluator (fANOVA) and with PED-ANOVA, on
  the same in-memory study.

Target: all views ≤ 1 s (warm). Results: bench/results/views.json.

Run: .venv/bin/python bench/views.py [--experiments 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "views.json"


def write_group(root: Path, n: int) -> int:
    from jupyter_mlpipe.store import GroupRecord, Objective, Store
    from jupyter_mlpipe.store.files import append_jsonl
    from jupyter_mlpipe.store.records import ExperimentStatus

    store = Store(root, "bench", "views")
    rng = random.Random(0)
    params = [
        {
            "lr": rng.uniform(0.001, 0.1),
            "momentum": rng.uniform(0.5, 0.9),
            "batch": rng.choice([16, 32, 64, 128]),
            "optimizer": rng.choice(["sgd", "adam", "rmsprop"]),
        }
        for _ in range(n)
    ]
    now = time.time()
    record = store.create_group(
        lambda gid: GroupRecord(
            id=gid, project="views", user="bench", name="bench", created=now, spec_file="<bench>",
            project_dir=str(root), algorithm="random", backend="local", concurrency=4,
            planned=n, status="succeeded", finished=now, objective=Objective("accuracy", "max"),
        ),
        "version: 1\nkind: group\n",
    )
    ids = store.create_experiments(record.id, params)
    for eid, p in zip(ids, params, strict=True):
        best = 1 - 3 * p["lr"] + (0.02 if p["optimizer"] == "adam" else 0) + rng.gauss(0, 0.01)
        folder = store.experiment_dir(eid)
        with open(folder / "metrics.jsonl", "w") as fh:
            for step in range(1, 21):
                acc = best * (1 - 0.5 / step)
                fh.write(json.dumps({"step": step, "time": now, "values": {
                    "loss": 1 - acc, "accuracy": acc}}) + "\n")
        store.write_status(eid, ExperimentStatus(
            status="succeeded", created=now, started=now, finished=now + 1, exit_code=0, attempt=1))
    append_jsonl(store.group_dir(record.id) / "events.jsonl", {"event": "bench"})
    return record.id


def all_views(api: Any, group: int) -> dict[str, float]:
    times: dict[str, float] = {}
    for name, call in (
        ("importance", lambda: api.importance(group)),  # first: a cold API reads the group here
        ("parallel", lambda: api.parallel_coordinates(group)),
        ("history", lambda: api.history(group)),
        ("slices", lambda: api.slices(group)),
        ("compare_5", lambda: api.compare(range(1, 6))),
    ):
        t0 = time.perf_counter()
        view = call()
        times[name] = time.perf_counter() - t0
        assert not view.reason, view.reason
    times["total"] = sum(times.values())
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from jupyter_mlpipe.api import Mlpipe

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        group = write_group(root, args.experiments)
        colds, warms = [], []
        for _ in range(args.repeat):
            api = Mlpipe(outputs_root=str(root), user="bench", project="views")
            colds.append(all_views(api, group))
            warms.append(all_views(api, group))
        peers = {}
        for method in ("ped-anova", "fanova"):
            t0 = time.perf_counter()
            ranked = api.importance(group, method=method)
            peers[f"importance_{method}_s"] = time.perf_counter() - t0
            peers[f"importance_{method}_top"] = next(iter(ranked.importances))
        top = next(iter(api.importance(group).importances))

    def median(runs: list[dict[str, float]]) -> dict[str, float]:
        return {k: statistics.median(r[k] for r in runs) for k in runs[0]}

    warm, cold = median(warms), median(colds)
    result = {
        "experiments": args.experiments,
        "repeat": args.repeat,
        "warm_s": warm,
        "cold_s": cold,
        "importance_mdi_top": top,
        **peers,
        "target_s": 1.0,
        "meets_target": warm["total"] <= 1.0,
        "cpus": os.cpu_count(),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
