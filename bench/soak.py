# ruff: noqa: E402  (imports follow the sys.path fix below)
"""Soak: the model server and the REST API under mixed hostile traffic, on loopback.

Two real servers run side by side: the local model server (``python -m jupyter_mlpipe.serving``
serving ``tests/fixtures/models/echo``) and a Jupyter server with the extension (a synthetic
finished group of 50 experiments in its store). For ``--duration`` seconds each receives, at
once:

* **valid** requests — predictions (model server); group listing, metrics page, log tail (REST);
* **malformed** ones — garbage request lines, headers without colons, invalid or 100,000-deep
  JSON, unknown fields, ids like ``%C2%B2``, unknown paths, missing token;
* **slow** clients — connections that dribble their headers, or their body, one byte every
  two seconds (reopened when the server closes them: ``slow_closed_by_server`` counts those);
* **oversized** requests — an 8 MiB JSON body, and a body announced as 1 GiB but cut short.

A separate thread probes each server's health once every 100 ms on a fresh connection
(``/health/ping``; ``/api/status`` with the token for Jupyter) and records the latency; a probe
that fails or takes more than 5 s counts as failed. The resident memory of each server's
process tree is sampled every half second for ``rss_peak_mb``; ``rss_baseline_mb`` is taken at
rest after a 5 s warm-up under the same traffic (and 2 s of quiet), ``rss_final_mb`` at rest
2 s after the soak ends.

Reported per server: requests answered by category, answers by status (and connection errors /
timeouts), health p50 / p99 / max and failures, RSS baseline / peak / final, and growth
``(final - baseline) / baseline``. Targets: health p99 ≤ 50 ms, RSS growth ≤ 10 %. The bench
measures whatever the servers do (read timeouts, connection limits); it asserts nothing.

    python bench/soak.py [--duration 60] [--slow 48] [--output bench/results/soak.json]
"""

from __future__ import annotations

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse
import asyncio
import collections
import http.client
import json
import platform
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.serverext import Server, synthesise
from bench.serving import _read_response as read_response
from tests.integration.serving_harness import MODELS, start_ours, stop

HEALTH_P99_TARGET_MS = 50.0
RSS_GROWTH_TARGET = 0.10
PROBE_EVERY = 0.1
PROBE_TIMEOUT = 5.0
REQUEST_TIMEOUT = 30.0
WARM_UP = 5.0
QUIET = 2.0


