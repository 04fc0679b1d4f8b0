"""Benchmark: the server extension answering the sidebar's requests for a 1,000-experiment group.

Measures, over HTTP on loopback against a real Jupyter server with the extension loaded:

* ``listing``: ``GET groups/<id>`` — the group with its 1,000 experiments (params, status, last /
  min / max of each metric), the table the sidebar shows, as it polls it (the server keeps the
  parsed table and re-reads only files whose stat changed). Target: ≤ 50 ms (median).
* ``metrics_idle``: ``GET groups/<id>/metrics?after=<cursor>`` when nothing new was logged.
* ``metrics_new``: the same after 20 experiments each appended one point.

The peer is the same read through the Python API in-process (``Mlpipe.group`` +
``Mlpipe.experiments`` — the DataFrame, built from every file each call — and ``Mlpipe.metrics``).
``listing_first_ms`` is the server's first answer (nothing parsed yet). Writes
``bench/results/serverext.json``.

Run: ``python bench/serverext.py [--experiments 1000] [--points 20] [--repeat 30]``
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from jupyter_mlpipe import proc  # noqa: E402
from jupyter_mlpipe.store import Store  # noqa: E402
from jupyter_mlpipe.store.files import append_jsonl  # noqa: E402
from jupyter_mlpipe.store.records import ExperimentStatus, GroupRecord  # noqa: E402

TARGET_MS = 50.0


def synthesise(root: Path, experiments: int, points: int) -> tuple[Store, int]:
    """A finished group of ``experiments`` experiments, each with ``points`` steps of 2 metrics."""
    store = Store(root, "bench", "default")
    now = time.time()

    def record(gid: int) -> GroupRecord:
        return GroupRecord(
            id=gid,
            project="default",
            user="bench",
            name="big",
            created=now,
            spec_file="",
            project_dir=str(root),
            algorithm="random",
            backend="local",
            concurrency=8,
            planned=experiments,
            status="running",
        )

    gid = store.create_group(record, "version: 1\nkind: group\n").id
    params = [
        {"lr": 0.001 * (i + 1), "momentum": 0.5 + i % 10 / 100, "batch": 64}
        for i in range(experiments)
    ]
    for k, eid in enumerate(store.create_experiments(gid, params)):
        lines = "".join(
            json.dumps(
                {
                    "step": s,
                    "time": now + s,
                    "values": {"loss": 1.0 / (s + 1 + k % 7), "accuracy": s / points},
                }
            )
            + "\n"
            for s in range(points)
        )
        store.metrics_path(eid).write_text(lines)
        store.write_status(
            eid,
            ExperimentStatus(
                status="succeeded",
                created=now,
                started=now,
                finished=now + 30,
                exit_code=0,
                attempt=1,
            ),
        )
    return store, gid


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A Jupyter server with the extension enabled by the shipped config file."""

    def __init__(self, outputs: Path, work: Path) -> None:
        self.token, self.port = secrets.token_hex(16), _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLPIPE_", "JUPYTER"))}
        env.update(
            {
                "MLPIPE_OUTPUTS_ROOT": str(outputs),
                "MLPIPE_USER": "bench",
                "MLPIPE_CONFIG": str(work / "config.yaml"),
                "MLPIPE_REPOS_ROOT": str(work),
                "JUPYTER_CONFIG_PATH": str(REPO / "jupyter-config"),
                "JUPYTER_CONFIG_DIR": str(work / "jcfg"),
                "JUPYTER_DATA_DIR": str(work / "jdata"),
                "JUPYTER_RUNTIME_DIR": str(work / "jrt"),
                "PYTHONPATH": str(REPO),
            }
        )
        argv = [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            f"--ServerApp.token={self.token}",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={work}",
        ]
        self.log = work / "server.log"
        self.child = proc.spawn(argv, env=env, stdout_path=self.log)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        for _ in range(240):
            try:
                self.get("groups")
                return
            except (ConnectionError, OSError):
                self.conn.close()
                time.sleep(0.25)
        raise RuntimeError(f"server did not start:\n{self.log.read_text()[-2000:]}")

    def get(self, path: str) -> Any:
        self.conn.request(
            "GET", f"/mlpipe/api/{path}", headers={"Authorization": f"token {self.token}"}
        )
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status} {body[:300]!r}")
        return json.loads(body)

    def close(self) -> None:
        self.conn.close()
        proc.terminate_group(self.child.pid, 5.0)
        self.child.wait(timeout=30)


