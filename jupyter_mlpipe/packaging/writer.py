"""Write a model package folder (Seldon s2i or MLServer) atomically.

The folder is assembled in a hidden temporary sibling of its final path, flushed to disk, and
renamed into place (see :mod:`.staging`), so a reader sees either no package or a complete one.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import logging
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import Conflict, PackageError
from ..store.files import atomic_write_json
from ..store.names import safe_join, validate_name
from . import render, staging
from .contained import Escapes, is_inside, real
from .copying import copy_hashed
from .lineage import LINEAGE
from .records import FORMATS, MLSERVER, CheckpointInfo, PackageInfo
from .source import SourceFiles, check_model_class, infer_requirements, select_sources

log = logging.getLogger("jupyter_mlpipe")


class _Terminated(BaseException):
    """SIGTERM arrived while a package was being written (raised to run the cleanup)."""


@contextlib.contextmanager
def _sigterm_cleans_up() -> Iterator[None]:
    """Turn SIGTERM into an exception for the duration, then deliver it as it would have been.

    Python's default SIGTERM action ends the process without unwinding, which would leave the
    temporary folder behind until the next call cleans it. Only that default is replaced: an
    ignored SIGTERM or an application's own handler keeps its meaning. Signal handlers can only
    be set from the main thread; elsewhere the leftover is cleaned by the next call instead.
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return
    received = []

    def handler(signum: int, frame: object) -> None:
        received.append(signum)
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if received:
            os.kill(os.getpid(), signal.SIGTERM)


def _requirement_lines(
    requirements: str | os.PathLike[str] | Sequence[str] | None, sources: SourceFiles,
    model_class: str,
) -> list[str]:
    if requirements is None:
        if sources.requirements is not None:
            return sources.requirements.read_text(encoding="utf-8").splitlines()
        return infer_requirements(sources.files, sources.folder, model_class)
    if isinstance(requirements, (str, os.PathLike)):
        path = Path(requirements).expanduser()
        if not path.is_file():
            raise PackageError(
                f"requirements file {str(path)!r} does not exist — pass --requirements with a"
                " pip requirements file, or leave it out to use the model's imports"
            )
        return path.read_text(encoding="utf-8").splitlines()
    return [str(line) for line in requirements]


def _checkpoint_root(path: Path, outputs: Path | None) -> Path | None:
    """The folder a checkpoint must really lie in.

    A path named inside the experiment's outputs folder must stay inside it (links included);
    a path the caller names outside that folder is the caller's explicit choice and has no
    such folder (None); without a known outputs folder, the checkpoint's own folder.
    """
    named = Path(os.path.abspath(path))
    if outputs is None:
        return named.parent
    base = Path(os.path.abspath(outputs))
    return outputs if base in named.parents else None


def _check_checkpoints(
    checkpoints: Sequence[str | os.PathLike[str]], sources: SourceFiles, outputs: Path | None
) -> tuple[list[Path], list[Path]]:
    """The checkpoints to copy, and those skipped because a link carries them outside their
    folder (each skipped one is logged as a warning)."""
    paths = [Path(c).expanduser() for c in checkpoints]
    taken = {p.relative_to(sources.folder).parts[0] for p in sources.files}
    taken |= render_generated_names()
    seen: set[str] = set()
    kept, skipped = [], []
    for path in paths:
        root = _checkpoint_root(path, outputs)
        if root is not None and path.exists() and not is_inside(path, root):
            log.warning("not packaging %s: it leads to %s, outside the experiment folder %s",
                        path, real(path), real(root))
            skipped.append(path)
            continue
        if not path.is_file():
            raise PackageError(
                f"checkpoint {str(path)!r} does not exist or is not a file — check the"
                " experiment's outputs folder or pass --checkpoint with the file to package"
            )
        if path.name in taken or path.name in seen or path.name.startswith("."):
            raise PackageError(
                f"checkpoint name {path.name!r} clashes with another file of the package — rename"
                " the checkpoint"
            )
        seen.add(path.name)
        kept.append(path)
    if skipped and not kept:
        raise PackageError(
            f"every checkpoint leads outside the experiment folder ({', '.join(map(str, skipped))})"
            " — copy the files into the experiment's outputs folder instead of linking them"
        )
    return kept, skipped


