"""Metric logging benchmark: ``tracking.log_metrics`` vs MLflow's ``log_metric`` (file store).

Both sides log the same series in the same run, to the local disk:

  single   one value per call: ``log_metrics(step=i, loss=v)`` vs ``mlflow.log_metric("loss", v,
           step=i)`` — the headline ratio (target >= 100x)
  pair     two values per call: ``log_metrics(step=i, loss=v, accuracy=a)`` vs
           ``mlflow.log_metrics({"loss": v, "accuracy": a}, step=i)``
  async    (reference) MLflow's ``synchronous=False`` logging, including its final flush

Our timings include the final ``flush()``, so every line is on disk when the clock stops; each
side's output is read back and counted. Each variant runs ``--repeat`` times, interleaved; the
median calls/second is reported.

Usage: MLFLOW_ALLOW_FILE_STORE=true python bench/tracking.py [--calls 200000]
       [--mlflow-calls 2000] [--repeat 3]
Needs ``pip install mlflow-skinny`` (bench only); without it the script says so and exits 0.
Writes bench/results/tracking.json.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from jupyter_mlpipe import tracking  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "tracking.json"


def _ours(scratch: Path, calls: int, pair: bool) -> float:
    """Seconds for ``calls`` logging calls to a fresh trial outputs folder, flush included."""
    outputs = scratch / f"ours-{time.monotonic_ns()}"
    os.environ["MLPIPE_TRIAL_OUTPUTS_PATH"] = str(outputs)
    tracking.close()  # the next call resolves the new outputs path
    log = tracking.log_metrics
    started = time.perf_counter()
    if pair:
        for i in range(calls):
            log(step=i, loss=1.0 / (i + 1), accuracy=i / calls)
    else:
        for i in range(calls):
            log(step=i, loss=1.0 / (i + 1))
    tracking.flush()
    elapsed = time.perf_counter() - started
    tracking.close()
    with open(outputs / tracking.METRICS_FILE, "rb") as fh:
        lines = fh.read().count(b"\n")
    if lines != calls:
        raise SystemExit(f"ours wrote {lines} lines for {calls} calls")
    return elapsed


def _mlflow(calls: int, mode: str) -> float:
    import mlflow

    with mlflow.start_run() as run:
        started = time.perf_counter()
        if mode == "pair":
            for i in range(calls):
                mlflow.log_metrics({"loss": 1.0 / (i + 1), "accuracy": i / calls}, step=i)
        elif mode == "async":
            for i in range(calls):
                mlflow.log_metric("loss", 1.0 / (i + 1), step=i, synchronous=False)
            mlflow.flush_async_logging()
        else:
            for i in range(calls):
                mlflow.log_metric("loss", 1.0 / (i + 1), step=i)
        elapsed = time.perf_counter() - started
    history = mlflow.tracking.MlflowClient().get_metric_history(run.info.run_id, "loss")
    if len(history) != calls:
        raise SystemExit(f"mlflow recorded {len(history)} points for {calls} calls ({mode})")
    return elapsed


def _median_rate(runs: list[float], calls: int) -> float:
    return calls / statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000, help="our calls per repetition")
    parser.add_argument("--mlflow-calls", type=int, default=2_000, help="MLflow calls per rep")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default=None, help="parent of the scratch folder")
    args = parser.parse_args()
    try:
        import mlflow
    except ImportError:
        print("bench/tracking.py: mlflow is not installed — pip install mlflow-skinny to run it")
        return
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    scratch = Path(tempfile.mkdtemp(prefix="mlpipe-bench-tracking-", dir=args.dir))
    try:
        mlflow.set_tracking_uri((scratch / "mlruns").as_uri())
        mlflow.set_experiment("bench")
        variants: dict[str, tuple[int, Callable[[], float]]] = {
            "ours_single": (args.calls, lambda: _ours(scratch, args.calls, pair=False)),
            "ours_pair": (args.calls, lambda: _ours(scratch, args.calls, pair=True)),
            "mlflow_single": (args.mlflow_calls, lambda: _mlflow(args.mlflow_calls, "single")),
            "mlflow_pair": (args.mlflow_calls, lambda: _mlflow(args.mlflow_calls, "pair")),
            "mlflow_async": (args.mlflow_calls, lambda: _mlflow(args.mlflow_calls, "async")),
        }
        runs: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeat):
            for name, (_calls, run) in variants.items():
                runs[name].append(run())
    finally:
        os.environ.pop("MLPIPE_TRIAL_OUTPUTS_PATH", None)
        shutil.rmtree(scratch, ignore_errors=True)
    rates = {name: _median_rate(runs[name], variants[name][0]) for name in variants}
    ratios = {
        "single": rates["ours_single"] / rates["mlflow_single"],
        "pair": rates["ours_pair"] / rates["mlflow_pair"],
        "single_vs_mlflow_async": rates["ours_single"] / rates["mlflow_async"],
    }
    result = {
        "benchmark": "metric logging: tracking.log_metrics vs mlflow file store",
        "peer": f"mlflow {mlflow.__version__} (file store, MLFLOW_ALLOW_FILE_STORE=true)",
        "calls": {name: variants[name][0] for name in variants},
        "repeat": args.repeat,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "calls_per_second_median": rates,
        "microseconds_per_call_median": {name: 1e6 / rate for name, rate in rates.items()},
        "seconds_all": runs,
        "ratio_ours_over_mlflow": ratios,
        "target": "ours >= 100x mlflow log_metric (single)",
        "target_met": ratios["single"] >= 100,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for name, rate in rates.items():
        print(f"{name:14s} {rate:12,.0f} calls/s  {1e6 / rate:9.2f} us/call")
    print(f"ratio single {ratios['single']:.0f}x, pair {ratios['pair']:.0f}x -> {RESULTS}")


if __name__ == "__main__":
    main()
