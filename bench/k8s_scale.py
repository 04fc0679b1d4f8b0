"""Kubernetes scale benchmark: a 1,000-experiment random sweep submitted to the API double.

Both variants use the real Kubernetes executor, the official client and the loopback API double
(no cluster is reachable here), in the same run, over the same 1,000 launches built by the real
search and launch code:

  indexed     what ``--backend kubernetes`` does for grid/random groups: one Indexed Job + one
              ConfigMap, then the whole sweep runs to the end (the double's Job controller runs
              every pod with a scripted success), status arriving through one pod list + watch.
  per-trial   the peer: one Job + one ConfigMap per experiment (how adaptive searches submit,
              and how a Polyaxon-v0-style scheduler would): submission only.

Counted from the double's request log: objects created, write requests to submit (POST/PATCH),
and every request made while the indexed sweep ran to the end (one pod list + one watch: no
polling loop). Submit seconds are wall time on loopback, the double's own controller included.
Targets: 2 objects for the indexed sweep; API calls independent of the number of experiments.

Usage: python bench/k8s_scale.py [--experiments 1000] [--parallelism 50]
Writes bench/results/k8s_scale.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPEC = """\
version: 1
kind: group
hptuning:
  seed: 7
  concurrency: {concurrency}
  random_search:
    n_experiments: {n}
  matrix:
    lr:
      uniform: 0.001:0.1
    momentum:
      uniform: 0.5:0.6
build:
  image: registry.local/trainer:1
run:
  cmd: python run.py --lr={{{{ lr }}}} --momentum={{{{ momentum }}}}
"""


def _launches(store: Any, algorithm: str, n: int, parallelism: int) -> tuple[Any, list[Any]]:
    from jupyter_mlpipe.engine.launch import make_launch
    from jupyter_mlpipe.search import make_search
    from jupyter_mlpipe.settings import Settings
    from jupyter_mlpipe.spec import parse_spec
    from jupyter_mlpipe.store import GroupRecord

    text = SPEC.format(n=n, concurrency=parallelism)
    spec = parse_spec(text)
    group = store.create_group(lambda gid: GroupRecord(
        id=gid, project=store.project, user=store.user, name="scale", created=time.time(),
        spec_file="scale.yml", project_dir=str(store.root), algorithm=algorithm,
        backend="kubernetes", concurrency=parallelism, planned=n), text)
    search = make_search(spec)
    params = []
    while (s := search.ask()) is not None:
        params.append(spec.params_for(s.params))
        search.tell(s.number, None)
    ids = store.create_experiments(group.id, params)
    settings = Settings.load()
    return group, [make_launch(store, group, spec, eid, p, 1, settings)
                   for eid, p in zip(ids, params, strict=True)]


def _requests(kd: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in kd.server.requests:
        plural = next((p for p in ("jobs", "configmaps", "pods", "log") if f"/{p}" in r.path), "")
        key = f"{r.method} {plural}" + (" watch" if r.query.get("watch") in ("true", "1") else "")
        out[key] = out.get(key, 0) + 1
    return out


def run_indexed(n: int, parallelism: int, scratch: Path) -> dict[str, Any]:
    from jupyter_mlpipe.store import Store
    from tests.k8s.contract_kit import make_executor
    from tests.k8s.double import KubeDouble, Outcome

    store = Store(scratch / "indexed", "bench", "scale")
    group, launches = _launches(store, "random", n, parallelism)
    with KubeDouble(namespace="bench") as kd:
        kd.default_outcome = Outcome(hold=0.0, logs=[])
        ex = make_executor(kd, store, image=None, watch_timeout=60)
        t0 = time.perf_counter()
        ex.start(group, launches, parallelism)
        early = ex.poll(0)  # submits
        submitted = time.perf_counter() - t0
        if any(u.status == "failed" for u in early):
            raise SystemExit(f"submission failed: {early[0].message}")
        submit_requests = sum(1 for r in kd.server.requests if r.method in ("POST", "PATCH"))
        objects = len(kd.objects("jobs")) + len(kd.objects("configmaps"))
        finals = sum(u.status in ("succeeded", "failed") for u in early)
        while finals < n:
            finals += sum(u.status in ("succeeded", "failed") for u in ex.poll(1.0))
        ran = time.perf_counter() - t0
        ex.close()
        requests = _requests(kd)
        pods = len(kd.objects("pods"))
    return {"experiments": n, "parallelism": parallelism, "objects_created": objects,
            "pods_run_by_the_double": pods, "submit_requests": submit_requests,
            "submit_seconds": round(submitted, 3), "whole_sweep_seconds": round(ran, 2),
            "requests_whole_sweep": sum(requests.values()), "requests_by_kind": requests}


def run_per_trial(n: int, parallelism: int, scratch: Path) -> dict[str, Any]:
    from jupyter_mlpipe.store import Store
    from tests.k8s.contract_kit import make_executor
    from tests.k8s.double import KubeDouble, Outcome

    store = Store(scratch / "per-trial", "bench", "scale")
    group, launches = _launches(store, "bo", n, parallelism)  # adaptive: a Job per trial
    with KubeDouble(namespace="bench") as kd:
        kd.default_outcome = Outcome(hold=3600.0, logs=[])  # submission only
        ex = make_executor(kd, store, image=None)
        t0 = time.perf_counter()
        ex.start(group, launches, parallelism)
        submitted = time.perf_counter() - t0
        objects = len(kd.objects("jobs")) + len(kd.objects("configmaps"))
        submit_requests = sum(1 for r in kd.server.requests if r.method in ("POST", "PATCH"))
        ex.stop(None)
        ex.close()
    return {"experiments": n, "objects_created": objects, "submit_requests": submit_requests,
            "submit_seconds": round(submitted, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--parallelism", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlpipe-k8s-scale-") as tmp:
        indexed = run_indexed(args.experiments, args.parallelism, Path(tmp))
        peer = run_per_trial(args.experiments, args.parallelism, Path(tmp))
    result = {
        "bench": "k8s_scale",
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "note": "API double on loopback (no cluster here); requests counted at the double",
        "indexed": indexed,
        "per_trial_peer": peer,
        "ratios": {
            "objects_per_trial_over_indexed": round(peer["objects_created"]
                                                    / indexed["objects_created"], 1),
            "submit_requests_per_trial_over_indexed": round(peer["submit_requests"]
                                                            / indexed["submit_requests"], 1),
            "submit_seconds_per_trial_over_indexed": round(peer["submit_seconds"]
                                                           / max(indexed["submit_seconds"],
                                                                 1e-6), 1),
        },
        "targets": {"indexed_objects": 2,
                    "met": indexed["objects_created"] == 2},
    }
    out = ROOT / "bench" / "results" / "k8s_scale.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
