"""Parsing and validating request values: ids, names, paths, JSON bodies.

Everything a client sends passes through here before it reaches the Python API, so a handler
never hands an unchecked id, name or path onward. Failures raise :class:`BadRequest` (400) or,
for names and paths, :class:`~jupyter_mlpipe.errors.InvalidName` (400).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

from ..api import safe_join, validate_name
from ..errors import InvalidName
from .errors import BadRequest

MAX_BODY = 1 << 20  # a spec or a predict payload is small; refuse anything larger
_METRIC = re.compile(r"^[A-Za-z0-9_.:/-]{1,128}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_IMAGE = re.compile(r"^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?(@sha256:[a-f0-9]{64})?$")
_REQUIREMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~ ]{0,127}$")


def parse_id(text: str, what: str) -> int:
    """A positive integer id from a URL part or query value."""
    if not text.isdigit() or len(text) > 12:
        raise BadRequest(f"{what} id must be a positive integer, got {text!r}")
    value = int(text)
    if value < 1:
        raise BadRequest(f"{what} id must be a positive integer, got {text!r}")
    return value


def parse_int(text: str | None, what: str, default: int, low: int, high: int) -> int:
    """An integer query value within ``[low, high]``, or ``default`` when absent."""
    if text is None or text == "":
        return default
    if not re.fullmatch(r"-?\d{1,9}", text):
        raise BadRequest(f"{what} must be an integer between {low} and {high}, got {text!r}")
    value = int(text)
    if not low <= value <= high:
        raise BadRequest(f"{what} must be between {low} and {high}, got {value}")
    return value


def cursor(text: str | None) -> str | None:
    """A metrics cursor as the server sent it (URL-safe base64), or None to start over."""
    if not text:
        return None
    if len(text) > 100_000 or not re.fullmatch(r"[A-Za-z0-9_=-]+", text):
        raise BadRequest(
            f"after= {text[:40]!r} is not a cursor this server sent — omit it to start over"
        )
    return text


def parse_body(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object."""
    if len(raw) > MAX_BODY:
        raise BadRequest(f"request body is {len(raw)} bytes, the limit is {MAX_BODY} — send less")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest(f"request body is not valid JSON ({exc}) — send a JSON object") from exc
    if not isinstance(data, dict):
        raise BadRequest(f"request body must be a JSON object, got {type(data).__name__}")
    return data


