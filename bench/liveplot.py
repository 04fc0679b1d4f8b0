"""Live-plot benchmark: in-place refresh vs a naive full matplotlib redraw, and kernel CPU share.

Part 1 — refresh cost with 50 experiments x 5,000 points, in the same run:

* ours: ``MetricFigure.update`` + PNG for a refresh in which every one of the 50 lines received
  10 new points (the worst case: all lines changed). Refreshes include the full redraws it falls
  back to when limits grow or the best line changes (counted; the mean includes them), and the
  cost of one full redraw is reported on its own;
* naive: what a notebook loop does to "refresh" a matplotlib plot — a new figure, ``plot`` of
  every full line, then the PNG the inline backend produces (``IPython``'s ``print_figure``).

Part 2 — kernel CPU share: a writer process grows a real store (50 experiments appending to
their metrics.jsonl) while this process runs :class:`LivePlot` at 2 Hz over the Python API
(``Mlpipe.metrics`` with a cursor: only new bytes are read). CPU share = process CPU time /
wall time over the run.

Run: ``python bench/liveplot.py [--seconds 20]``; writes ``bench/results/liveplot.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

EXPERIMENTS, POINTS, NEW_PER_REFRESH = 50, 5000, 10
RESULTS = Path(__file__).resolve().parent / "results" / "liveplot.json"


def _walks(seed: int = 0) -> dict[int, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        e: np.cumsum(rng.normal(size=POINTS + 2000)) * 0.01 + 1 + e * 0.01
        for e in range(EXPERIMENTS)
    }


def _batch(walks: dict[int, np.ndarray], start: int, count: int) -> dict[int, dict[str, list[Any]]]:
    return {
        e: {"loss": [(s, 0.0, float(w[s])) for s in range(start, start + count)]}
        for e, w in walks.items()
    }


def bench_ours(walks: dict[int, np.ndarray], rounds: int) -> dict[str, Any]:
    from jupyter_mlpipe.plots.figure import MetricFigure
    from jupyter_mlpipe.plots.series import SeriesStore

    store = SeriesStore(["loss"])
    store.add(_batch(walks, 0, POINTS))
    figure = MetricFigure("loss")
    started = time.perf_counter()
    figure.update(store, store.take_dirty())
    figure.render_png()
    first_full = time.perf_counter() - started
    incremental, full = [], []
    for i in range(rounds):
        store.add(_batch(walks, POINTS + i * NEW_PER_REFRESH, NEW_PER_REFRESH))
        started = time.perf_counter()
        figure.update(store, store.take_dirty())
        figure.render_png()
        incremental.append(time.perf_counter() - started)
    fallbacks = figure.full_redraws - 1  # full redraws the refreshes fell back to
    for _ in range(max(3, rounds // 4)):
        started = time.perf_counter()
        figure.redraw_png(store)
        full.append(time.perf_counter() - started)
    return {
        "refresh_ms_median": statistics.median(incremental) * 1000,
        "refresh_ms_mean": statistics.mean(incremental) * 1000,
        "refresh_ms_p95": float(np.percentile(incremental, 95)) * 1000,
        "full_redraw_ms_median": statistics.median(full) * 1000,
        "first_draw_ms": first_full * 1000,
        "full_redraws_during_refreshes": fallbacks,
        "points_drawn_per_line_max": 2 * figure.buckets,
    }


def bench_naive(walks: dict[int, np.ndarray], rounds: int) -> dict[str, Any]:
    from IPython.core.pylabtools import print_figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    times = []
    for i in range(rounds):
        end = POINTS + i * NEW_PER_REFRESH
        started = time.perf_counter()
        figure = Figure(figsize=(6.4, 3.6), dpi=100)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        for walk in walks.values():
            axes.plot(np.arange(end), walk[:end], lw=1.0)
        print_figure(figure, "png")
        times.append(time.perf_counter() - started)
    return {"refresh_ms_median": statistics.median(times) * 1000}


# -- part 2: CPU share while following a growing store --------------------------------------


def writer(root: str, group: int, seconds: float, rate: float) -> None:
    """Append ``rate`` points per second to each experiment's metrics, then finish the group."""
    from jupyter_mlpipe.store import Store
    from jupyter_mlpipe.store.files import append_jsonl

    store = Store(Path(root), "bench", "liveplot")
    ids = store.experiment_ids(group)
    walks = _walks(1)
    step = POINTS - int(seconds * rate)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for i, eid in enumerate(ids):
            append_jsonl(
                store.metrics_path(eid),
                {"step": step, "time": time.time(), "values": {"loss": float(walks[i][step])}},
            )
        step += 1
        time.sleep(1.0 / rate)
    store.write_group(store.read_group(group).evolve(status="succeeded", finished=time.time()))


