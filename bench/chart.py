"""Sidebar chart benchmark: appending 100 new points to each of 50 series, in Chromium.

The page runs the sidebar's own code — ``alignSeries`` from the built ``labextension/lib/model.js``
and uPlot from ``labextension/node_modules`` — on a chart of 50 experiments that already hold
``--history`` points each (a 400 px wide panel, as the sidebar). One update is what the panel
does when a poll brings new points: align every series on the shared step axis and call
``setData`` on the existing chart; the update ends when the next frame has been painted.

Main-thread time is Chromium's own count (the DevTools protocol's ``TaskDuration``: every task
the renderer's main thread ran — script, style, layout, paint) between the update's start and
its painted frame. The peer, in the same run, re-creates the chart for every update (what a
chart without an append path does). Target: ours <= 16 ms (one frame at 60 Hz).

Usage: python bench/chart.py [--series 50] [--history 1000] [--new 100] [--repeat 30]
Writes bench/results/chart.json. Needs Debian's chromium and a built labextension
(``cd labextension && npm run build``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LABEXT = ROOT / "labextension"
ORIGIN = "http://bench.local"

PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/uplot.css"></head>
<body><div id="host" style="width:400px"></div>
<script type="module">
import uPlot from '/uplot.js';
import { alignSeries } from '/model.js';

let series = {}, plot = null, step = 0;
const host = document.getElementById('host');
const frame = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));

function grow(n, count) {
  for (let e = 1; e <= n; e++) {
    const pts = series[e] ??= { loss: [] };
    for (let i = 0; i < count; i++) {
      pts.loss.push([step + i, 0, 1 / (1 + 0.01 * e * (step + i)) + Math.random() * 0.01]);
    }
  }
  step += count;
}

function make(a) {
  const opts = {
    width: 400, height: 180, scales: { x: { time: false } },
    axes: [{ label: 'step' }, { label: 'loss' }],
    series: [{ label: 'step' }, ...a.experiments.map((id, i) => ({
      label: '#' + id, stroke: 'hsl(' + (i * 37) % 360 + ',70%,45%)', width: id === 1 ? 2.5 : 1.25,
      spanGaps: true }))]
  };
  return new uPlot(opts, [a.xs, ...a.ys], host);
}

window.setup = async (n, history) => {
  series = {}; step = 0; plot?.destroy(); grow(n, history);
  plot = make(alignSeries(series, 'loss')); await frame();
};
window.ours = async (n, count) => {
  grow(n, count);
  const a = alignSeries(series, 'loss');
  plot.setData([a.xs, ...a.ys]);
  await frame();
};
window.recreate = async (n, count) => {
  grow(n, count);
  const a = alignSeries(series, 'loss');
  plot.destroy();
  plot = make(a);
  await frame();
};
window.ready = true;
</script></body></html>"""


def _files() -> dict[str, tuple[str, bytes]]:
    built = LABEXT / "lib" / "model.js"
    if not built.is_file():
        raise SystemExit(f"{built} is missing — run `npm run build` in labextension/ first")
    dist = LABEXT / "node_modules" / "uplot" / "dist"
    return {
        "/index.html": ("text/html", PAGE.encode()),
        "/model.js": ("text/javascript", built.read_bytes()),
        "/uplot.js": ("text/javascript", (dist / "uPlot.esm.js").read_bytes()),
        "/uplot.css": ("text/css", (dist / "uPlot.min.css").read_bytes()),
    }


def _task_ms(cdp: Any) -> float:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return float(metrics["TaskDuration"]) * 1000.0


def _measure(page: Any, cdp: Any, call: str, args: argparse.Namespace) -> list[float]:
    out = []
    for _ in range(args.repeat):  # each update on a chart holding exactly --history points
        page.evaluate("([n, h]) => window.setup(n, h)", [args.series, args.history])
        before = _task_ms(cdp)
        page.evaluate(f"([n, k]) => window.{call}(n, k)", [args.series, args.new])
        out.append(_task_ms(cdp) - before)
    return out


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(values), 2),
        "best_ms": round(min(values), 2),
        "p90_ms": round(sorted(values)[int(0.9 * (len(values) - 1))], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=50)
    parser.add_argument("--history", type=int, default=1000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    files = _files()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 600, "height": 400})
        page.route(
            f"{ORIGIN}/**",
            lambda route: route.fulfill(
                status=200,
                content_type=files[route.request.url[len(ORIGIN) :]][0],
                body=files[route.request.url[len(ORIGIN) :]][1],
            ),
        )
        page.goto(f"{ORIGIN}/index.html")
        page.wait_for_function("window.ready === true")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable", {"timeDomain": "threadTicks"})
        ours = _measure(page, cdp, "ours", args)
        peer = _measure(page, cdp, "recreate", args)
        version = browser.version
        browser.close()
    result = {
        "setup": {
            "series": args.series,
            "history_points_per_series": args.history,
            "new_points_per_series": args.new,
            "repeat": args.repeat,
            "chromium": version,
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "measure": "CDP Performance TaskDuration: renderer main-thread time from the update"
            " to its painted frame",
        },
        "ours_append_setData": _summary(ours),
        "peer_recreate_chart": _summary(peer),
        "speedup_median": round(statistics.median(peer) / statistics.median(ours), 2),
        "targets": {"ours_median_ms_at_most": 16.0},
    }
    result["targets_met"] = result["ours_append_setData"]["median_ms"] <= 16.0
    out = ROOT / "bench" / "results" / "chart.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
