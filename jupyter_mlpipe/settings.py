"""Settings in force: one registry of ``MLPIPE_*`` variables, a config file, and overrides.

Each setting is declared once in :data:`REGISTRY` with its type, default and meaning. A value
comes from, in order of precedence: an explicit override (``Settings.load(overrides=...)``, used
by ``--option`` flags and ``%config``), the ``MLPIPE_<NAME>`` environment variable, the YAML
config file (``MLPIPE_CONFIG``, default ``~/.config/mlpipe/config.yaml``), then the default.
``Settings.explain()`` reports each value with where it came from (``mlpipe config``).

This module imports only the standard library and PyYAML (lazily, when a config file exists).
"""

from __future__ import annotations

import getpass
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers with arbitrary uids)
        return "user"


def _data_home() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mlpipe"


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true/false, got {text!r}")


def _parse_path(text: str) -> Path:
    return Path(os.path.expanduser(text)).resolve()


def _parse_seconds(text: str) -> float:
    value = float(text)
    if not (value >= 0 and value < 86400):  # also refuses nan and inf
        raise ValueError(f"expected a number of seconds from 0 to 86400, got {text!r}")
    return value


_BYTE_UNITS = {"": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20,
               "g": 1 << 30, "gib": 1 << 30}


def _parse_bytes(text: str) -> int:
    """A size: bytes, or a number with a K/M/G (KiB/MiB/GiB) suffix; 0 means no limit."""
    match = re.fullmatch(r"\s*([0-9]{1,15})\s*([A-Za-z]*)\s*", text)
    unit = match[2].lower() if match else ""
    if match is None or unit not in _BYTE_UNITS:
        raise ValueError(f"expected a size such as 52428800, 50M or 1G, got {text!r}")
    value = int(match[1]) * _BYTE_UNITS[unit]
    if value and not 64 << 10 <= value <= 1 << 40:
        raise ValueError(f"expected 0 (no limit) or a size from 64K to 1024G, got {text!r}")
    return value


def _parse_choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {text!r}")
        return text

    return parse


@dataclass(frozen=True)
class Setting:
    """One declared setting.

    Attributes:
        name: the attribute name (``outputs_root``); the variable is ``MLPIPE_OUTPUTS_ROOT``.
        parse: turns the text form into the value; raises ValueError with a reason.
        default: a callable returning the default value (evaluated when settings load).
        help: one line saying what the setting means.
        under: ``(other, folder)``: when the setting ``other`` is given explicitly (a flag, the
            environment or the config file), the default is ``<other>/<folder>`` instead.
    """

    name: str
    parse: Callable[[str], Any]
    default: Callable[[], Any]
    help: str
    under: tuple[str, str] | None = None

    @property
    def env_var(self) -> str:
        return "MLPIPE_" + self.name.upper()


REGISTRY: tuple[Setting, ...] = (
    Setting(
        "outputs_root",
        _parse_path,
        lambda: _data_home() / "outputs",
        "the outputs volume: groups, experiments, metrics, checkpoints (NFS in a cluster)",
    ),
    Setting(
        "deployments_root",
        _parse_path,
        lambda: _data_home() / "deployments",
        "where `package` writes s2i folders (deployments/ under repos_root when that is set)",
        under=("repos_root", "deployments"),
    ),
    Setting(
        "data_root",
        _parse_path,
        lambda: _data_home() / "data",
        "the data volume; trials see it through get_data_paths()",
    ),
    Setting("user", str, _user, "the user part of the outputs layout <root>/<user>/<project>/"),
    Setting("project", str, lambda: "default", "the project used when a command names none"),
    Setting(
        "backend",
        _parse_choice("local", "kubernetes"),
        lambda: "local",
        "where sweeps run: local processes or Kubernetes Jobs",
    ),
    Setting(
        "build_backend",
        _parse_choice("local", "argo"),
        lambda: "local",
        "where images are built: a local builder or an Argo Workflow",
    ),
    Setting(
        "deploy_backend",
        _parse_choice("local", "seldon"),
        lambda: "local",
        "where models are served: a local process or a SeldonDeployment",
    ),
    Setting(
        "stop_grace",
        _parse_seconds,
        lambda: 10.0,
        "seconds between SIGTERM and SIGKILL when stopping a trial or a server",
    ),
    Setting(
        "namespace",
        str,
        lambda: "default",
        "Kubernetes namespace for Jobs, Workflows, SeldonDeployments",
    ),
    Setting(
        "kubeconfig",
        str,
        lambda: "",
        "kubeconfig file; empty means in-cluster config, then ~/.kube/config",
    ),
    Setting("registry", str, lambda: "", "image registry prefix used when --image is not given"),
    Setting(
        "ingress_url",
        str,
        lambda: "",
        "base URL of the Seldon ingress (e.g. http://ambassador); empty: in-cluster service",
    ),
    Setting("outputs_pvc", str, lambda: "mlpipe-outputs", "PVC holding the outputs volume"),
    Setting("data_pvc", str, lambda: "mlpipe-data", "PVC holding the data volume"),
    Setting("repos_pvc", str, lambda: "mlpipe-repos", "PVC holding project code and deployments/"),
    Setting(
        "repos_root",
        _parse_path,
        lambda: Path.cwd().resolve(),
        "where project code lives (the repos volume's mount path in a cluster)",
    ),
    Setting(
        "log_max_bytes",
        _parse_bytes,
        lambda: 50 << 20,
        "cap of a trial's output.log (e.g. 50M): beyond it the first line and the newest half"
        " are kept; 0: no cap",
    ),
    Setting("service_account", str, lambda: "mlpipe", "service account for Jobs and Workflows"),
    Setting("registry_secret", str, lambda: "mlpipe-registry", "Secret Argo builds push with"),
    Setting("supervisor_image", str, lambda: "",
            "image of a Kubernetes sweep's supervisor pod; empty: the JupyterLab pod's own"),
    Setting(
        "image_check_timeout",
        _parse_seconds,
        lambda: 600.0,
        "seconds a function sweep waits for the probe pod that checks its trial image (the"
        " image pull included)",
    ),
    Setting(
        "builder_image",
        str,
        lambda: "docker.io/seldonio/seldon-core-s2i-python3:1.17.1",
        "the Seldon python builder image the rendered Dockerfile starts FROM",
    ),
)

