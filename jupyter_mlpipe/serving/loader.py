"""Load a user's model class from a packaged folder, the way Seldon's Python wrapper does.

Two folder layouts are understood:

* **Seldon s2i**: ``.s2i/environment`` names the module with ``MODEL_NAME`` (``MnistModel`` means
  module ``MnistModel``, class ``MnistModel``; ``pkg.mod.Class`` means module ``pkg.mod``, class
  ``Class``) and ``SERVICE_TYPE`` (only ``MODEL`` is served). Constructor parameters come from
  ``PREDICTIVE_UNIT_PARAMETERS`` (a JSON list of ``{"name", "value", "type"}``, as the Seldon
  operator passes them).
* **MLServer / Open Inference**: ``model-settings.json`` with ``name`` and ``implementation``
  (``"module.Class"``); ``parameters`` other than MLServer's own are passed to the constructor.
  The class must offer Seldon's ``predict(X, names)`` (MLServer's own ``MLModel`` runtimes need
  MLServer itself). A folder holding both files is loaded through ``.s2i/environment`` and
  answers V2 under the ``name`` of ``model-settings.json``.

The module is imported with the folder first on ``sys.path`` and the folder as the working
directory (checkpoints are opened by relative path, e.g. ``./model.dat``); the class is
instantiated once and its optional ``load()`` is called once, before any request is served.

Models written for Seldon's image import its package (``seldon_core.user_model``,
``seldon_core.metrics``, ``seldon_core.flask_utils``): a compatible shim (``_compat/``) is put
last on ``sys.path``, so it serves only when no real ``seldon_core`` is installed. Flask is not
shimmed: a model that imports it needs it installed (the error says so).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DeployError

S2I_ENVIRONMENT = Path(".s2i") / "environment"
MODEL_SETTINGS = "model-settings.json"
PARAMETERS_ENV = "PREDICTIVE_UNIT_PARAMETERS"

COMPAT_PATH = str(Path(__file__).resolve().parent / "_compat")
_PARAM_TYPES = {"INT": int, "FLOAT": float, "DOUBLE": float, "STRING": str}
# MLServer's own keys in model-settings.json "parameters"; the rest go to the constructor.
_MLSERVER_KEYS = {"uri", "version", "format", "content_type", "environment_tarball", "extra"}


@dataclass(frozen=True)
class FolderSpec:
    """What a model folder says about how to load it.

    Attributes:
        folder: the folder, absolute.
        layout: ``"seldon"`` or ``"mlserver"``.
        module: the module to import.
        class_name: the class to take from it.
        model_name: the name the model answers to (MLServer ``name``; else the class name).
        environment: the variables of ``.s2i/environment`` (empty for MLServer folders).
        parameters: constructor keyword arguments.
    """

    folder: Path
    layout: str
    module: str
    class_name: str
    model_name: str
    environment: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)


def parse_environment(text: str, source: str = str(S2I_ENVIRONMENT)) -> dict[str, str]:
    """Parse an s2i environment file: ``KEY=VALUE`` lines, ``#`` comments, optional quotes.

    Raises:
        DeployError: a line is not ``KEY=VALUE``.
    """
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise DeployError(
                f"{source}:{number}: expected KEY=VALUE, got {raw!r} — fix the line"
            )
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def parse_parameters(text: str) -> dict[str, Any]:
    """Parse Seldon's parameter list (JSON ``[{"name", "value", "type"}]``) into kwargs.

    Types are INT, FLOAT, DOUBLE, STRING and BOOL, as in Seldon's graph definition.

    Raises:
        DeployError: the text is not such a list or a value does not parse as its type.
    """
    try:
        items = json.loads(text or "[]")
    except ValueError as exc:
        raise DeployError(f"{PARAMETERS_ENV}: not JSON ({exc}) — pass a JSON list") from exc
    if not isinstance(items, list):
        raise DeployError(f"{PARAMETERS_ENV}: expected a JSON list, got {text!r}")
    params: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict) or "name" not in item:
            raise DeployError(f"{PARAMETERS_ENV}: each item needs name/value/type, got {item!r}")
        name, value, kind = str(item["name"]), item.get("value"), item.get("type", "STRING")
        try:
            if kind == "BOOL":
                params[name] = str(value).strip().lower() in {"1", "true", "yes", "on", "y", "t"}
            else:
                params[name] = _PARAM_TYPES[kind](value)
        except KeyError:
            raise DeployError(
                f"parameter {name!r}: unknown type {kind!r} — use INT, FLOAT, DOUBLE, STRING, BOOL"
            ) from None
        except (TypeError, ValueError):
            raise DeployError(f"parameter {name!r}: {value!r} is not a valid {kind}") from None
    return params


def _split_class(reference: str, source: str) -> tuple[str, str]:
    module, _, cls = reference.rpartition(".")
    if not module:
        module = cls = reference
    if not all(part.isidentifier() for part in [*module.split("."), cls]):
        raise DeployError(f"{source}: {reference!r} is not a Python module.Class name")
    return module, cls


def inspect_folder(folder: str | os.PathLike[str],
                   environ: Mapping[str, str] | None = None) -> FolderSpec:
    """Read how to load the model in ``folder`` (no import happens).

    Raises:
        DeployError: the folder has neither layout, or its description is wrong.
    """
    root = Path(folder).resolve()
    env = os.environ if environ is None else environ
    if not root.is_dir():
        raise DeployError(f"model folder {root} does not exist — run `mlpipe package` first")
    s2i = root / S2I_ENVIRONMENT
    if s2i.is_file():
        values = parse_environment(s2i.read_text(encoding="utf-8"), str(s2i))
        name = values.get("MODEL_NAME", "")
        if not name:
            raise DeployError(f"{s2i}: MODEL_NAME is missing — set it to the model class name")
        service = values.get("SERVICE_TYPE", "MODEL")
        if service != "MODEL":
            raise DeployError(f"{s2i}: SERVICE_TYPE={service} is not served locally — use MODEL")
        module, cls = _split_class(name, str(s2i))
        params = parse_parameters(env.get(PARAMETERS_ENV, values.get(PARAMETERS_ENV, "[]")))
        # A package written in both layouts answers V2 under MLServer's name for it.
        name_in_settings = _settings_name(root / MODEL_SETTINGS)
        return FolderSpec(root, "seldon", module, cls, name_in_settings or cls, values, params)
    settings_file = root / MODEL_SETTINGS
    if settings_file.is_file():
        return _inspect_mlserver(root, settings_file)
    raise DeployError(
        f"{root} has neither {S2I_ENVIRONMENT} nor {MODEL_SETTINGS} — package the model first"
    )


def _settings_name(path: Path) -> str | None:
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = settings.get("name") if isinstance(settings, dict) else None
    return str(name) if name else None


def _inspect_mlserver(root: Path, settings_file: Path) -> FolderSpec:
    try:
        settings = json.loads(settings_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise DeployError(f"{settings_file}: not valid JSON ({exc})") from exc
    if not isinstance(settings, dict) or not settings.get("implementation"):
        raise DeployError(f"{settings_file}: needs an \"implementation\": \"module.Class\"")
    module, cls = _split_class(str(settings["implementation"]), str(settings_file))
    extra = settings.get("parameters") or {}
    params = {k: v for k, v in extra.items() if k not in _MLSERVER_KEYS} if isinstance(
        extra, dict) else {}
    name = str(settings.get("name") or cls)
    return FolderSpec(root, "mlserver", module, cls, name, {}, params)


def load_model(spec: FolderSpec) -> Any:
    """Import, instantiate and ``load()`` the model described by ``spec``.

    Side effects, as under Seldon: the process's working directory becomes the folder, the folder
    goes first on ``sys.path``, and the s2i variables not already set are exported.

    Raises:
        DeployError: the import, the constructor or ``load()`` failed (the cause is chained).
    """
    os.chdir(spec.folder)
    folder = str(spec.folder)
    if folder not in sys.path:
        # First, not last as Seldon does: the folder's own helper modules (network.py ...) must
        # win over same-named packages that happen to be installed beside this server.
        sys.path.insert(0, folder)
    if COMPAT_PATH not in sys.path:
        sys.path.append(COMPAT_PATH)  # last: a real seldon_core, if installed, wins
    for key, value in spec.environment.items():
        os.environ.setdefault(key, value)
    where = f"{spec.module}.{spec.class_name} in {spec.folder}"
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        hint = (" — Seldon's image ships Flask; add flask to the folder's requirements.txt and "
                "install it beside this server" if exc.name == "flask" else
                f" — install {exc.name} (and list it in requirements.txt)")
        raise DeployError(f"cannot import {spec.module} from {spec.folder}: {exc!r}{hint}"
                          ) from exc
    except Exception as exc:
        raise DeployError(f"cannot import {spec.module} from {spec.folder}: {exc!r}") from exc
    cls = getattr(module, spec.class_name, None)
    if not callable(cls):
        raise DeployError(f"{where}: no class {spec.class_name!r} in module {spec.module!r}")
    try:
        model = cls(**spec.parameters)
    except Exception as exc:
        raise DeployError(f"{where}: the constructor failed: {exc!r}") from exc
    load = getattr(model, "load", None)
    if callable(load):
        try:
            result = load()
            if hasattr(result, "__await__"):  # MLServer-style async load()
                import asyncio

                asyncio.run(_await(result))
        except Exception as exc:
            raise DeployError(f"{where}: load() failed: {exc!r}") from exc
    return model


async def _await(awaitable: Any) -> Any:
    return await awaitable
