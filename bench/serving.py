# ruff: noqa: E402  (imports follow the sys.path fix below)
"""Serving benchmark: our model server vs Seldon's Python microservice (seldon-core 1.17.1).

Both serve the same s2i folder (``tests/fixtures/models/echo``: a numpy model returning its
input) with one worker each, REST only. An asyncio load generator on loopback keeps C keep-alive
connections busy until N requests (784-value tensor payloads) have been answered, at C = 1 and
C = 8, after a warm-up. Reported per server and concurrency: requests/s, p50 and p99 latency,
and server CPU per request (user+system time of the server's whole process tree, read with
psutil before and after). Results with ratios go to ``bench/results/serving.json``.

Targets (concurrency 8): ours ≥ 3× Seldon's requests/s, and our p99 ≤ ⅓ of Seldon's.

    python bench/serving.py [--requests 3000] [--concurrency 1 8] [--output PATH]
"""

from __future__ import annotations

import os
import sys

# Run as a script, this folder is sys.path[0]; sibling scripts must not shadow the standard
# library (a bench script named like a stdlib module would be imported instead of it).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse
import asyncio
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.integration.serving_harness import (
    MODELS,
    SELDON_VERSION,
    start_ours,
    start_seldon,
    stop,
)

FOLDER = MODELS / "echo"
PATH = "/api/v1.0/predictions"


def request_bytes(port: int) -> bytes:
    values = np.random.default_rng(0).random(784).round(6).tolist()
    body = json.dumps({"data": {"names": [], "tensor": {"shape": [1, 784], "values": values}}})
    head = (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode() + body.encode()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; (status, the server closes the connection after it)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    chunked = close = False
    for line in lines[1:]:
        key, _, value = line.partition(":")
        key, value = key.strip().lower(), value.strip().lower()
        if key == "content-length":
            length = int(value)
        elif key == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif key == "connection" and value == "close":
            close = True
    if chunked:
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(length)
    return status, close


async def _load(port: int, payload: bytes, total: int, concurrency: int
                ) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    remaining = total

    async def connection() -> None:
        # Keep-alive where the server allows it; a server that closes after each answer
        # (gunicorn's sync worker) is reconnected, and the connect counts in the latency.
        nonlocal remaining, errors
        writer = None
        try:
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(payload)
                status, close = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors += 1
                if close:
                    writer.close()
                    await writer.wait_closed()
                    writer = None
        finally:
            if writer is not None:
                writer.close()
                await writer.wait_closed()

    began = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - began


def _cpu_seconds(pid: int) -> float:
    root = psutil.Process(pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            continue
    return total


def measure(pid: int, port: int, total: int, concurrency: int) -> dict[str, Any]:
    """One run: N requests at concurrency C against the server on ``port``."""
    payload = request_bytes(port)
    asyncio.run(_load(port, payload, min(200, total), concurrency))  # warm-up
    cpu_before = _cpu_seconds(pid)
    latencies, errors, elapsed = asyncio.run(_load(port, payload, total, concurrency))
    cpu = _cpu_seconds(pid) - cpu_before
    ordered = sorted(latencies)
    return {
        "concurrency": concurrency, "requests": total, "errors": errors,
        "seconds": round(elapsed, 3),
        "requests_per_s": round(total / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 3),
        "server_cpu_ms_per_request": round(cpu / total * 1000, 3),
    }


def run_server(kind: str, total: int, levels: list[int], scratch: Path,
               offload: str = "auto") -> list[dict[str, Any]]:
    if kind == "ours":
        child, port = start_ours(FOLDER, scratch / "ours.log", "--offload", offload)
    else:
        child, port = start_seldon(FOLDER, "EchoModel", scratch / "seldon.log", workers=1)
    try:
        return [measure(child.pid, port, total, c) for c in levels]
    finally:
        stop(child)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--offload", choices=("auto", "always", "never"), default="auto",
                        help="our server's model-call placement (auto: inline while fast)")
    parser.add_argument("--skip-seldon", action="store_true",
                        help="measure only our server (no ratios; nothing written)")
    parser.add_argument("--output", type=Path, default=REPO / "bench" / "results" /
                        "serving.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlpipe-bench-") as tmp:
        ours = run_server("ours", args.requests, args.concurrency, Path(tmp), args.offload)
        if args.skip_seldon:
            print(json.dumps(ours, indent=2))
            return 0
        seldon = run_server("seldon", args.requests, args.concurrency, Path(tmp))
        # Why model calls stay on the event loop while they are fast: the thread hop's cost.
        threaded = (run_server("ours", args.requests, args.concurrency, Path(tmp), "always")
                    if args.offload != "always" else [])
    ratios = []
    for a, b in zip(ours, seldon, strict=True):
        ratios.append({
            "concurrency": a["concurrency"],
            "requests_per_s_ours_over_seldon": round(a["requests_per_s"] / b["requests_per_s"], 2),
            "p50_seldon_over_ours": round(b["p50_ms"] / a["p50_ms"], 2),
            "p99_seldon_over_ours": round(b["p99_ms"] / a["p99_ms"], 2),
            "cpu_per_request_seldon_over_ours": round(
                b["server_cpu_ms_per_request"] / a["server_cpu_ms_per_request"], 2),
        })
    at8 = next((r for r in ratios if r["concurrency"] == 8), None)
    result = {
        "benchmark": "serving", "model": "tests/fixtures/models/echo (784-value tensor)",
        "peer": f"seldon-core {SELDON_VERSION} seldon-core-microservice (1 gunicorn worker, "
                "REST only)",
        "machine": {"cpus": psutil.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "ours_offload": args.offload, "ours": ours, "seldon": seldon,
        "ours_model_calls_on_a_thread": threaded, "ratios": ratios,
        "targets": {"requests_per_s_ratio_at_8": ">= 3", "p99_ratio_at_8": ">= 3",
                    "met": bool(at8 and at8["requests_per_s_ours_over_seldon"] >= 3
                                and at8["p99_seldon_over_ours"] >= 3)},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
