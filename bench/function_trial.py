"""Function-trial overhead: sweeping a notebook function vs sweeping the same work as a script.

Both sweeps run the same work through the same engine — half-second trials that log one metric
— 20 trials, two at once. The script sweep runs ``python trial.py``; the function sweep runs the
generated ``python -m jupyter_mlpipe.tracking.function_trial``, which also imports cloudpickle,
checks the versions and unpickles the function. Each figure is ``Mlpipe.sweep`` → the group's
recorded end. Also measured: one bare trial process of each kind (no engine, no sleep), the
function trial's own cost. Target: function ≤ 1.1 × script. Results:
bench/results/function_trial.json.

Run: .venv/bin/python bench/function_trial.py [--trials 20] [--repeat 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "function_trial.json"
PAUSE = 0.5

SCRIPT = f"""
import time
from jupyter_mlpipe import tracking

i = tracking.get_params()["i"]
time.sleep({PAUSE})
tracking.log_metrics(score=i)
"""


def work(i: int) -> dict[str, float]:
    import time

    time.sleep(PAUSE)
    return {"score": i}


def _timed(submit: Callable[[], Any]) -> float:
    """Seconds from the submit to the group's end as its supervisor recorded it."""
    t0 = time.time()
    record = submit().wait(progress=False, interval=0.25)
    assert record.status == "succeeded", record.message
    return float(record.finished - t0)


def script_sweep(root: Path, n: int, concurrency: int) -> float:
    from jupyter_mlpipe.api import Mlpipe

    project = root / "script"
    project.mkdir(parents=True)
    (project / "trial.py").write_text(SCRIPT)
    spec = (f"version: 1\nkind: group\nhptuning:\n  concurrency: {concurrency}\n  matrix:\n"
            f"    i: {{range: 0:{n}:1}}\nrun:\n  cmd: python trial.py\n")
    (project / "sweep.yml").write_text(spec)
    api = Mlpipe(outputs_root=str(root / "out"), project="script")
    return _timed(lambda: api.sweep(project / "sweep.yml"))


def function_sweep(root: Path, n: int, concurrency: int) -> float:
    from jupyter_mlpipe.api import Mlpipe

    api = Mlpipe(outputs_root=str(root / "out"), project="function")
    matrix = {"i": {"range": f"0:{n}:1"}}
    return _timed(lambda: api.sweep(work, matrix=matrix, concurrency=concurrency))


def startup(root: Path, n: int = 20) -> dict[str, float]:
    """Median seconds of one bare trial process (no engine): the function trial's own cost."""
    import subprocess
    import sys

    import cloudpickle

    from jupyter_mlpipe.api.functions import pickle_function
    from jupyter_mlpipe.tracking.function_trial import python_version

    folder = root / "startup" / "group" / "1"
    folder.mkdir(parents=True)
    (folder.parent / "function.pkl").write_bytes(pickle_function(quick))
    (root / "startup" / "trial.py").write_text(SCRIPT.replace(f"time.sleep({PAUSE})", ""))
    env = {**os.environ, "MLPIPE_TRIAL_OUTPUTS_PATH": str(folder),
           "MLPIPE_TRIAL_PARAMS": json.dumps({"i": 1})}
    argvs = {
        "function_trial_s": [sys.executable, "-m", "jupyter_mlpipe.tracking.function_trial",
                             "--python", python_version(), "--cloudpickle",
                             cloudpickle.__version__],
        "script_trial_s": [sys.executable, str(root / "startup" / "trial.py")],
    }
    times: dict[str, list[float]] = {k: [] for k in argvs}
    for _ in range(n):
        for key, argv in argvs.items():
            t0 = time.perf_counter()
            subprocess.run(argv, env=env, check=True)
            times[key].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def quick(i: int) -> dict[str, float]:
    return {"score": i}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args()
    scripts, functions = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):  # interleaved, order alternating: noise hits both alike
            base = Path(tmp) / str(i)
            if i % 2:
                functions.append(function_sweep(base, args.trials, args.concurrency))
            scripts.append(script_sweep(base, args.trials, args.concurrency))
            if not i % 2:
                functions.append(function_sweep(base, args.trials, args.concurrency))
        bare = startup(Path(tmp))
    ratio = statistics.median(functions) / statistics.median(scripts)
    result = {
        "trials": args.trials,
        "concurrency": args.concurrency,
        "trial_seconds": PAUSE,
        "repeat": args.repeat,
        "script_s": statistics.median(scripts),
        "function_s": statistics.median(functions),
        "ratio_function_over_script": ratio,
        "per_trial_overhead_s": (statistics.median(functions) - statistics.median(scripts))
        * args.concurrency
        / args.trials,
        "bare_process": bare,
        "target_ratio": 1.1,
        "meets_target": ratio <= 1.1,
        "cpus": os.cpu_count(),
        "runs": {"script_s": scripts, "function_s": functions},
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