def _http(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
          length: int | None = None) -> bytes:
    """One raw HTTP/1.1 request that closes its connection."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body) if length is None else length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _json(obj: Any) -> bytes:
    return json.dumps(obj).encode()


class Target:
    """One server under soak: its request mix, health probe and process."""

    def __init__(self, name: str, port: int, pid: int, valid: list[bytes],
                 malformed: list[bytes], oversized: list[bytes], slow_head: bytes,
                 probe: Callable[[http.client.HTTPConnection], int]) -> None:
        self.name, self.port, self.pid = name, port, pid
        self.valid, self.malformed, self.oversized = valid, malformed, oversized
        self.slow_head = slow_head
        self.probe = probe
        self.answered: collections.Counter[str] = collections.Counter()
        self.statuses: collections.Counter[str] = collections.Counter()
        self.slow_closed = 0
        self.health_ms: list[float] = []
        self.health_failed = 0
        self.rss: list[tuple[float, int]] = []


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass


async def _exchange(target: Target, kind: str, raw: bytes) -> None:
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", target.port), REQUEST_TIMEOUT)
    except (OSError, asyncio.TimeoutError):
        target.statuses["connect-error"] += 1
        return
    try:
        writer.write(raw)
        await writer.drain()
        status, _ = await asyncio.wait_for(read_response(reader), REQUEST_TIMEOUT)
        target.statuses[str(status)] += 1
        target.answered[kind] += 1
    except asyncio.TimeoutError:
        target.statuses["timeout"] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        target.statuses["closed-without-answer"] += 1
    finally:
        await _close(writer)


async def _worker(target: Target, kind: str, requests: list[bytes], stop_at: float,
                  pause: float) -> None:
    i = 0
    while time.monotonic() < stop_at:
        await _exchange(target, kind, requests[i % len(requests)])
        i += 1
        if pause:
            await asyncio.sleep(pause)


async def _slow_client(target: Target, stop_at: float, body: bool) -> None:
    """Dribble a request one byte every two seconds; reopen when the server closes it."""
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", target.port)
        except OSError:
            target.statuses["connect-error"] += 1
            await asyncio.sleep(1.0)
            continue
        head = target.slow_head + (b"Content-Length: 100000\r\n\r\n" if body else b"")
        try:
            if body:
                writer.write(head)
                head = b"x" * 100_000
            while time.monotonic() < stop_at and head:
                writer.write(head[:1])
                head = head[1:]
                await writer.drain()
                try:  # the server may answer (408, 413 ...) or close: both end this client
                    data = await asyncio.wait_for(reader.read(1), 2.0)
                except asyncio.TimeoutError:
                    continue
                target.slow_closed += 1
                if data:
                    target.statuses["slow-answered"] += 1
                break
        except OSError:
            target.slow_closed += 1
        finally:
            await _close(writer)


def _probe_loop(target: Target, stop: threading.Event) -> None:
    """Health probes of one server on fresh connections, in a thread of their own."""
    while not stop.is_set():
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=PROBE_TIMEOUT)
        begin = time.perf_counter()
        try:
            ok = target.probe(conn) == 200
        except (OSError, http.client.HTTPException):
            ok = False
        finally:
            conn.close()
        if ok:
            target.health_ms.append((time.perf_counter() - begin) * 1000)
        else:
            target.health_failed += 1
        stop.wait(max(0.0, PROBE_EVERY - (time.monotonic() - started)))


def _tree_rss(pid: int) -> int:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _sample_loop(target: Target, stop: threading.Event) -> None:
    while not stop.is_set():
        target.rss.append((time.monotonic(), _tree_rss(target.pid)))
        stop.wait(0.5)


def _model_target(port: int, pid: int) -> Target:
    predict = "/api/v1.0/predictions"
    jh = {"Content-Type": "application/json"}
    deep = b'{"data": {"ndarray": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    big = b'{"data": {"ndarray": [[' + b",".join([b"0.5"] * (2 << 20)) + b"]]}}"
    return Target(
        "model_server", port, pid,
        valid=[_http("POST", predict, _json({"data": {"ndarray": [[1, 2, 3]]}}), jh),
               _http("GET", "/health/status")],
        malformed=[b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
                   _http("POST", predict, b"{not json", jh),
                   _http("POST", predict, _json({"data": 5}), jh),
                   _http("POST", predict, deep, jh), _http("GET", "/nope"),
                   _http("DELETE", predict), _http("POST", predict, b"{}", length=-1)],
        oversized=[_http("POST", predict, big, jh),
                   _http("POST", predict, b"[" * 65536, jh, length=1 << 30)],
        slow_head=f"POST {predict} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode(),
        probe=lambda c: _status(c, "/health/ping", {}),
    )


def _jupyter_target(server: Server, group: int) -> Target:
    auth = {"Authorization": f"token {server.token}", "Content-Type": "application/json"}
    api = "/mlpipe/api/"
    deep = b'{"spec": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    return Target(
        "jupyter_rest", server.port, server.child.pid,
        valid=[_http("GET", f"{api}groups", headers=auth),
               _http("GET", f"{api}groups/{group}", headers=auth),
               _http("GET", f"{api}groups/{group}/metrics", headers=auth),
               _http("GET", f"{api}experiments/1/logs?tail=20", headers=auth)],
        malformed=[_http("GET", f"{api}groups/%C2%B2", headers=auth),
                   _http("GET", f"{api}experiments/0/logs", headers=auth),
                   _http("POST", f"{api}sweeps", b"{not json", auth),
                   _http("POST", f"{api}sweeps", deep, auth),
                   _http("POST", f"{api}sweeps", _json({"spec": "x", "forse": 1}), auth),
                   _http("POST", f"{api}operations",
                         _json({"action": "package", "name": "m", "experiment": 10**30}), auth),
                   _http("GET", f"{api}groups"),  # no token
                   b"GARBAGE\r\n\r\n"],
        oversized=[_http("POST", f"{api}sweeps", _json({"spec": "x" * (2 << 20)}), auth),
                   _http("POST", f"{api}sweeps", b"{", auth, length=1 << 30)],
        slow_head=f"POST {api}sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode(),
        probe=lambda c: _status(c, "/api/status", {"Authorization": f"token {server.token}"}),
    )


def _status(conn: http.client.HTTPConnection, path: str, headers: dict[str, str]) -> int:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status


async def _soak(targets: list[Target], duration: float, slow: int) -> None:
    stop_at = time.monotonic() + duration
    jobs = []
    for t in targets:
        jobs += [_worker(t, "valid", t.valid, stop_at, 0.0) for _ in range(2)]
        jobs.append(_worker(t, "malformed", t.malformed, stop_at, 0.05))
        jobs.append(_worker(t, "oversized", t.oversized, stop_at, 1.0))
        jobs += [_slow_client(t, stop_at, body=i % 2 == 1) for i in range(slow)]
    await asyncio.gather(*jobs)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _report(target: Target, baseline: int, final: int) -> dict[str, Any]:
    peak = max([baseline, final, *(r for _, r in target.rss)])
    p99 = _percentile(target.health_ms, 0.99)
    growth = (final - baseline) / baseline if baseline else None
    mb = 1 << 20
    return {
        "requests_answered": sum(target.answered.values()),
        "answered_by_kind": dict(target.answered),
        "by_status": dict(sorted(target.statuses.items())),
        "slow_closed_by_server": target.slow_closed,
        "health": {
            "probes": len(target.health_ms) + target.health_failed,
            "failed": target.health_failed,
            "p50_ms": _percentile(target.health_ms, 0.5),
            "p99_ms": p99,
            "max_ms": max(target.health_ms) if target.health_ms else None,
            "mean_ms": statistics.fmean(target.health_ms) if target.health_ms else None,
        },
        "rss_baseline_mb": round(baseline / mb, 1),
        "rss_peak_mb": round(peak / mb, 1),
        "rss_final_mb": round(final / mb, 1),
        "rss_growth": None if growth is None else round(growth, 4),
        "targets_met": {
            "health_p99": p99 is not None and p99 <= HEALTH_P99_TARGET_MS
            and target.health_failed == 0,
            "rss_growth": growth is not None and growth <= RSS_GROWTH_TARGET,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--slow", type=int, default=48, help="slow clients per server")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" / "soak.json")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mlpipe-soak-") as tmp:
        work = Path(tmp)
        outputs = work / "outputs"
        store, group = synthesise(outputs, 50, 20)
        for eid in store.experiment_ids(group):
            store.log_path(eid).write_text("".join(f"line {i}\n" for i in range(200)))
        child, port = start_ours(MODELS / "echo", work / "model.log")
        server = Server(outputs, work)
        try:
            targets = [_model_target(port, child.pid), _jupyter_target(server, group)]
            halt = threading.Event()
            threads = [threading.Thread(target=f, args=(t, halt), daemon=True)
                       for f in (_probe_loop, _sample_loop) for t in targets]
            for thread in threads:
                thread.start()
            # warm up under the same traffic, then measure both ends at rest (2 s quiet each)
            asyncio.run(_soak(targets, WARM_UP, args.slow))
            time.sleep(QUIET)
            baseline = [_tree_rss(t.pid) for t in targets]
            asyncio.run(_soak(targets, args.duration, args.slow))
            time.sleep(QUIET)
            final = [_tree_rss(t.pid) for t in targets]
            halt.set()
            for thread in threads:
                thread.join()
            result = {
                "duration_s": args.duration,
                "slow_clients_per_server": args.slow,
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "targets": {"health_p99_ms": HEALTH_P99_TARGET_MS,
                            "rss_growth": RSS_GROWTH_TARGET},
                "warm_up_s": WARM_UP,
                **{t.name: _report(t, b, f) for t, b, f in zip(targets, baseline, final,
                                                                strict=True)},
            }
        finally:
            server.close()
            stop_code = stop(child)
        result["model_server"]["exit_status"] = stop_code
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    for name in ("model_server", "jupyter_rest"):
        r = result[name]
        print(f"{name}: {r['requests_answered']} answered {r['by_status']}; health p99"
              f" {r['health']['p99_ms']} ms ({r['health']['failed']} failed); RSS"
              f" {r['rss_baseline_mb']} → peak {r['rss_peak_mb']} → {r['rss_final_mb']} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
