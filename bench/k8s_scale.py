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

with build steps: the same sweep with ``pip install -r requirements.txt`` as build step: the
trial image is built once (an Argo Workflow in the double), so the sweep creates the build's
object + 2, its pods run no install, and package downloads are one build's worth; a second sweep
with the same spec finds the image in the registry and builds nothing. The peer is the per-pod
install (1,000 installs).

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


def _launches(store: Any, algorithm: str, n: int, parallelism: int, text: str = "",
              project_dir: Path | None = None) -> tuple[Any, list[Any]]:
    from jupyter_mlpipe.engine.launch import make_launch
    from jupyter_mlpipe.search import make_search
    from jupyter_mlpipe.settings import Settings
    from jupyter_mlpipe.spec import parse_spec
    from jupyter_mlpipe.store import GroupRecord

    text = text or SPEC.format(n=n, concurrency=parallelism)
    spec = parse_spec(text)
    group = store.create_group(lambda gid: GroupRecord(
        id=gid, project=store.project, user=store.user, name="scale", created=time.time(),
        spec_file="scale.yml", project_dir=str(project_dir or store.root), algorithm=algorithm,
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


REQUIREMENTS = ["torch==2.13.0", "torchvision==0.28.0", "numpy==2.3.0"]
BUILD_STEPS = "build_steps:\n    - pip install --no-cache-dir -r requirements.txt\n"


def _entry_steps(kd: Any) -> int:
    """Build steps the pods would run: summed over every trial entry in the ConfigMaps."""
    count = 0
    for cm in kd.objects("configmaps"):
        for key, text in (cm.get("data") or {}).items():
            if key[0].isdigit():
                count += len(json.loads(text).get("build_steps") or [])
    return count


def run_with_build_steps(n: int, parallelism: int, scratch: Path) -> dict[str, Any]:
    """A 1,000-trial sweep whose spec has ``pip install -r requirements.txt`` as build step.

    trial image: the trial image is prepared first (registry look-up on a loopback stub, an
    Argo build Workflow in the double, whose controller "builds" and reports a digest), then
    the Indexed Job runs every trial to the end. A second sweep with the same spec and files
    follows: the registry holds the tag, nothing is built. The peer is the per-pod install
    (no trial image: every pod runs the build step), rendered by the same executor. Package
    downloads are the install step's executions (builds + pods whose entry runs it, read from
    the ConfigMaps) times the packages in requirements.txt (pip downloads each once per run).
    """
    from jupyter_mlpipe.builders.argo import ArgoBuilder
    from jupyter_mlpipe.builders.registry import ImageRef
    from jupyter_mlpipe.builders.trial_build import prepare_trial_image
    from jupyter_mlpipe.settings import Settings
    from jupyter_mlpipe.spec import parse_spec
    from jupyter_mlpipe.store import Store
    from tests.k8s.contract_kit import make_executor
    from tests.k8s.double import KubeDouble, Outcome
    from tests.k8s.double.registry import RegistryStub

    project = scratch / "repos" / "project"
    project.mkdir(parents=True)
    (project / "requirements.txt").write_text("\n".join(REQUIREMENTS) + "\n")
    (project / "run.py").write_text("print('train')\n")
    out: dict[str, Any] = {"experiments": n, "packages_in_requirements": len(REQUIREMENTS)}
    with RegistryStub() as stub, KubeDouble(namespace="bench") as kd:
        settings = Settings.load(overrides={
            "outputs_root": str(scratch / "build-steps"), "registry": f"{stub.host}/team",
            "repos_root": str(scratch / "repos"), "namespace": "bench",
            "build_backend": "argo"})
        store = Store(settings.outputs_root, "bench", "scale")
        kd.default_outcome = Outcome(hold=0.0, logs=[])
        builds = 0
        for sweep in ("first", "unchanged"):
            text = SPEC.format(n=n, concurrency=parallelism).replace(
                "build:\n  image: registry.local/trainer:1\n",
                "build:\n  image: registry.local/trainer:1\n  " + BUILD_STEPS)
            group, launches = _launches(store, "random", n, parallelism, text=text,
                                        project_dir=project)
            before = len(kd.server.requests)
            created_before = kd.calls("POST")
            record = prepare_trial_image(store, settings, group, parse_spec(text),
                                         builder=ArgoBuilder(settings, client=kd.client()),
                                         on_line=None)
            assert record is not None
            builds += int(record["built"])
            if record["built"]:  # the double's build does not push: record the push
                ref = ImageRef.parse(record["tag"])
                stub.images[f"{ref.repository}:{ref.tag}"] = record["digest"]
            ex = make_executor(kd, store, image=None, watch_timeout=60)
            ex.start(group, launches, parallelism)
            finals = 0
            while finals < n:
                finals += sum(u.status in ("succeeded", "failed") for u in ex.poll(1.0))
            ex.close()
            jobs = [j for j in kd.objects("jobs") if j["metadata"]["labels"].get(
                "mlpipe.io/group") == str(group.id)]
            images = {j["spec"]["template"]["spec"]["containers"][0]["image"] for j in jobs}
            out[sweep] = {
                "image_builds": int(record["built"]),
                "api_objects_created": kd.calls("POST") - created_before,
                "of_which_build_workflows": int(record["built"]),
                "requests": len(kd.server.requests) - before,
                "job_images": sorted(images),
                "pods_running_the_install_step": _entry_steps(kd) if sweep == "first" else 0,
            }
            for cm in kd.objects("configmaps"):
                kd.store.delete("configmaps", "bench", cm["metadata"]["name"])
        first = out["first"]
        first["package_downloads"] = (builds + first["pods_running_the_install_step"]) * len(
            REQUIREMENTS)
        out["registry_lookups"] = len(stub.lookups)
        # the peer, rendered by the same executor with the base image and the steps per pod
        from jupyter_mlpipe.executors.kubernetes import render_sweep

        peer = render_sweep(store, settings, group, launches, parallelism, spec=parse_spec(text),
                            trial_image={"image": "registry.local/trainer:1",
                                         "steps_built": False})
        per_pod = sum(len(json.loads(v).get("build_steps") or [])
                      for d in peer if d["kind"] == "ConfigMap"
                      for k, v in d["data"].items() if k[0].isdigit())
        out["per_pod_install_peer"] = {
            "image_builds": 0, "api_objects_created": len(peer),
            "pods_running_the_install_step": per_pod,
            "package_downloads": per_pod * len(REQUIREMENTS),
            "how": "no trial image: every pod runs the build step before its trial"}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--parallelism", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlpipe-k8s-scale-") as tmp:
        indexed = run_indexed(args.experiments, args.parallelism, Path(tmp))
        peer = run_per_trial(args.experiments, args.parallelism, Path(tmp))
        steps = run_with_build_steps(args.experiments, args.parallelism, Path(tmp))
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
        "with_build_steps": steps,
        "targets": {"indexed_objects": 2,
                    "met": indexed["objects_created"] == 2,
                    "build_steps_builds": 1, "build_steps_objects": "the build's + 2",
                    "build_steps_met": (steps["first"]["image_builds"] == 1
                                        and steps["first"]["api_objects_created"] == 3
                                        and steps["unchanged"]["image_builds"] == 0
                                        and steps["first"]["package_downloads"]
                                        == len(REQUIREMENTS))},
    }
    out = ROOT / "bench" / "results" / "k8s_scale.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
