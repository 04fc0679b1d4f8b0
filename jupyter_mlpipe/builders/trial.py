"""The trial image of a Kubernetes sweep: ``build.image`` + the build steps, built once.

Polyaxon v0.x built an experiment image from ``build.image`` and ``build_steps``; running the
steps in every pod instead would download the same packages once per trial. The trial image is

* ``FROM build.image``;
* the standard-library tracking module (``jupyter_mlpipe.tracking`` with the package's
  ``__init__`` and ``errors``) and the ``polyaxon_helper`` shim in :data:`TRIAL_PYTHON`, put on
  ``PYTHONPATH`` so every Python in the image imports them;
* the project folder in :data:`TRIAL_PROJECT` (the working folder of the build steps, so
  ``pip install -r requirements.txt`` finds its file);
* each build step as a ``RUN`` in exec form (a JSON argument list; no shell parses user
  values: a step with a shell operator is refused with the fix);
* a last fixed ``RUN`` (:data:`DEDUPE`, needs ``python3`` like the trial entry does): when the
  steps installed the full jupyter-mlpipe, the tracking-only copy is removed so it never
  shadows that install.

Its tag is a content hash of the base image reference, the steps and every file copied, so an
unchanged spec names the same image and a registry that already holds it is not asked to hold it
again. Pure functions plan and render; :func:`stage_context` is the one side effect (it writes
the build context).
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BuildError

TRIAL_PYTHON = "/opt/mlpipe/python"
TRIAL_PROJECT = "/opt/mlpipe/project"
FORMAT = 2  # bump when the rendered Dockerfile changes meaning: every hash changes with it
#: Run last in the image (fixed code, no user value): when the build steps installed the full
#: jupyter-mlpipe, drop the tracking-only copy so it does not shadow that install; the
#: ``polyaxon_helper`` shim works with either.
DEDUPE = (
    "import importlib.util, shutil, sys; p = {path!r}; "
    "sys.path[:] = [x for x in sys.path if x.rstrip('/') != p]; "
    "found = importlib.util.find_spec('jupyter_mlpipe'); "
    "found is None or shutil.rmtree(p + '/jupyter_mlpipe')"
)
#: Folder and file names never copied from the project into the image.
SKIPPED = frozenset({".git", "__pycache__", ".ipynb_checkpoints", ".mlpipe-build", ".venv",
                     "mlpipe-outputs", ".mypy_cache", ".pytest_cache", ".ruff_cache"})
SHELL_OPERATORS = frozenset({"&&", "||", "|", ";", ">", ">>", "<", "&", "2>", "2>&1"})
_PACKAGE = Path(__file__).resolve().parents[1]  # jupyter_mlpipe/


@dataclass(frozen=True)
class ContextFile:
    """One file of the build context: where it comes from, where it goes, its sha256."""

    source: Path
    target: str  # relative to the context folder, POSIX
    sha256: str


@dataclass(frozen=True)
class TrialImagePlan:
    """What the trial image holds and what it is called.

    Attributes:
        base: ``build.image``.
        steps: the build steps as argument lists.
        files: the context files (tracking payload and project folder), sorted by target.
        repository: where the image is pushed (``registry/mlpipe-trial-<project>``).
    """

    base: str
    steps: tuple[tuple[str, ...], ...]
    files: tuple[ContextFile, ...]
    repository: str

    @property
    def content_hash(self) -> str:
        doc = {"format": FORMAT, "base": self.base, "steps": [list(s) for s in self.steps],
               "files": [[f.target, f.sha256] for f in self.files]}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()

    @property
    def tag(self) -> str:
        return f"t{self.content_hash[:24]}"

    @property
    def image(self) -> str:
        """The tagged reference (``repository:tag``)."""
        return f"{self.repository}:{self.tag}"

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "steps": [list(s) for s in self.steps], "image": self.image,
                "content_hash": self.content_hash, "files": len(self.files)}


def split_step(step: str) -> tuple[str, ...]:
    """A build step as an argument list (POSIX shell words, never run by a shell).

    Raises:
        BuildError: the step does not split, is empty, or uses a shell operator.
    """
    try:
        argv = tuple(shlex.split(step))
    except ValueError as exc:
        raise BuildError(f"build step {step!r} does not split into words ({exc}) — close the"
                         " quote") from exc
    if not argv:
        raise BuildError("a build step is empty — remove it from build.build_steps")
    ops = [word for word in argv if word in SHELL_OPERATORS]
    if ops:
        raise BuildError(f"build step {step!r} uses the shell operator {ops[0]!r}, which no"
                         " shell interprets here — write each command as its own build step")
    return argv


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tracking_files() -> list[ContextFile]:
    """The standard-library tracking payload: enough of ``jupyter_mlpipe`` to import
    ``jupyter_mlpipe.tracking``, and the ``polyaxon_helper`` shim beside it."""
    out: list[ContextFile] = []
    picks = [_PACKAGE / "__init__.py", _PACKAGE / "errors.py",
             *sorted((_PACKAGE / "tracking").glob("*.py"))]
    for src in picks:
        target = f"mlpipe-python/jupyter_mlpipe/{src.relative_to(_PACKAGE).as_posix()}"
        out.append(ContextFile(src, target, _sha256(src)))
    shim = _PACKAGE / "tracking" / "_compat" / "polyaxon_helper.py"
    out.append(ContextFile(shim, "mlpipe-python/polyaxon_helper.py", _sha256(shim)))
    return out


def project_files(folder: str | Path) -> list[ContextFile]:
    """Regular files under ``folder`` (symbolic links and :data:`SKIPPED` names left out, so
    nothing outside the folder is ever copied).

    Raises:
        BuildError: ``folder`` is not a folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise BuildError(f"the project folder {root} does not exist — run the sweep from the"
                         " folder that holds the spec")
    out: list[ContextFile] = []
    stack = [root]
    while stack:
        here = stack.pop()
        for entry in sorted(here.iterdir()):
            if entry.name in SKIPPED or entry.is_symlink():
                continue
            if entry.is_dir():
                stack.append(entry)
            elif entry.is_file():
                rel = entry.relative_to(root).as_posix()
                out.append(ContextFile(entry, f"project/{rel}", _sha256(entry)))
    return out


