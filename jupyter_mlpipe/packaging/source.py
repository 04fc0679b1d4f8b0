"""Choose the model's source files and check the model class without importing it.

Copy rule: from the source folder, every ``*.py`` file, plus other regular files of at most
:data:`MAX_EXTRA_BYTES` whose suffix is in :data:`EXTRA_SUFFIXES` (configs, label lists); the
same rule applies inside sub-folders that are Python packages (they hold ``__init__.py``), down
to :data:`MAX_DEPTH` levels. Other sub-folders, hidden entries, ``__pycache__``, symlinks pointing
outside the folder and checkpoint-like files (``*.dat``, ``*.pt``, ``*.pth``, ``*.ckpt``,
``*.bin`` ...) are skipped: checkpoints come from the experiment's outputs, not from a stale copy
next to the code.
"""

from __future__ import annotations

import ast
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import PackageError
from .contained import is_inside, real

log = logging.getLogger("jupyter_mlpipe")

#: Non-Python files copied along when small: text the model code may read at load time.
EXTRA_SUFFIXES = frozenset({".txt", ".json", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".csv"})
MAX_EXTRA_BYTES = 1 << 20
#: How deep package sub-folders are followed.
MAX_DEPTH = 4
#: Files the package writes itself; a same-named file in the source is not copied.
GENERATED = frozenset({"requirements.txt", "lineage.json", "model-settings.json", "Dockerfile"})

#: Import name → distribution name, where they differ or matter for serving.
_DISTRIBUTIONS = {
    "sklearn": "scikit-learn",
    "PIL": "pillow",
    "cv2": "opencv-python-headless",
    "yaml": "PyYAML",
    "skimage": "scikit-image",
}


@dataclass(frozen=True)
class SourceFiles:
    """The files chosen from a source folder.

    Attributes:
        folder: the source folder (resolved).
        files: chosen files (absolute), in walk order; their place in the package is their
            path relative to ``folder``.
        requirements: the folder's own ``requirements.txt`` when it has one (and it really lies
            in the folder).
        skipped: links that were not followed because they lead outside ``folder``.
    """

    folder: Path
    files: tuple[Path, ...]
    requirements: Path | None
    skipped: tuple[Path, ...] = ()


def select_sources(folder: Path) -> SourceFiles:
    """Apply the copy rule to ``folder``.

    Raises:
        PackageError: the folder does not exist or holds no Python file.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise PackageError(
            f"model source folder {str(folder)!r} does not exist — pass --source with the folder"
            " holding the model class module (e.g. MnistModel.py)"
        )
    folder = folder.resolve()
    skipped: list[Path] = []
    chosen = _walk(folder, folder, 0, skipped)
    if not any(p.suffix == ".py" for p in chosen):
        raise PackageError(
            f"model source folder {str(folder)!r} holds no .py file — pass --source with the"
            " folder holding the model class module"
        )
    reqs = folder / "requirements.txt"
    if reqs.is_symlink() and not is_inside(reqs, folder):
        skipped.append(reqs)
    own_reqs = reqs if reqs.is_file() and is_inside(reqs, folder) else None
    for path in skipped:
        log.warning("not packaging %s: it links to %s, outside the source folder %s",
                    path, real(path), folder)
    return SourceFiles(folder, tuple(chosen), own_reqs, tuple(skipped))


def _walk(root: Path, here: Path, depth: int, skipped: list[Path]) -> list[Path]:
    """Files under ``here`` that the copy rule takes; links leaving ``root`` go to ``skipped``
    (only those the rule would otherwise have taken, so an unrelated ``data -> /mnt`` link
    raises no warning)."""
    chosen: list[Path] = []
    for entry in sorted(here.iterdir()):
        if entry.name.startswith(".") or (depth == 0 and entry.name in GENERATED):
            continue
        package = entry.is_dir() and depth < MAX_DEPTH and entry.name != "__pycache__" and (
            entry / "__init__.py").is_file()
        wanted = package or (entry.is_file() and (entry.suffix == ".py" or (
            entry.suffix in EXTRA_SUFFIXES and entry.stat().st_size <= MAX_EXTRA_BYTES)))
        if not wanted:
            continue
        if entry.is_symlink() and not is_inside(entry, root):
            skipped.append(entry)
        elif package:
            chosen += _walk(root, entry, depth + 1, skipped)
        else:
            chosen.append(entry)
    return chosen


def check_model_class(folder: Path, model_class: str) -> ast.Module:
    """Make sure ``<folder>/<model_class>.py`` defines ``class <model_class>`` with ``predict``.

    Seldon's wrapper imports the module named ``MODEL_NAME`` and takes the class of the same
    name, so both must match. The module is parsed, never imported: packaging must not run user
    code (or pull in torch) just to copy files.

    Returns:
        the parsed module (used to infer requirements).

    Raises:
        PackageError: the module is missing, does not parse, or lacks the class.
    """
    if not model_class.isidentifier():
        raise PackageError(
            f"model class must be a Python identifier, got {model_class!r} — pass --model-class"
            " with the class name, e.g. MnistModel"
        )
    module = folder / f"{model_class}.py"
    if not module.is_file():
        found = sorted(p.stem for p in folder.glob("*.py"))
        raise PackageError(
            f"model class {model_class!r} needs the module {module.name} in {str(folder)!r}"
            f" (Seldon imports the module named like the class); found {found} — rename the"
            " module or pass --model-class"
        )
    try:
        tree = ast.parse(module.read_text(encoding="utf-8"), filename=str(module))
    except (SyntaxError, UnicodeDecodeError) as exc:
        raise PackageError(f"{module} does not parse ({exc}) — fix the module first") from exc
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == model_class:
            return tree
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    raise PackageError(
        f"{module} defines no class {model_class!r} (classes found: {classes}) — name the class"
        " like its module, as Seldon requires"
    )


def imported_modules(trees: list[ast.Module]) -> set[str]:
    """Top-level module names imported (absolutely) anywhere in ``trees``."""
    names: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


#: Imports that never belong in a serving image's requirements: the project itself and the
#: Polyaxon compatibility shim it provides to training code.
_NEVER_REQUIRED = frozenset({"jupyter_mlpipe", "polyaxon_helper", "polyaxon_client"})


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None


def infer_requirements(files: tuple[Path, ...], root: Path, entry: str) -> list[str]:
    """Distributions the model needs: third-party imports reachable from its module.

    Starting at ``<root>/<entry>.py``, local modules and packages it imports are followed (so a
    training script or a notebook helper lying next to the model adds nothing), standard-library
    modules are left out, and import names are mapped to distribution names where they differ.
    Versions are not pinned: the builder image brings its own pins (Seldon 1.17.1 needs
    numpy < 1.27), and the training environment's versions are recorded in the lineage instead.
    """
    modules: dict[str, list[Path]] = {}
    for path in files:
        if path.suffix == ".py":
            top = path.relative_to(root).parts[0]
            modules.setdefault(top[:-3] if top.endswith(".py") else top, []).append(path)
    stdlib = set(getattr(sys, "stdlib_module_names", ())) | {"__future__"}
    seen: set[str] = set()
    todo, third_party = [entry], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        trees = [t for t in map(_parse, modules.get(name, ())) if t is not None]
        for imported in imported_modules(trees):
            if imported in modules:
                todo.append(imported)
            elif imported not in stdlib and imported not in _NEVER_REQUIRED:
                third_party.add(imported)
    return sorted({_DISTRIBUTIONS.get(n, n) for n in third_party}, key=str.lower)