def _prefill(root: Path, start_points: int) -> int:
    from jupyter_mlpipe.store import Store
    from jupyter_mlpipe.store.files import atomic_write_text
    from jupyter_mlpipe.store.records import GroupRecord

    store = Store(root, "bench", "liveplot")
    record = store.create_group(
        lambda gid: GroupRecord(
            id=gid,
            project="liveplot",
            user="bench",
            name="bench",
            created=time.time(),
            spec_file="",
            project_dir="",
            algorithm="grid",
            backend="local",
            concurrency=EXPERIMENTS,
            planned=EXPERIMENTS,
            status="running",
        ),
        "version: 1\nkind: group\n",
    )
    ids = store.create_experiments(record.id, [{"e": e} for e in range(EXPERIMENTS)])
    walks = _walks(1)
    for i, eid in enumerate(ids):
        lines = (
            json.dumps({"step": s, "time": 0.0, "values": {"loss": float(walks[i][s])}})
            for s in range(start_points)
        )
        atomic_write_text(store.metrics_path(eid), "\n".join(lines) + "\n")
    return record.id


def bench_cpu_share(seconds: float, rate: float) -> dict[str, Any]:
    from jupyter_mlpipe import proc
    from jupyter_mlpipe.api import Mlpipe
    from jupyter_mlpipe.plots import GroupSource, LivePlot

    with tempfile.TemporaryDirectory(prefix="mlpipe-bench-") as tmp:
        root = Path(tmp)
        group = _prefill(root, POINTS - int(seconds * rate))
        api = Mlpipe(outputs_root=str(root), user="bench", project="liveplot")
        published: list[int] = []
        plot = LivePlot(
            GroupSource(api, group), ["loss"], lambda m, png, final: published.append(len(png))
        )
        plot.refresh()  # the initial read of the prefilled store is not part of following it
        child = proc.spawn(
            [sys.executable, __file__, "--writer", str(root), str(group), str(seconds), str(rate)],
            detached=False,
        )
        wall0, cpu0 = time.perf_counter(), time.process_time()
        plot.start()
        finished = plot.join(timeout=seconds + 60)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        child.wait()
        if not finished or plot.error is not None:
            raise SystemExit(f"live plot did not finish cleanly: {plot.error!r}")
        points = plot.store.lines["loss"]
        return {
            "seconds": wall,
            "cpu_seconds": cpu,
            "cpu_share": cpu / wall,
            "refreshes": plot.refreshes,
            "full_redraws": plot.figures["loss"].full_redraws,
            "pictures_published": len(published),
            "mean_png_bytes": statistics.mean(published) if published else 0,
            "points_per_line_at_end": min(line.size for line in points.values()),
            "writer_points_per_second": rate * EXPERIMENTS,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=20.0, help="points per second per experiment")
    parser.add_argument(
        "--writer", nargs=4, metavar=("ROOT", "GROUP", "SECONDS", "RATE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.writer:
        writer(args.writer[0], int(args.writer[1]), float(args.writer[2]), float(args.writer[3]))
        return
    walks = _walks()
    ours = bench_ours(walks, args.rounds)
    naive = bench_naive(walks, max(5, args.rounds // 4))
    cpu = bench_cpu_share(args.seconds, args.rate)
    result = {
        "setup": {
            "experiments": EXPERIMENTS,
            "points_per_experiment": POINTS,
            "new_points_per_refresh": NEW_PER_REFRESH,
        },
        "ours": ours,
        "naive_full_redraw": naive,
        "speedup_refresh": naive["refresh_ms_median"] / ours["refresh_ms_median"],
        "speedup_refresh_mean": naive["refresh_ms_median"] / ours["refresh_ms_mean"],
        "speedup_full_redraw": naive["refresh_ms_median"] / ours["full_redraw_ms_median"],
        "kernel_cpu": cpu,
        "targets": {"speedup_min": 10, "refresh_ms_max": 50, "cpu_share_max": 0.10},
    }
    result["targets_met"] = {
        "speedup": result["speedup_refresh"] >= 10,
        "refresh_ms": ours["refresh_ms_median"] <= 50,
        "cpu_share": cpu["cpu_share"] <= 0.10,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