def plan_trial_image(base: str, build_steps: tuple[str, ...] | list[str], project_dir: str | Path,
                     repository: str) -> TrialImagePlan:
    """Plan the trial image of a sweep (reads the files to hash them; writes nothing).

    Raises:
        BuildError: a build step is not an argument list, or the project folder is missing.
    """
    steps = tuple(split_step(step) for step in build_steps)
    files = sorted([*tracking_files(), *project_files(project_dir)], key=lambda f: f.target)
    return TrialImagePlan(base=base, steps=steps, files=tuple(files), repository=repository)


def render_trial_dockerfile(plan: TrialImagePlan) -> str:
    """The Dockerfile of ``plan`` (``RUN`` in exec form: JSON argument lists)."""
    if "\n" in plan.base or not plan.base.strip():
        raise BuildError(f"build.image {plan.base!r} is not an image reference")
    lines = [
        f"# Generated by jupyter-mlpipe: a sweep's trial image (content {plan.content_hash}).",
        f"FROM {plan.base}",
        f'LABEL io.mlpipe.trial-image="{plan.content_hash}"',
        f"COPY mlpipe-python/ {TRIAL_PYTHON}/",
        f'ENV PYTHONPATH="{TRIAL_PYTHON}${{PYTHONPATH:+:$PYTHONPATH}}"',
        f"COPY project/ {TRIAL_PROJECT}/",
        f"WORKDIR {TRIAL_PROJECT}",
    ]
    lines += [f"RUN {json.dumps(list(step))}" for step in plan.steps]
    lines.append(f"RUN {json.dumps(['python3', '-c', DEDUPE.format(path=TRIAL_PYTHON)])}")
    return "\n".join(lines) + "\n"


def stage_context(plan: TrialImagePlan, folder: str | Path) -> Path:
    """Write the build context of ``plan`` into ``folder`` (created; emptied first): the
    Dockerfile and every planned file. Returns the folder."""
    out = Path(folder)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for f in plan.files:
        target = out / f.target
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f.source, target)
    (out / "Dockerfile").write_text(render_trial_dockerfile(plan), encoding="utf-8")
    return out
