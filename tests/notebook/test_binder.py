"""The Binder environment names exactly the dependencies the project declares."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
#: The extras the notebooks need on Binder.
EXTRAS = ("notebook", "example", "kubernetes")


def _key(requirement: str) -> tuple[str, str]:
    parsed = Requirement(requirement)
    return parsed.name.lower().replace("_", "-"), str(parsed.specifier)


def _declared() -> set[tuple[str, str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = list(project["dependencies"])
    for extra in EXTRAS:
        wanted += project["optional-dependencies"][extra]
    return {_key(r) for r in wanted}


def _binder() -> set[tuple[str, str]]:
    lines = (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return {
        _key(line)
        for line in (raw.split("#")[0].strip() for raw in lines)
        if line and not line.startswith("-")
    }


def test_binder_requirements_match_pyproject() -> None:
    declared, binder = _declared(), _binder()
    assert binder == declared, (
        f"only in binder/requirements.txt: {sorted(binder - declared)}; "
        f"only in pyproject.toml: {sorted(declared - binder)}"
    )


def test_post_build_installs_the_project_and_enables_the_extension() -> None:
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK)
    text = post.read_text(encoding="utf-8")
    assert "pip install --no-deps ." in text
    assert "jupyter server extension enable --sys-prefix jupyter_mlpipe.serverext" in text
    assert (BINDER / "runtime.txt").read_text().strip().startswith("python-3.")
