"""Read and extend a package's ``lineage.json`` (atomic rewrites, one writer at a time).

Any Seldon s2i folder (``.s2i/environment``) or MLServer folder (``model-settings.json``) can be
built and deployed, not only folders ``mlpipe package`` wrote. A folder without
``lineage.json`` gets a *started* lineage: what the folder itself says (its model class) and
``"origin": "external"``. Reading never writes; the first :func:`update_lineage` (a build
recording its image) writes the file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from ..errors import NotFound
from ..store.files import atomic_write_json, read_json
from .render import parse_environment

LINEAGE = "lineage.json"
_S2I_ENVIRONMENT = Path(".s2i") / "environment"
_MODEL_SETTINGS = "model-settings.json"


def read_lineage(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The lineage record of the model folder ``folder``.

    Returns:
        The recorded lineage, or a started one (see the module docstring) when the folder has
        none.

    Raises:
        NotFound: the folder has neither ``lineage.json`` nor a Seldon/MLServer description.
    """
    path = Path(folder) / LINEAGE
    try:
        return dict(read_json(path))
    except FileNotFoundError:
        pass
    return started_lineage(folder)


def started_lineage(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The lineage of a model folder nobody recorded: ``origin``, ``format``, ``model_class``.

    Raises:
        NotFound: ``folder`` is not a Seldon s2i or MLServer model folder.
    """
    root = Path(folder)
    s2i, settings = root / _S2I_ENVIRONMENT, root / _MODEL_SETTINGS
    described: dict[str, Any]
    if s2i.is_file():
        try:
            model = parse_environment(s2i.read_text(encoding="utf-8")).get("MODEL_NAME")
        except (OSError, UnicodeDecodeError, ValueError):
            model = None  # deploying reports the broken file with its location
        described = {"format": "seldon", "model_class": model}
    elif settings.is_file():
        try:
            data = read_json(settings)
        except (OSError, ValueError):
            data = {}
        model = data.get("implementation") if isinstance(data, dict) else None
        described = {"format": "mlserver", "model_class": model}
    else:
        raise NotFound(
            f"{root} has neither {LINEAGE}, {_S2I_ENVIRONMENT} nor {_MODEL_SETTINGS} — create "
            "it with `mlpipe package`, or write a Seldon s2i folder there"
        )
    return {"origin": "external", "name": root.name, **described,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def update_lineage(folder: str | os.PathLike[str], **fields: Any) -> dict[str, Any]:
    """Merge ``fields`` into the lineage record and rewrite it atomically; return the result.

    A folder without ``lineage.json`` gets one, starting from :func:`started_lineage`.
    """
    record = read_lineage(folder)
    record.update(fields)
    atomic_write_json(Path(folder) / LINEAGE, record)
    os.chmod(Path(folder) / LINEAGE, 0o644)  # readable like the rest of the package
    return record
