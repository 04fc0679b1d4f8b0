"""The notebooks execute top to bottom under nbval (``--nbval-lax``), on a throw-away store.

This is the configuration ``make test`` uses for ``pytest --nbval-lax notebooks/``: every
setting that would touch the user's folders points into a temporary directory, and the config
file is one nobody else reads.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from jupyter_mlpipe.proc import run

ROOT = Path(__file__).resolve().parents[2]


def notebook_env(tmp: Path) -> dict[str, str]:
    """The environment the notebooks run in under test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLPIPE_")}
    env.update(
        MLPIPE_OUTPUTS_ROOT=str(tmp / "outputs"),
        MLPIPE_DEPLOYMENTS_ROOT=str(tmp / "deployments"),
        MLPIPE_DATA_ROOT=str(tmp / "data"),
        MLPIPE_CONFIG=str(tmp / "config.yaml"),
        MLPIPE_PROJECT="notebooks",
        MPLBACKEND="Agg",
    )
    return env


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("name", ["quickstart.ipynb", "kubernetes.ipynb", "function-sweep.ipynb"])
def test_notebook_executes(name: str, tmp_path: Path) -> None:
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval-lax",
        "-p",
        "no:cacheprovider",
        "-q",
        "--rootdir",
        str(ROOT / "notebooks"),
        "-o",
        "addopts=",
        "-o",
        "filterwarnings=",
        str(ROOT / "notebooks" / name),
    ]
    done = run(argv, cwd=ROOT, env=notebook_env(tmp_path), timeout=900)
    assert done.returncode == 0, done.output[-4000:]
    if name == "function-sweep.ipynb":  # its restart-kernel cell ran (notebooks/conftest.py)
        assert "kernel restarts: 1" in done.output, done.output[-4000:]