def timed(fn: Any, repeat: int, before: Any = None) -> list[float]:
    """Milliseconds of ``fn()`` over ``repeat`` runs (``before()`` runs untimed each time)."""
    out = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": statistics.median(ordered),
        "p90_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))],
        "min_ms": ordered[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=1000)
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / "serverext.json"))
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mlpipe-bench-serverext-"))
    try:
        outputs = work / "outputs"
        store, gid = synthesise(outputs, args.experiments, args.points)
        os.environ.update(
            {
                "MLPIPE_OUTPUTS_ROOT": str(outputs),
                "MLPIPE_USER": "bench",
                "MLPIPE_CONFIG": str(work / "config.yaml"),
            }
        )
        from jupyter_mlpipe.api import Mlpipe

        api = Mlpipe()
        server = Server(outputs, work)
        try:
            results = run(args, api, server, store, gid)
        finally:
            server.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "runs"}, indent=2))


def run(args: Any, api: Any, server: Server, store: Store, gid: int) -> dict[str, Any]:
    ids = store.experiment_ids(gid)
    start = time.perf_counter()
    listing = server.get(f"groups/{gid}")
    first_ms = (time.perf_counter() - start) * 1000
    assert len(listing["experiments"]) == args.experiments

    def in_process_listing() -> None:
        api.group(gid)
        api.experiments(gid)

    srv_list = timed(lambda: server.get(f"groups/{gid}"), args.repeat)
    api_list = timed(in_process_listing, args.repeat)

    cursor = server.get(f"groups/{gid}/metrics")["cursor"]
    srv_idle = timed(lambda: server.get(f"groups/{gid}/metrics?after={cursor}"), args.repeat)
    api_cursor = api.metrics(gid).cursor
    api_idle = timed(lambda: api.metrics(gid, cursor=api_cursor), args.repeat)

    state = {"srv": cursor, "api": api_cursor, "step": args.points}

    def append_points() -> None:
        state["step"] += 1
        for eid in ids[:20]:
            append_jsonl(
                store.metrics_path(eid),
                {"step": state["step"], "time": time.time(), "values": {"loss": 0.01}},
            )

    def srv_new_once() -> None:
        answer = server.get(f"groups/{gid}/metrics?after={state['srv']}")
        assert len(answer["points"]) == 20
        state["srv"] = answer["cursor"]

    def api_new_once() -> None:
        batch = api.metrics(gid, cursor=state["api"])
        assert len(batch.points) == 20
        state["api"] = batch.cursor

    # Each side reads the same appended lines: interleave so both see one new point each time.
    srv_new, api_new = [], []
    for _ in range(args.repeat):
        append_points()
        srv_new += timed(srv_new_once, 1)
        api_new += timed(api_new_once, 1)

    result: dict[str, Any] = {
        "experiments": args.experiments,
        "points_per_experiment": args.points,
        "repeat": args.repeat,
        "cpus": os.cpu_count(),
        "target_listing_ms": TARGET_MS,
        "listing_bytes": len(json.dumps(listing)),
        "listing_first_ms": first_ms,
    }
    for name, srv, peer in (
        ("listing", srv_list, api_list),
        ("metrics_idle", srv_idle, api_idle),
        ("metrics_new", srv_new, api_new),
    ):
        s, p = summary(srv), summary(peer)
        result[name] = {
            "server": s,
            "in_process_api": p,
            "ratio_server_over_api": s["median_ms"] / p["median_ms"],
        }
    result["meets_target"] = result["listing"]["server"]["median_ms"] <= TARGET_MS
    result["runs"] = {
        "listing_server_ms": srv_list,
        "listing_api_ms": api_list,
        "metrics_idle_server_ms": srv_idle,
        "metrics_idle_api_ms": api_idle,
        "metrics_new_server_ms": srv_new,
        "metrics_new_api_ms": api_new,
    }
    return result


if __name__ == "__main__":
    main()
