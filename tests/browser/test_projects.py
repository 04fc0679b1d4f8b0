"""Two projects, two sweeps each, one objective minimised and one maximised: the sidebar lists
every group with its id, opens each, and "Deploy best" deploys the truly best experiment of
each — the same one that `mlpipe best`, `%mlpipe best`, `Mlpipe.best` and the dashboard name.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.api import Mlpipe

from .conftest import ARTIFACTS, Lab
from .project import MODEL
from .project import SPEC as PROJECT_SPEC
from .test_sidebar import _open_panel, page  # noqa: F401  (the page fixture)

pytestmark = pytest.mark.integration

TRAIN = '''\
"""Fit y = 3x by gradient steps; log loss and accuracy (which grows as the loss falls)."""
import argparse
import os

import numpy as np

from jupyter_mlpipe import tracking

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
args = parser.parse_args()
x = np.linspace(-1.0, 1.0, 16)
w = 0.0
for step in range(4):
    w -= args.lr * float(np.mean(2 * (w * x - 3.0 * x) * x))
    loss = float(np.mean((w * x - 3.0 * x) ** 2))
    tracking.log_metrics(step=step, loss=loss, accuracy=1.0 / (1.0 + loss))
np.save(os.path.join(tracking.get_outputs_path(), "model.npy"), np.array([w]))
'''

SPEC = PROJECT_SPEC.replace("[0.05, 0.2, 0.4]", "[LRS]")

#: project → [(learning rates, objective)], two sweeps each: one minimises, one maximises.
SWEEPS = {
    "alpha": [("0.05, 0.4, 0.1", "loss:min"), ("0.3, 0.02, 0.15", "accuracy:max")],
    "beta": [("0.01, 0.2", "accuracy:max"), ("0.35, 0.04, 0.25", "loss:min")],
}


def _mlpipe(lab: Lab, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "jupyter_mlpipe.cli", *args],
        env=lab.env, cwd=lab.roots / "repos", capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def _api(lab: Lab, project: str) -> Mlpipe:
    env = lab.env
    return Mlpipe(
        outputs_root=env["MLPIPE_OUTPUTS_ROOT"],
        deployments_root=env["MLPIPE_DEPLOYMENTS_ROOT"],
        data_root=env["MLPIPE_DATA_ROOT"],
        repos_root=env["MLPIPE_REPOS_ROOT"],
        project=project,
    )


def _bests(lab: Lab, project: str, group: int) -> dict[str, int]:
    """The best experiment of a group as each front end names it."""
    import json

    from IPython.core.interactiveshell import InteractiveShell

    from jupyter_mlpipe.magics import register
    from jupyter_mlpipe.widgets import Dashboard

    api = _api(lab, project)
    out = {"api": api.best(group).id}
    cli = json.loads(_mlpipe(lab, "best", str(group), "--project", project, "--format", "json"))
    out["cli"] = int(cli["id"]) if "id" in cli else int(cli["experiment"]["id"])
    rest = lab.api(f"groups/{group}/best?project={project}")
    out["rest"] = rest["experiment"]["id"]  # type: ignore[index]
    InteractiveShell.clear_instance()
    shell = InteractiveShell.instance()
    register(shell, api=api)
    try:
        out["magic"] = shell.run_line_magic("mlpipe", f"best {group}").id
    finally:
        InteractiveShell.clear_instance()
    board = Dashboard(api, group=group, project=project)
    try:
        board.tick()
        assert board.best is not None
        out["dashboard"] = board.best
    finally:
        board.close()
    return out


def _truly_best(lab: Lab, project: str, group: int, objective: str) -> int:
    """Computed here from the experiments' own metrics files, not through any reader."""
    import json

    metric, mode = objective.split(":")
    folder = Path(lab.env["MLPIPE_OUTPUTS_ROOT"])
    groups = next(folder.glob(f"*/{project}/groups/{group}"))
    scores = {}
    for experiment in groups.iterdir():
        if experiment.name.isdigit():
            lines = (experiment / "metrics.jsonl").read_text().splitlines()
            scores[int(experiment.name)] = json.loads(lines[-1])["values"][metric]
    pick = min if mode == "min" else max
    return pick(scores, key=lambda e: scores[e])


def test_two_projects_two_objectives_deploy_the_truly_best(lab: Lab, page: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    expect.set_options(timeout=90_000)
    repos = lab.roots / "repos"
    (repos / "train.py").write_text(TRAIN)
    (repos / "model").mkdir()
    (repos / "model" / "LineModel.py").write_text(MODEL)
    groups: dict[str, list[tuple[int, str]]] = {}
    for project, sweeps in SWEEPS.items():
        for number, (lrs, objective) in enumerate(sweeps, start=1):
            spec = repos / f"{project}-{number}.yml"
            spec.write_text(SPEC.replace("LRS", lrs))
            out = _mlpipe(lab, "sweep", "-f", str(spec), "--project", project,
                          "--objective", objective, "--wait")  # fmt: skip
            assert "succeeded" in out, out
            groups.setdefault(project, []).append((number, objective))

    panel = _open_panel(page)
    field = panel.get_by_label("Project")
    deployed: dict[str, str] = {}
    for project, sweeps in groups.items():
        field.fill(project)
        field.press("Enter")
        for group, _ in sweeps:  # every group is listed under its own id
            expect(panel.locator(f'.jp-mlpipe-group[data-group="{group}"]')).to_be_visible()
        for group, objective in sweeps:
            truth = _truly_best(lab, project, group, objective)
            bests = _bests(lab, project, group)
            assert set(bests.values()) == {truth}, (project, group, objective, bests)
            panel.get_by_role("button", name=f"Open sweep {group}").first.click()
            expect(panel.get_by_text(f"Sweep #{group}")).to_be_visible()
            panel.get_by_label("Model class source folder").fill("model")
            panel.get_by_label("Model class name").fill("LineModel")
            panel.get_by_role("button", name="Deploy best").click()
            operation = panel.locator(".jp-mlpipe-operation")
            expect(operation).to_have_attribute("data-status", "succeeded", timeout=180_000)
            name = f"{project}-g{group}-e{truth}"
            expect(panel.locator(f'.jp-mlpipe-deployment[data-name="{name}"]')).to_be_visible()
            deployed[name] = objective
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            panel.screenshot(path=str(ARTIFACTS / f"projects-{project}-g{group}.png"))
            panel.get_by_role("button", name="Back to all sweeps").click()
    # each deployment serves its own package: four names, none replaced by another
    listed = {d["name"] for d in lab.api("deployments")["deployments"]}  # type: ignore[index]
    assert set(deployed) <= listed, (deployed, listed)
    for name in deployed:
        lab.api(f"deployments/{name}", method="DELETE")
