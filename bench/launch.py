"""Launch overhead: 50 trivial trials at concurrency 2, the sweep engine vs a subprocess pool.

Both run the same command (``python -c pass``) 50 times, at most two at once. The engine's
figure covers everything a user waits for: ``Mlpipe.sweep`` (spec parsing, group creation, the
detached supervisor's start), every status record and event, until the supervisor records the
group's end. Also reported: the time from calling ``sweep`` to the first trial's recorded start.
Target: engine ≤ 1.2 × the pool. Results: bench/results/launch.json.

Run: .venv/bin/python bench/launch.py [--trials 50] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "launch.json"


TRIVIAL = "pass"
SHORT = "import time; time.sleep(0.5)"


def pool(n: int, concurrency: int, code: str = TRIVIAL) -> float:
    argv = [sys.executable, "-c", code]
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as ex:
        list(ex.map(lambda _: subprocess.run(argv, check=True), range(n)))
    return time.perf_counter() - start


def engine(n: int, concurrency: int, root: Path, code: str = TRIVIAL) -> tuple[float, float]:
    from jupyter_mlpipe.api import Mlpipe

    project = root / "proj"
    project.mkdir(parents=True, exist_ok=True)
    spec = (f"version: 1\nkind: group\nhptuning:\n  concurrency: {concurrency}\n  matrix:\n"
            f"    i: {{range: 0:{n}:1}}\nrun:\n  cmd: python -c '{code}'\n")
    (project / "bench.yml").write_text(spec)
    api = Mlpipe(outputs_root=str(root / "out"), project="bench")
    t0 = time.time()
    sweep = api.sweep(project / "bench.yml")
    record = sweep.wait(progress=False, interval=0.25)
    assert record.status == "succeeded", record.message
    # Until the supervisor recorded the group's end (not until our polling noticed it).
    total = record.finished - t0
    first = min(r.state.started for r in api._store("bench").experiments(sweep.group)
                if r.state.started)
    return total, first - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pools, engines, firsts = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):  # interleaved so machine noise hits both alike
            pools.append(pool(args.trials, args.concurrency))
            total, first = engine(args.trials, args.concurrency, Path(tmp) / str(i))
            engines.append(total)
            firsts.append(first)
    result = {
        "trials": args.trials, "concurrency": args.concurrency, "repeat": args.repeat,
        "pool_s": statistics.median(pools), "engine_s": statistics.median(engines),
        "ratio_engine_over_pool": statistics.median(engines) / statistics.median(pools),
        "sweep_to_first_trial_s": statistics.median(firsts),
        "target_ratio": 1.2, "cpus": os.cpu_count(),
        "runs": {"pool_s": pools, "engine_s": engines, "first_trial_s": firsts},
    }
    result["meets_target"] = result["ratio_engine_over_pool"] <= result["target_ratio"]
    # The same comparison with half-second trials: the overhead as a share of real work.
    with tempfile.TemporaryDirectory() as tmp:
        short_pool = pool(20, args.concurrency, SHORT)
        short_engine, _ = engine(20, args.concurrency, Path(tmp), SHORT)
    result["half_second_trials"] = {
        "trials": 20, "pool_s": short_pool, "engine_s": short_engine,
        "ratio_engine_over_pool": short_engine / short_pool,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    main()
