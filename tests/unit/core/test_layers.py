"""The architecture as a test: imports go downward only, and the package stays cheap to import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[3] / "jupyter_mlpipe"

# Layer of every top-level part of the package (DESIGN.md §3); a module may import only its own
# layer or lower ones. Lower number = lower layer.
LAYERS = {
    "errors": 0,
    "settings": 0,
    "proc": 0,
    "store": 1,
    "spec": 2,
    "search": 3,
    "tracking": 2,
    "k8s": 2,
    "engine": 3,
    "executors": 3,
    "builders": 3,
    "deployers": 3,
    "serving": 3,
    "packaging": 3,
    "plots": 3,
    "api": 4,
    "cli": 5,
    "magics": 5,
    "widgets": 5,
    "serverext": 5,
    "__init__": 6,
    "__main__": 6,
}
# Front ends see only the API (DESIGN.md §3): these parts, plus each other where listed below.
FRONT_ENDS = {"cli", "magics", "widgets", "serverext"}
FRONT_END_MAY_IMPORT = {"api", "errors", "settings"}
# Third-party libraries only some parts may import (STYLE.md habit 1).
ONLY_IN = {
    "kubernetes": {"k8s", "executors", "builders", "deployers"},
    "tornado": {"serverext"},
    "IPython": {"magics", "widgets", "plots"},
    "ipywidgets": {"widgets", "plots"},
    "matplotlib": {"plots", "widgets"},
}
# k8s holds renderers (pure) and the API client; executors/builders/deployers may use them.
ALLOWED_SIDEWAYS = {
    ("executors", "k8s"),
    ("builders", "k8s"),
    ("deployers", "k8s"),
    ("engine", "executors"),
    ("engine", "search"),
    ("magics", "cli"),  # one grammar: the magics reuse the CLI parser
    ("magics", "widgets"),
    ("engine", "spec"),
    ("deployers", "serving"),
    ("deployers", "packaging"),
    ("builders", "packaging"),
    ("engine", "tracking"),
    ("api", "engine"),
    ("k8s", "tracking"),
}


def _modules() -> list[Path]:
    return [p for p in PKG.rglob("*.py") if "labextension" not in p.parts]


def _part(path: Path) -> str:
    rel = path.relative_to(PKG).parts
    return rel[0][:-3] if rel[0].endswith(".py") else rel[0]


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    depth = len(path.relative_to(PKG).parts) - 1
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = path.relative_to(PKG).parts[: depth - node.level + 1]
                target = ".".join([*base, node.module or ""]).strip(".")
                first = target.split(".")[0] if target else ""
                if not first and node.level and not node.module:
                    first = ""
                if first:
                    found.append(("jupyter_mlpipe." + first, node.lineno))
                else:
                    for alias in node.names:
                        found.append(("jupyter_mlpipe." + alias.name, node.lineno))
            elif node.module == "jupyter_mlpipe":
                found.extend((f"jupyter_mlpipe.{a.name}", node.lineno) for a in node.names)
            elif node.module:
                found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
    return found


def test_every_part_has_a_layer() -> None:
    parts = {_part(p) for p in _modules()}
    assert parts <= set(LAYERS), f"give these parts a layer: {sorted(parts - set(LAYERS))}"


def test_every_layer_name_is_a_part() -> None:
    parts = {_part(p) for p in _modules()}
    assert set(LAYERS) <= parts | {"__init__", "__main__"}, sorted(set(LAYERS) - parts)


def test_front_ends_import_only_the_api() -> None:
    bad = []
    for path in _modules():
        mine = _part(path)
        if mine not in FRONT_ENDS:
            continue
        for name, line in _imports(path):
            if not name.startswith("jupyter_mlpipe."):
                continue
            other = name.split(".")[1]
            sideways = (mine, other) in ALLOWED_SIDEWAYS
            if other != mine and other not in FRONT_END_MAY_IMPORT and not sideways:
                bad.append(f"{path.relative_to(PKG)}:{line} ({mine}) imports {other}")
    assert not bad, "front ends must import only jupyter_mlpipe.api:\n" + "\n".join(bad)


def test_imports_point_downward() -> None:
    bad = []
    for path in _modules():
        mine = _part(path)
        for name, line in _imports(path):
            root = name.split(".")[0]
            if root == "jupyter_mlpipe":
                other = name.split(".")[1] if "." in name else "__init__"
                if other == mine or other not in LAYERS:
                    continue
                if LAYERS[other] > LAYERS[mine] or (
                    LAYERS[other] == LAYERS[mine]
                    and (mine, other) not in ALLOWED_SIDEWAYS
                    and LAYERS[mine] >= 2
                    and mine != other
                ):
                    bad.append(f"{path.relative_to(PKG)}:{line} ({mine}) imports {other}")
            elif root in ONLY_IN and mine not in ONLY_IN[root]:
                bad.append(f"{path.relative_to(PKG)}:{line} ({mine}) imports {root}")
    assert not bad, "imports against the layering:\n" + "\n".join(bad)


@pytest.mark.parametrize("module", ["jupyter_mlpipe", "jupyter_mlpipe.tracking"])
def test_import_stays_light(module: str) -> None:
    heavy = [
        "torch",
        "kubernetes",
        "tornado",
        "ipywidgets",
        "matplotlib",
        "pandas",
        "numpy",
        "optuna",
        "IPython",
        "uvicorn",
    ]
    code = f"import sys, {module}; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"importing {module} pulled in {out.stdout.strip()}"


def test_no_shell_anywhere() -> None:
    offenders = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        for needle in ("shell=True", "os.system(", "os.popen("):
            if needle in text:
                offenders.append(f"{path.relative_to(PKG)}: {needle}")
    assert not offenders, offenders