_BY_NAME = {s.name: s for s in REGISTRY}


def config_file() -> Path:
    """The YAML config file in use (it may not exist)."""
    explicit = os.environ.get("MLPIPE_CONFIG")
    if explicit:
        return Path(os.path.expanduser(explicit))
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "mlpipe" / "config.yaml"


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}) — fix or delete the file") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of setting: value — fix or delete the file")
    unknown = sorted(set(data) - set(_BY_NAME))
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)} — known: {', '.join(_BY_NAME)}"
        )
    return data


def _convert(setting: Setting, raw: Any, source: str) -> Any:
    try:
        return setting.parse(str(raw))
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{source}: bad value for {setting.name} ({exc}) — {setting.help}"
        ) from exc


@dataclass(frozen=True)
class Settings:
    """The settings in force. Build with :meth:`load`; the object is immutable.

    Attributes are the names in :data:`REGISTRY` (``settings.outputs_root`` ...);
    ``sources`` maps each name to where its value came from.
    """

    values: Mapping[str, Any]
    sources: Mapping[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def load(
        cls, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Read the settings in force.

        Args:
            overrides: values that win over everything (from flags); None values are ignored.
            environ: the environment to read (default ``os.environ``).

        Raises:
            ConfigError: an unknown override, a bad value, or an unreadable config file.
        """
        env = os.environ if environ is None else environ
        overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
        unknown = sorted(set(overrides) - set(_BY_NAME))
        if unknown:
            raise ConfigError(
                f"unknown setting(s) {', '.join(unknown)} — known: {', '.join(_BY_NAME)}"
            )
        path = config_file()
        from_file = _read_config_file(path)
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for s in REGISTRY:
            if s.name in overrides:
                values[s.name], sources[s.name] = (
                    _convert(s, overrides[s.name], "override"),
                    "override",
                )
            elif s.env_var in env:
                values[s.name] = _convert(s, env[s.env_var], s.env_var)
                sources[s.name] = f"environment ({s.env_var})"
            elif s.name in from_file:
                values[s.name] = _convert(s, from_file[s.name], str(path))
                sources[s.name] = f"config file ({path})"
            else:
                values[s.name], sources[s.name] = s.default(), "default"
        for s in REGISTRY:  # defaults that follow another setting, once all are known
            if s.under and sources[s.name] == "default" and sources[s.under[0]] != "default":
                values[s.name] = values[s.under[0]] / s.under[1]
                sources[s.name] = f"default (under {s.under[0]})"
        return cls(values=values, sources=sources)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values overridden (parsed like overrides)."""
        merged = dict(self.values)
        sources = dict(self.sources)
        for name, raw in changes.items():
            if name not in _BY_NAME:
                raise ConfigError(f"unknown setting {name!r} — known: {', '.join(_BY_NAME)}")
            merged[name] = (
                raw if not isinstance(raw, str) else _convert(_BY_NAME[name], raw, "override")
            )
            sources[name] = "override"
        return Settings(values=merged, sources=sources)

    def explain(self) -> list[dict[str, str]]:
        """One row per setting: name, value, source, environment variable and meaning."""
        return [
            {
                "name": s.name,
                "value": str(self.values[s.name]),
                "source": self.sources.get(s.name, ""),
                "env": s.env_var,
                "help": s.help,
            }
            for s in REGISTRY
        ]


def save_setting(name: str, value: str) -> Path:
    """Persist ``name: value`` in the config file (atomically) and return the file's path.

    Raises:
        ConfigError: the name is unknown or the value does not parse.
    """
    if name not in _BY_NAME:
        raise ConfigError(f"unknown setting {name!r} — known: {', '.join(_BY_NAME)}")
    _convert(_BY_NAME[name], value, "the value")
    import yaml

    path = config_file()
    data = _read_config_file(path)
    data[name] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        yaml.safe_dump(data, fh, sort_keys=True)
    os.replace(tmp, path)
    return path
