"""The wheel ships the prebuilt labextension and the config that enables the server extension,
and Jupyter reports both enabled from exactly those files (users need no Node)."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO, run_logged

pytestmark = pytest.mark.integration


def _jupyter(args: list[str], env: dict[str, str]) -> str:
    log = Path(env["JUPYTER_DATA_DIR"]).parent / f"jupyter-{'-'.join(args)}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    output = run_logged([sys.executable, "-m", "jupyter", *args], env, log, timeout=120)
    return re.sub(r"\x1b\[[0-9;]*m", "", output)  # drop terminal colours


def _env(jupyter_path: Path, config_path: Path, pythonpath: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(
        {
            "JUPYTER_PATH": str(jupyter_path),
            "JUPYTER_CONFIG_PATH": str(config_path),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "JUPYTER_DATA_DIR": str(home / "data"),
            "PYTHONPATH": str(pythonpath),
        }
    )
    return env


def _assert_enabled(env: dict[str, str]) -> None:
    labext = _jupyter(["labextension", "list"], env)
    assert re.search(r"jupyter-mlpipe v\S+ enabled\s+\S*OK", labext), labext
    assert "(python, jupyter-mlpipe)" in labext, labext
    serverext = _jupyter(["server", "extension", "list"], env)
    assert re.search(r"jupyter_mlpipe\.serverext\s+\S*enabled", serverext), serverext
    assert re.search(r"jupyter_mlpipe\.serverext\s+\S*OK", serverext), serverext


def test_the_built_wheel_contains_and_enables_the_extension(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    # Reuse the venv's build backend when it has one (fast, offline); else let pip fetch it.
    have_backend = all(importlib.util.find_spec(m) for m in ("hatchling", "hatch_jupyter_builder"))
    isolation = ["--no-build-isolation"] if have_backend else []
    run_logged(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-w", str(out), str(REPO)],
        None,
        tmp_path / "pip-wheel.log",
        timeout=900,
    )
    [wheel] = out.glob("jupyter_mlpipe-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = next(n.split("/")[0] for n in names if ".data/" in n)
    share = f"{data}/data/share/jupyter/labextensions/jupyter-mlpipe"
    for expected in (
        f"{share}/package.json",
        f"{share}/install.json",
        f"{share}/static/style.js",
        f"{data}/data/etc/jupyter/jupyter_server_config.d/jupyter_mlpipe.json",
        "jupyter_mlpipe/labextension/package.json",
        "jupyter_mlpipe/serverext/openapi.yaml",
    ):
        assert expected in names, expected
    assert any(re.match(rf"{share}/static/remoteEntry\.[0-9a-f]+\.js$", n) for n in names)
    assert not any("node_modules" in n or n.endswith(".ts") for n in names)

    # Lay the wheel out as an installer would and ask Jupyter.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    prefix = site / data / "data"
    _assert_enabled(
        _env(prefix / "share" / "jupyter", prefix / "etc" / "jupyter", site, tmp_path / "home")
    )


def test_the_source_tree_layout_is_enabled(jupyter_dirs: dict[str, str], tmp_path: Path) -> None:
    env = _env(
        Path(jupyter_dirs["JUPYTER_PATH"]),
        Path(jupyter_dirs["JUPYTER_CONFIG_PATH"]),
        REPO,
        tmp_path / "home",
    )
    _assert_enabled(env)
