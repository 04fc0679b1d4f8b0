"""The spec core is pure: no processes, no network, no OS calls beyond reading the spec file."""

from __future__ import annotations

import ast
from pathlib import Path

import jupyter_mlpipe.spec as spec_pkg

FORBIDDEN = {
    "subprocess",
    "socket",
    "http",
    "urllib",
    "requests",
    "asyncio",
    "os",
    "shutil",
    "multiprocessing",
    "threading",
    "signal",
    "ctypes",
    "pickle",
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_spec_modules_import_no_io_libraries():
    folder = Path(spec_pkg.__file__).parent
    offenders = {
        path.name: sorted(imported_roots(path) & FORBIDDEN) for path in folder.glob("*.py")
    }
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_only_load_spec_reads_files():
    folder = Path(spec_pkg.__file__).parent
    readers = [p.name for p in folder.glob("*.py") if "read_text" in p.read_text(encoding="utf-8")]
    assert readers == ["parser.py"]
