"""Parsing and validating request values: ids, names, paths, JSON bodies.

Everything a client sends passes through here before it reaches the Python API, so a handler
never hands an unchecked id, name or path onward. Failures raise :class:`BadRequest` (400) or,
for names and paths, :class:`~jupyter_mlpipe.errors.InvalidName` (400).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any

from ..api import safe_join, validate_name
from ..errors import InvalidName
from .errors import BadRequest

MAX_BODY = 1 << 20  # a spec or a predict payload is small; refuse anything larger
#: How deep arrays and objects may nest in a body (a 28x28 image in a batch is 4 deep).
MAX_DEPTH = 64
#: Integers in bodies and ids stay within what a JSON reader anywhere (JavaScript included)
#: holds exactly, so nothing saved from a request can break a later reader.
MAX_INT = 2**53 - 1
#: The fields a POST body may hold, per route (the request schemas of ``openapi.yaml`` list the
#: same; a test keeps them equal). Operations take the fields of ``OperationRequest``.
SWEEP_FIELDS = ("spec", "file", "name", "project", "objective")
PREDICT_FIELDS = ("payload", "file")
# Patterns are applied with ``fullmatch``: ``$`` would also match before a final newline.
_METRIC = re.compile(r"[A-Za-z0-9_.:/-]{1,128}")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_IMAGE = re.compile(r"[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?(@sha256:[a-f0-9]{64})?")
_REQUIREMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~ ]{0,127}")
_ID = re.compile(r"[0-9]{1,12}")  # ASCII only: "²" and "٣" pass str.isdigit but are no ids


def parse_id(text: str, what: str) -> int:
    """A positive integer id from a URL part or query value: 1 to 12 ASCII digits, not 0.

    Raises:
        BadRequest: anything else (``%C2%B2``, Arabic-Indic digits, 0, huge numbers).
    """
    if not isinstance(text, str) or not _ID.fullmatch(text) or int(text) < 1:
        raise BadRequest(
            f"{what} id must be a positive integer of at most 12 ASCII digits, got"
            f" {str(text)[:40]!r}"
        )
    return int(text)


def parse_int(text: str | None, what: str, default: int, low: int, high: int) -> int:
    """An integer query value within ``[low, high]``, or ``default`` when absent."""
    if text is None or text == "":
        return default
    if not re.fullmatch(r"-?[0-9]{1,9}", text):
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


def _refuse_constant(name: str) -> Any:
    raise BadRequest(f"request body holds {name}, which is not JSON — send finite numbers")


def parse_body(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object, bounded in size, depth and numbers.

    Raises:
        BadRequest: more than :data:`MAX_BODY` bytes; not JSON (``NaN``/``Infinity`` included);
            not an object; nested deeper than :data:`MAX_DEPTH`; an integer beyond
            ±:data:`MAX_INT` anywhere in it.
    """
    if len(raw) > MAX_BODY:
        raise BadRequest(f"request body is {len(raw)} bytes, the limit is {MAX_BODY} — send less")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:  # the decoder's own bound on nesting (long before MAX_BODY)
        raise BadRequest(
            f"request body nests deeper than {MAX_DEPTH} levels — send a flatter object"
        ) from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, integers of over 4300 digits
        raise BadRequest(f"request body is not valid JSON ({exc}) — send a JSON object") from exc
    if not isinstance(data, dict):
        raise BadRequest(f"request body must be a JSON object, got {type(data).__name__}")
    _check_tree(data)
    return data


def _check_tree(data: Any) -> None:
    """Walk a decoded body without recursion: depth and integer ranges."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth > MAX_DEPTH:
                raise BadRequest(
                    f"request body nests deeper than {MAX_DEPTH} levels — send a flatter object"
                )
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            raise BadRequest(
                f"request body holds the integer {str(value)[:24]}… beyond ±(2**53 - 1) —"
                " send a smaller number"
            )


def only(
    body: dict[str, Any], allowed: Iterable[str] | type, what: str = "request"
) -> dict[str, Any]:
    """``body`` itself, after making sure it holds no field but ``allowed`` ones.

    Args:
        body: the decoded request body.
        allowed: the accepted field names, or a dataclass whose fields they are.
        what: what the body is for, used in the message.

    Raises:
        BadRequest: naming the unknown fields and the allowed ones (a misspelt ``forse`` must
            not be dropped silently).
    """
    names = (
        {f.name for f in dataclasses.fields(allowed)}
        if isinstance(allowed, type) and dataclasses.is_dataclass(allowed)
        else set(allowed)  # type: ignore[arg-type]
    )
    unknown = sorted(set(body) - names)
    if unknown:
        raise BadRequest(
            f"{what} body has unknown field(s) {', '.join(map(repr, unknown))} — allowed:"
            f" {', '.join(sorted(names))}"
        )
    return body


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
    if value is not None and not 1 <= value <= MAX_INT:
        raise BadRequest(
            f"field {key!r} must be a positive integer below 2**53, got {str(value)[:40]}"
        )
    return value


def name(value: Any, what: str) -> str:
    """A DNS-1123 name (deployment, package, project)."""
    return validate_name(value, what)


def metric(value: Any) -> str:
    """A metric name as the training code logged it."""
    if not isinstance(value, str) or not _METRIC.fullmatch(value):
        raise BadRequest(f"metric must be 1-128 letters, digits or _.:/- characters, got {value!r}")
    return value


def mode(value: Any) -> str:
    """``min`` or ``max``."""
    if value not in ("min", "max"):
        raise BadRequest(f"mode must be 'min' or 'max', got {value!r}")
    return str(value)


def identifier(value: Any, what: str) -> str:
    """A (dotted) Python identifier such as a model class name."""
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value) or len(value) > 200:
        raise BadRequest(f"{what} must be a Python identifier like 'MnistModel', got {value!r}")
    return value


def image(value: Any) -> str:
    """A container image reference (registry/repo:tag or @sha256 digest)."""
    if not isinstance(value, str) or len(value) > 255 or not _IMAGE.fullmatch(value):
        raise BadRequest(f"image must be a reference like 'registry/model:0.1', got {value!r}")
    return value


def requirements(value: Any) -> list[str] | None:
    """A list of pip requirement strings (no options, no URLs, no paths)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(
        isinstance(v, str) and _REQUIREMENT.fullmatch(v) for v in value
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


#: The actions of POST operations: every one runs the API's ship pipeline.
SHIP_ACTIONS = ("ship", "deploy-best", "deploy-experiment")
_SHIP_FIELDS = frozenset(
    {
        "action", "name", "group", "experiment", "metric", "mode", "project", "source",
        "model_class", "requirements", "checkpoints", "image", "backend", "force",
    }
)  # fmt: skip


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
    only(body, _SHIP_FIELDS, "operation")
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
