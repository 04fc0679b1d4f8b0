"""The whole loop on this machine: sweep → ship (best → package → deploy) → predict → undeploy.

Run with ``make demo`` (or ``python notebooks/mnist/demo.py`` in the project's venv). Uses the
settings in force (``mlpipe config``): by default the outputs go to ~/.local/share/mlpipe/outputs
and the package to ~/.local/share/mlpipe/deployments. Pass ``--quick`` for a two-experiment,
one-epoch sweep.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.errors import MlpipeError

HERE = Path(__file__).resolve().parent
SPEC = HERE / "polyaxonfile_hyperparams.yml"
QUICK = {"n_experiments: 10": "n_experiments: 2", "epochs: 5": "epochs: 1"}


def step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--project", default="mnist")
    parser.add_argument("--quick", action="store_true", help="2 experiments, 1 epoch")
    args = parser.parse_args()
    api = Mlpipe(project=args.project)
    text = SPEC.read_text()
    if args.quick:
        for old, new in QUICK.items():
            text = text.replace(old, new)
    step(f"sweep {SPEC.relative_to(Path.cwd()) if SPEC.is_relative_to(Path.cwd()) else SPEC}"
         f" (project {args.project}, outputs in {api.settings.outputs_root})")
    sweep = api.sweep(
        SPEC, text=text, name="mnist-demo", wait=True, progress=True, objective="accuracy:max"
    )
    record = sweep.record()
    print(f"group {record.id}: {record.status} {record.message}")
    columns = ["status", "lr", "momentum", "loss", "accuracy", "duration"]
    print(api.experiments(record.id, sort="-accuracy")[columns].to_string())
    best = api.best(record.id)  # by the group's objective, accuracy:max
    step(f"best: experiment {best.id} — accuracy {best.last('accuracy'):.4f},"
         f" lr {best.params['lr']:.5g}, momentum {best.params['momentum']:.4f}")
    step("ship: package → build (not needed locally) → deploy, as one recorded operation")
    operation = api.ship(record.id, on_progress=lambda event: print(f"  {event.message}"))
    name = str(operation.result["deploy"]["name"])
    try:
        step(f"predict {HERE / 'digit.png'}")
        prediction = api.predict(name, HERE / "digit.png")
        print(f"the digit is a {prediction.label}; top 3:",
              ", ".join(f"{n} ({p:.3f})" for n, p in prediction.top[:3]))
    finally:
        api.undeploy(name)
        print(f"undeployed {name}")
    step("next: `.venv/bin/jupyter lab` and open the mlpipe sidebar to see this sweep")
    return 0 if record.status == "succeeded" else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except MlpipeError as exc:
        print(f"demo failed: {exc}", file=sys.stderr)
        sys.exit(1)
