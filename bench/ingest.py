"""Metric ingest benchmark: incremental ``MetricsReader`` refreshes vs full re-reads.

A scratch group of 100 experiments × 10,000 metric lines (two values per line, as
``tracking.log_metrics`` writes them). Measured in the same run:

  idle            a refresh when nothing changed (long-lived reader) — target <= 20 ms
  idle_cursor     the same through a cursor string (what the stateless REST API does)
  new_0.1% / new_1% / new_10%
                  a refresh after appending that share of lines to every experiment — cost
                  should follow the amount of new data (see ``us_per_new_line``)
  full_reread     the peer: reading every log from the start (a reader without offsets)
  full_read_jsonl the store's generic ``read_jsonl`` over every file from offset 0 (if present)

Each timing is the median of ``--repeat`` runs (page cache warm for every variant alike).

Usage: python bench/ingest.py [--experiments 100] [--points 10000] [--repeat 5]
Writes bench/results/ingest.json. The scratch folder is deleted at the end.
"""

from __future__ import annotations

import os
import sys

# Keep bench/ off sys.path: its scripts (copy.py, tracking.py ...) would shadow real modules.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jupyter_mlpipe.store.metrics import METRICS_FILE, MetricsReader  # noqa: E402
from jupyter_mlpipe.tracking import encode_line  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ingest.json"


class Group:
    """A scratch group folder whose experiments keep growing."""

    def __init__(self, folder: Path, experiments: int) -> None:
        self.folder = folder
        self.ids = list(range(1, experiments + 1))
        self.lines = dict.fromkeys(self.ids, 0)
        for eid in self.ids:
            (folder / str(eid)).mkdir(parents=True)

    def append(self, per_experiment: int) -> int:
        """Append ``per_experiment`` lines to every log (one write each); return lines added."""
        now = time.time()
        for eid in self.ids:
            start = self.lines[eid]
            text = "".join(
                encode_line(s, now + s, {"loss": 1.0 / (s + 1), "accuracy": s / (s + 100)})
                for s in range(start, start + per_experiment)
            )
            with open(self.folder / str(eid) / METRICS_FILE, "a") as fh:
                fh.write(text)
            self.lines[eid] = start + per_experiment
        return per_experiment * len(self.ids)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def _points(batch: Any) -> int:
    return sum(len(series) for metrics in batch.points.values() for series in metrics.values())


def _median_ms(fn: Callable[[], Any], repeat: int) -> float:
    return statistics.median(_timed(fn)[0] for _ in range(repeat)) * 1e3


def _full_read_jsonl(group: Group) -> int | None:
    try:
        from jupyter_mlpipe.store.files import read_jsonl
    except ImportError:
        return None
    return sum(len(read_jsonl(group.folder / str(e) / METRICS_FILE, 0)[0]) for e in group.ids)


def _incremental(group: Group, reader: MetricsReader, share: float, repeat: int) -> dict:
    per_experiment = max(1, round(share * group.lines[group.ids[0]]))
    times = []
    for _ in range(repeat):
        added = group.append(per_experiment)
        elapsed, batch = _timed(reader.read)
        if _points(batch) != 2 * added:
            raise SystemExit(f"incremental read saw {_points(batch)} points, {2 * added} added")
        times.append(elapsed)
    ms = statistics.median(times) * 1e3
    return {"new_lines": added, "ms": ms, "us_per_new_line": ms * 1e3 / added}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=100)
    parser.add_argument("--points", type=int, default=10_000, help="lines per experiment")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", default=None, help="parent of the scratch folder")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="mlpipe-bench-ingest-", dir=args.dir))
    try:
        group = Group(scratch / "groups" / "1", args.experiments)
        build_s, _ = _timed(lambda: group.append(args.points))
        first_s, batch = _timed(MetricsReader(group.folder).read)
        assert _points(batch) == 2 * args.experiments * args.points
        reader = MetricsReader(group.folder, cursor=batch.cursor)
        idle_ms = _median_ms(reader.read, max(args.repeat, 20))
        idle_cursor_ms = _median_ms(
            lambda: MetricsReader(group.folder, cursor=reader.cursor).read(),
            max(args.repeat, 20),
        )
        incremental = {
            f"new_{share * 100:g}%": _incremental(group, reader, share, args.repeat)
            for share in (0.001, 0.01, 0.1)
        }
        full_repeat = min(args.repeat, 3)  # each full read takes seconds
        full_ms = _median_ms(lambda: MetricsReader(group.folder).read(), full_repeat)
        jsonl_probe = _full_read_jsonl(group)
        jsonl_ms = _median_ms(lambda: _full_read_jsonl(group), full_repeat) if jsonl_probe else None
        total_lines = sum(group.lines.values())
        size = sum((group.folder / str(e) / METRICS_FILE).stat().st_size for e in group.ids)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    one = incremental["new_1%"]["ms"]
    result = {
        "benchmark": "metric ingest: incremental MetricsReader vs full re-read",
        "experiments": args.experiments,
        "points_per_experiment_initially": args.points,
        "lines_at_full_reread": total_lines,
        "bytes_at_full_reread": size,
        "repeat": args.repeat,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "build_seconds": build_s,
        "first_read_ms": first_s * 1e3,
        "idle_ms": idle_ms,
        "idle_cursor_ms": idle_cursor_ms,
        "incremental": incremental,
        "full_reread_ms": full_ms,
        "full_read_jsonl_ms": jsonl_ms,
        "ratios": {
            "full_reread_over_idle": full_ms / idle_ms,
            "full_reread_over_new_1%": full_ms / one,
        },
        "target": "idle <= 20 ms; incremental cost proportional to new lines",
        "target_met": idle_ms <= 20.0 and idle_cursor_ms <= 20.0,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"idle {idle_ms:.2f} ms (cursor {idle_cursor_ms:.2f} ms), full re-read {full_ms:.0f} ms")
    for name, row in incremental.items():
        print(
            f"{name:9s} {row['new_lines']:7d} new lines {row['ms']:8.2f} ms "
            f"({row['us_per_new_line']:.2f} us/line)"
        )
    if jsonl_ms is not None:
        print(f"store read_jsonl full re-read {jsonl_ms:.0f} ms")
    print(f"-> {RESULTS}")


if __name__ == "__main__":
    main()