def field(
    body: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    *,
    required: bool = False,
    default: Any = None,
) -> Any:
    """``body[key]`` checked against ``kind`` (bool is not accepted as int)."""
    if key not in body or body[key] is None:
        if required:
            raise BadRequest(f"field {key!r} is required")
        return default
    value = body[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise BadRequest(f"field {key!r} must be {_kind_name(kinds)}, got {value!r}")
    if not isinstance(value, kinds):
        raise BadRequest(f"field {key!r} must be {_kind_name(kinds)}, got {type(value).__name__}")
    return value


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {
        int: "an integer",
        str: "a string",
        bool: "true or false",
        list: "a list",
        dict: "an object",
        float: "a number",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def body_id(body: dict[str, Any], key: str) -> int | None:
    """An optional id field: a positive integer below 2**53 (what JavaScript holds exactly)."""
    value = field(body, key, int)
    if value is not None and not 0 < value < 2**53:
        raise BadRequest(f"field {key!r} must be a positive integer below 2**53, got {value}")
    return value


def name(value: Any, what: str) -> str:
    """A DNS-1123 name (deployment, package, project)."""
    return validate_name(value, what)


def metric(value: Any) -> str:
    """A metric name as the training code logged it."""
    if not isinstance(value, str) or not _METRIC.match(value):
        raise BadRequest(f"metric must be 1-128 letters, digits or _.:/- characters, got {value!r}")
    return value


def mode(value: Any) -> str:
    """``min`` or ``max``."""
    if value not in ("min", "max"):
        raise BadRequest(f"mode must be 'min' or 'max', got {value!r}")
    return str(value)


def identifier(value: Any, what: str) -> str:
    """A (dotted) Python identifier such as a model class name."""
    if not isinstance(value, str) or not _IDENTIFIER.match(value) or len(value) > 200:
        raise BadRequest(f"{what} must be a Python identifier like 'MnistModel', got {value!r}")
    return value


def image(value: Any) -> str:
    """A container image reference (registry/repo:tag or @sha256 digest)."""
    if not isinstance(value, str) or len(value) > 255 or not _IMAGE.match(value):
        raise BadRequest(f"image must be a reference like 'registry/model:0.1', got {value!r}")
    return value


def requirements(value: Any) -> list[str] | None:
    """A list of pip requirement strings (no options, no URLs, no paths)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, str) and _REQUIREMENT.match(v) for v in value
    ):
        raise BadRequest(f"requirements must be a list like ['numpy>=1.24'], got {value!r}")
    return list(value)


def path_under(root: Path, value: Any, what: str) -> Path:
    """Resolve a client path inside ``root``; relative paths are relative to ``root``.

    Raises:
        BadRequest: not a string.
        InvalidName: the path (after resolving links) is outside ``root``.
    """
    if not isinstance(value, str) or not value or "\x00" in value:
        raise BadRequest(f"{what} must be a path inside {root}, got {value!r}")
    base = Path(root).resolve()
    candidate = Path(value)
    if candidate.is_absolute():
        resolved = candidate.resolve()
        if resolved != base and base not in resolved.parents:
            raise InvalidName(f"{what} {value!r} is outside {base} — give a path inside it")
        return resolved
    parts = PurePosixPath(value.replace(os.sep, "/")).parts
    if any(p == ".." for p in parts):
        raise InvalidName(f"{what} {value!r} climbs out with '..' — give a path inside {base}")
    return safe_join(base, *parts) if parts else base


def relative_files(value: Any, what: str) -> list[str] | None:
    """A list of relative file names (no absolute paths, no '..')."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise BadRequest(f"{what} must be a list of file names, got {value!r}")
    for item in value:
        parts = PurePosixPath(item).parts
        if item.startswith(("/", "\\")) or ".." in parts or "\x00" in item:
            raise InvalidName(f"{what} entry {item!r} must be a name inside the experiment folder")
    return list(value)


_OPERATION_ID = re.compile(r"^[0-9a-f]{12}$")
#: The actions of POST operations: every one runs the API's ship pipeline.
SHIP_ACTIONS = ("ship", "deploy-best", "deploy-experiment")
_SHIP_FIELDS = frozenset(
    {
        "action", "name", "group", "experiment", "metric", "mode", "project", "source",
        "model_class", "requirements", "checkpoints", "image", "backend", "force",
    }
)  # fmt: skip


def operation_id(text: str) -> str:
    """An operation id from a URL part (12 hex digits)."""
    if not _OPERATION_ID.match(text):
        raise BadRequest(f"operation id must be 12 hex digits, got {text[:40]!r}")
    return text


def ship_request(body: dict[str, Any], repos_root: Path) -> dict[str, Any]:
    """The keyword arguments of ``Mlpipe.ship`` from a POST operations body.

    ``deploy-best`` needs ``group``, ``deploy-experiment`` needs ``experiment``, ``ship`` exactly
    one of them. Fields left out (name, metric, mode, backend ...) take the API's defaults: the
    default name is unique per project, group and experiment, and nothing is replaced unless
    ``force`` is sent.

    Raises:
        BadRequest: an unknown action or field, a missing field, a value of the wrong type.
        InvalidName: a name or path breaks the naming rules or leaves the repos root.
    """
    unknown = sorted(set(body) - _SHIP_FIELDS)
    if unknown:
        raise BadRequest(
            f"unknown field(s) {', '.join(map(repr, unknown))} — the fields are"
            f" {', '.join(sorted(_SHIP_FIELDS))}"
        )
    action = field(body, "action", str, required=True)
    if action not in SHIP_ACTIONS:
        raise BadRequest(f"action must be one of {', '.join(SHIP_ACTIONS)}, got {action!r}")
    group, experiment = body_id(body, "group"), body_id(body, "experiment")
    needs = {"deploy-best": ("group",), "deploy-experiment": ("experiment",)}.get(action, ())
    missing = [key for key in needs if body.get(key) is None]
    if missing or (action == "ship" and (group is None) == (experiment is None)):
        what = ", ".join(missing) or "exactly one of group, experiment"
        raise BadRequest(f"action {action!r} needs {what}")
    if action == "deploy-best" and experiment is not None:
        raise BadRequest("deploy-best ships the group's best: send 'group', not 'experiment'")

    def optional(key: str, check: Any) -> Any:  # an empty text means "the default"
        return None if body.get(key) in (None, "") else check(body[key])

    backend = field(body, "backend", str)
    if backend is not None and backend not in ("local", "seldon"):
        raise BadRequest(f"backend must be 'local' or 'seldon', got {backend!r}")
    return {
        "group": group if action != "deploy-experiment" else None,
        "experiment": experiment,
        "name": optional("name", lambda v: name(v, "deployment")),
        "metric": optional("metric", metric),
        "mode": optional("mode", mode),
        "project": optional("project", lambda v: name(v, "project")),
        "source": optional("source", lambda v: str(path_under(repos_root, v, "source"))),
        "model_class": optional("model_class", lambda v: identifier(v, "model_class")),
        "requirements": requirements(body.get("requirements")),
        "checkpoints": relative_files(body.get("checkpoints"), "checkpoints"),
        "image": optional("image", image),
        "backend": backend,
        "force": bool(field(body, "force", bool, default=False)),
    }
