"""A plain ``pip install jupyter-mlpipe`` (no extras), in a fresh venv, tries every verb.

The wheel is built from this checkout and installed with its core dependencies from the package
index into a new venv that cannot see the test environment's packages. Verbs that need nothing
optional work; those that need an optional part (plots, magics, widgets, Kubernetes) fail with
one line naming the extra to install — never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration

SPEC = """\
version: 1
kind: group
hptuning:
  concurrency: 2
  matrix:
    lr: {values: [0.1, 0.01]}
run:
  cmd: python -c "import pathlib; from jupyter_mlpipe import tracking as t;
    [t.log_metrics(step=s, loss={{ lr }} / (s + 1)) for s in range(3)];
    pathlib.Path(t.get_outputs_path(), 'model.dat').write_text('{{ lr }}')"
"""

MODEL = """\
class Echo:
    def predict(self, X, names=None):
        return X
"""


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    """(the venv's bin folder, an environment on fresh roots, a project folder)."""
    root = tmp_path_factory.mktemp("bare")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLPIPE_", "PYTHON"))}
    built = (REPO / "jupyter_mlpipe" / "labextension" / "package.json").exists()
    if built:  # the prebuilt labextension is there: no Node needed to build the wheel
        env["HATCH_JUPYTER_BUILDER_SKIP_NPM"] = "1"
    wheel = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "dist"),
         str(REPO)],
        env, root,
    )  # fmt: skip
    assert wheel.returncode == 0, wheel.stderr[-3000:]
    (path,) = (root / "dist").glob("jupyter_mlpipe-*.whl")
    made = _run([sys.executable, "-m", "venv", str(root / "venv")], env, root)
    assert made.returncode == 0, made.stderr
    bin_dir = root / "venv" / "bin"
    installed = _run([str(bin_dir / "python"), "-m", "pip", "install", "-q", str(path)], env, root)
    assert installed.returncode == 0, installed.stderr[-3000:]
    for name in ("OUTPUTS_ROOT", "DATA_ROOT", "DEPLOYMENTS_ROOT"):
        env[f"MLPIPE_{name}"] = str(root / name.lower())
    env["MLPIPE_CONFIG"] = str(root / "config.yaml")
    env["MLPIPE_PROJECT"] = "bare"
    env["COLUMNS"] = "80"
    project = root / "project"
    project.mkdir()
    (project / "sweep.yml").write_text(SPEC)
    (project / "Echo.py").write_text(MODEL)
    return bin_dir, env, project


def test_the_venv_has_no_optional_part(bare: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, project = bare
    code = "import importlib.util as u; print([m for m in ('matplotlib', 'IPython', " \
        "'ipywidgets', 'kubernetes', 'jupyter_server') if u.find_spec(m)])"  # fmt: skip
    assert _run([str(bin_dir / "python"), "-c", code], env, project).stdout.strip() == "[]"


def test_every_verb_without_extras(bare: tuple[Path, dict[str, str], Path]) -> None:
    bin_dir, env, project = bare

    def mlpipe(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        done = _run([str(bin_dir / "mlpipe"), *args], env, project)
        assert done.returncode == code, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr, (args, done.stderr)
        return done

    assert mlpipe().stdout.startswith("mlpipe ")
    assert "sweep" in mlpipe("--version").stdout
    assert "did you mean 'sweep'" in mlpipe("swep", code=2).stderr
    assert "example:" in mlpipe("sweep", "--help").stdout
    mlpipe("sweep", "sweep.yml", "--objective", "loss:min", "--wait")
    assert json.loads(mlpipe("groups", "--format", "json").stdout)[0]["succeeded"] == 2
    assert "lr" in mlpipe("experiments", "1").stdout
    best = json.loads(mlpipe("best", "1", "--format", "json").stdout)
    assert best["params"]["lr"] == 0.01
    mlpipe("logs", str(best["id"]))  # the trial prints nothing: the verb answers, no error
    assert "loss:min" in mlpipe("objective", "1").stdout
    plot = mlpipe("plot", "1", "--metric", "loss", "--save", "p.png", code=2)
    assert plot.stderr.strip().splitlines() == [
        "mlpipe: plots need matplotlib, which is not installed — "
        "pip install 'jupyter-mlpipe[notebook]'"
    ]
    package = mlpipe("package", str(best["id"]), "--name", "bare", "--model-class", "Echo")
    assert "package bare" in package.stdout and "mlpipe deploy bare" in package.stdout
    assert "FROM" in mlpipe("build", "bare", "--image", "r/bare:1", "--dry-run").stdout
    kube = mlpipe("deploy", "bare", "--backend", "seldon", "--image", "r/bare:1", code=2)
    assert "pip install 'jupyter-mlpipe[kubernetes]'" in kube.stderr
    assert "answers at" in mlpipe("deploy", "bare").stdout
    try:
        answer = json.loads(mlpipe("predict", "bare", "[[0.25, 0.75]]", "--format", "json").stdout)
        assert [value for _, value in answer["top"]] == [0.75, 0.25]  # the echo, best first
        assert "healthy" in mlpipe("deployments").stdout
    finally:
        mlpipe("undeploy", "bare")
    assert "project" in mlpipe("config").stdout
    assert "kind: PersistentVolume" in mlpipe("cluster", "manifests", "--nfs-server", "h").stdout


@pytest.mark.parametrize(
    ("module", "extra"),
    [("jupyter_mlpipe.magics", "notebook"), ("jupyter_mlpipe.widgets", "notebook")],
)
def test_optional_parts_name_their_extra(
    bare: tuple[Path, dict[str, str], Path], module: str, extra: str
) -> None:
    bin_dir, env, project = bare
    done = _run([str(bin_dir / "python"), "-c", f"import {module}"], env, project)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].endswith(f"pip install 'jupyter-mlpipe[{extra}]'")