def render_generated_names() -> set[str]:
    """Names the package writes itself (a checkpoint may not take them)."""
    return {"requirements.txt", LINEAGE, "model-settings.json", "settings.json", "Dockerfile",
            ".dockerignore", f"{render.MLSERVER_RUNTIME_MODULE}.py"}


def _environment_versions(requirements: list[str]) -> dict[str, str]:
    """Installed versions (here, where training ran) of the required distributions."""
    versions = {}
    for line in requirements:
        name = line.split(";")[0].split("[")[0]
        for sep in ("==", ">=", "<=", "~=", "!=", ">", "<", " "):
            name = name.split(sep)[0]
        name = name.strip()
        if not name or name.startswith("-"):
            continue
        with contextlib.suppress(metadata.PackageNotFoundError, ValueError):
            versions[name] = metadata.version(name)
    return versions


def _check_space(root: Path, paths: list[Path]) -> None:
    needed = sum(p.stat().st_size for p in paths)
    free = shutil.disk_usage(root).free
    if needed > free:
        raise PackageError(
            f"the checkpoints need {needed} bytes but only {free} are free under {root} — free"
            " some space or choose another deployments root"
        )


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "user"


def _fill(
    tmp: Path,
    *,
    name: str,
    fmt: str,
    model_class: str,
    sources: SourceFiles,
    checkpoints: list[Path],
    outputs: Path | None,
    requirements: list[str],
) -> list[CheckpointInfo]:
    """Write every file of the package into ``tmp``; return the checkpoint records.

    Raises:
        Escapes: a file left its folder between the checks and the copy (a link swapped).
    """
    for path in sources.files:
        target = tmp / path.relative_to(sources.folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        copy_hashed(path, target, fsync=True, root=sources.folder)
    infos = []
    for path in checkpoints:
        root = _checkpoint_root(path, outputs)
        digest, size = copy_hashed(path, tmp / path.name, fsync=True, root=root)
        infos.append(CheckpointInfo(path.name, digest, size))
    if fmt == MLSERVER:
        names = [c.name for c in infos]
        (tmp / "model-settings.json").write_text(
            render.render_model_settings(name, names, model_class), encoding="utf-8"
        )
        if not (tmp / "settings.json").exists():  # the user's own server settings win
            (tmp / "settings.json").write_text(render.render_mlserver_settings(), "utf-8")
        (tmp / f"{render.MLSERVER_RUNTIME_MODULE}.py").write_text(
            render.render_mlserver_runtime(model_class), encoding="utf-8"
        )
        requirements = ["mlserver", "numpy", *requirements]
    s2i = tmp / ".s2i"
    s2i.mkdir()
    (s2i / "environment").write_text(
        render.render_environment(render.seldon_environment(model_class)), encoding="utf-8"
    )
    (tmp / "requirements.txt").write_text(render.render_requirements(requirements), "utf-8")
    return infos


def _lineage(
    lineage: Mapping[str, Any], *, name: str, fmt: str, model_class: str,
    infos: list[CheckpointInfo], requirements: list[str],
) -> dict[str, Any]:
    record = dict(lineage)
    record.setdefault("who", _who())
    record.update(
        package=name,
        format=fmt,
        model_class=model_class,
        checkpoints=[c.to_dict() for c in infos],
        packaged=time.time(),
        environment=_environment_versions(requirements),
    )
    return record


def write_package(
    dest_root: str | os.PathLike[str],
    name: str,
    *,
    source: str | os.PathLike[str],
    checkpoints: Sequence[str | os.PathLike[str]],
    model_class: str,
    requirements: str | os.PathLike[str] | Sequence[str] | None = None,
    format: str = "seldon",
    lineage: Mapping[str, Any] | None = None,
    force: bool = False,
    outputs: str | os.PathLike[str] | None = None,
) -> PackageInfo:
    """Write ``<dest_root>/<name>/``, a folder Seldon's s2i build (or MLServer) can serve.

    The folder holds the model module and its helpers from ``source`` (see
    :mod:`.source` for the copy rule), the checkpoints, ``requirements.txt``,
    ``.s2i/environment`` and ``lineage.json``; the ``mlserver`` format adds
    ``model-settings.json`` and a runtime module. Checkpoints are copied and hashed in one read.

    Args:
        dest_root: the deployments root; created if missing.
        name: the package name, a DNS-1123 label (it becomes image and deployment names).
        source: folder holding ``<model_class>.py`` and its helper modules.
        checkpoints: files to copy next to the code (their names must be unique).
        model_class: the class name; its module must be ``<model_class>.py``.
        requirements: a requirements file, a list of requirement lines, or None for the
            source's own ``requirements.txt`` or else the third-party imports of the code.
        format: ``"seldon"`` or ``"mlserver"``.
        lineage: what the package comes from (project, group, experiment, params, metrics ...);
            checkpoint hashes, time and environment versions are added.
        force: replace an existing package of the same name.
        outputs: the experiment's outputs folder (default: ``lineage["outputs_path"]`` when
            given, else each checkpoint's own folder). A checkpoint whose real path — links
            resolved, including linked directories along it — leaves this folder is skipped
            with a warning, as are source files linking outside ``source``; the skipped paths
            are listed in :attr:`PackageInfo.skipped`. File permission bits are preserved.

    Returns:
        the written package.

    Raises:
        InvalidName: ``name`` is not a DNS-1123 label.
        Conflict: a package of that name exists and ``force`` is not set.
        PackageError: a missing source, module, class, checkpoint or requirements file; every
            checkpoint leading outside ``outputs``; a link swapped to leave its folder while
            copying; a full disk or another write failure. Nothing is left behind in any of
            these cases.
    """
    validate_name(name, "package")
    if format not in FORMATS:
        raise PackageError(f"package format must be one of {FORMATS}, got {format!r}")
    root = Path(dest_root).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    final = safe_join(root, name)
    staging.clean_stale(root)
    if final.exists() and not force:
        raise Conflict(
            f"package folder {str(final)!r} already exists — pass --force (force=True) to replace"
            " it, or choose another name"
        )
    sources = select_sources(Path(source))
    check_model_class(sources.folder, model_class)
    if outputs is None and lineage and lineage.get("outputs_path"):
        outputs = str(lineage["outputs_path"])
    outputs_dir = Path(outputs).expanduser() if outputs is not None else None
    paths, skipped = _check_checkpoints(checkpoints, sources, outputs_dir)
    reqs = _requirement_lines(requirements, sources, model_class)
    _check_space(root, paths)
    tmp = staging.sibling(root, name, "tmp")
    # The SIGTERM guard wraps the cleanup, so the signal is re-delivered only once the
    # temporary folder is gone.
    with _sigterm_cleans_up():
        try:
            tmp.mkdir()
            infos = _fill(tmp, name=name, fmt=format, model_class=model_class, sources=sources,
                          checkpoints=paths, outputs=outputs_dir, requirements=reqs)
            record = _lineage(lineage or {}, name=name, fmt=format, model_class=model_class,
                              infos=infos, requirements=reqs)
            atomic_write_json(tmp / LINEAGE, record)
            os.chmod(tmp / LINEAGE, 0o644)  # readable like the rest of the package
            staging.fsync_dir(tmp)
            staging.land(tmp, final, replace=force)
        except Escapes as exc:
            raise PackageError(
                f"not packaging {name!r}: {exc} (a link changed while copying) — remove the link"
                " and package again"
            ) from exc
        except FileExistsError as exc:
            raise Conflict(
                f"package folder {str(final)!r} appeared while packaging — pass --force to"
                " replace it"
            ) from exc
        except OSError as exc:
            hint = "free some space" if exc.errno == errno.ENOSPC else "check the deployments root"
            raise PackageError(
                f"could not write package {name!r} under {root}: {exc} — {hint}"
            ) from exc
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return PackageInfo(name=name, path=str(final.resolve()), format=format,
                       model_class=model_class, checkpoints=tuple(infos), lineage=record,
                       skipped=tuple(str(p) for p in (*sources.skipped, *skipped)))
