"""The exception tree of jupyter-mlpipe.

Every error the package raises on purpose derives from :class:`MlpipeError`, so a caller can
catch one type. Front ends translate only at their edge (``UsageError`` in the magics, exit codes
in the CLI, JSON errors in the server extension), and all of them read one table,
:data:`ERROR_TABLE`, through :func:`outcome_of`: each class has exactly one HTTP status and one
CLI exit code (``docs/errors.md`` shows the table)::

    MlpipeError
    ├── SpecError            a polyaxonfile is wrong: file:line:col, rule, value, fix
    ├── ConfigError          a setting has a bad value or an optional part is not installed
    ├── InvalidArgument      a command or API call got a value it cannot use
    ├── InvalidName          a name is not a DNS-1123 label or tries to leave its folder
    ├── NotFound             no such group, experiment, deployment or package
    ├── Conflict             the target exists or is in use (a package folder, a running server)
    ├── StoreError           the outputs volume holds something unreadable
    ├── ExecutorError        trials could not be started, watched or stopped
    ├── PackageError         the s2i / MLServer folder could not be written
    ├── BuildError           the serving image could not be built
    │   └── BuilderNotFound  no docker, podman or buildah on PATH
    ├── DeployError          the model could not be served
    ├── PredictError         the model server answered with an error
    ├── TrackingError        a metric value or the trial environment is unusable (also ValueError)
    └── KubernetesError      the Kubernetes API refused or failed a call

Each message says what was wrong, the offending value, and what to do next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


class MlpipeError(Exception):
    """Root of every error raised on purpose by jupyter-mlpipe.

    Args:
        message: a complete sentence for the user: the rule, the value, and the next step.
    """

    @property
    def exit_code(self) -> int:
        """The CLI's exit code for this error, from :data:`ERROR_TABLE`."""
        return outcome_of(type(self)).exit_code

    @property
    def http_status(self) -> int:
        """The HTTP status the server extension answers with, from :data:`ERROR_TABLE`."""
        return outcome_of(type(self)).http_status


class SpecError(MlpipeError):
    """A polyaxonfile breaks a rule.

    The string form is ``file:line:col: rule, got value — fix``, the form editors jump to.

    Args:
        rule: what the spec must satisfy, e.g. "'linspace' needs start < stop".
        value: the offending value as written (any object; shown with ``repr`` if not a str).
        fix: what the user should do, e.g. "swap the bounds".
        file: the spec's path or a label such as "<cell>".
        line: 1-based line number, or None when unknown.
        col: 1-based column number, or None when unknown.
    """


    def __init__(
        self,
        rule: str,
        value: Any = None,
        fix: str = "",
        *,
        file: str = "<spec>",
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        self.rule = rule
        self.value = value
        self.fix = fix
        self.file = file
        self.line = line
        self.col = col
        super().__init__(self._render())

    @property
    def location(self) -> str:
        """``file:line:col`` (or just ``file`` when the position is unknown)."""
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.col or 1}"

    def _render(self) -> str:
        text = f"{self.location}: {self.rule}"
        if self.value is not None:
            shown = self.value if isinstance(self.value, str) else repr(self.value)
            text += f", got {shown}"
        if self.fix:
            text += f" — {self.fix}"
        return text

    def at(self, file: str, line_offset: int = 0) -> SpecError:
        """Return a copy relocated to ``file`` with lines shifted by ``line_offset``.

        Used when a spec is embedded in something larger (a notebook cell after its magic line).
        """
        line = None if self.line is None else self.line + line_offset
        return SpecError(self.rule, self.value, self.fix, file=file, line=line, col=self.col)


class ConfigError(MlpipeError):
    """A setting has a bad value, or an optional dependency is missing."""



class InvalidArgument(MlpipeError):
    """A command or API call got an argument it cannot use (a usage mistake, exit code 2)."""



class InvalidName(MlpipeError):
    """A user-supplied name is not a valid DNS-1123 label or would escape its folder."""



class NotFound(MlpipeError):
    """The named group, experiment, deployment or package does not exist."""



class Conflict(MlpipeError):
    """The target already exists or is in use: a package folder, a running deployment.

    The message names the way out (another name, ``--force``, undeploying first).
    """


class StoreError(MlpipeError):
    """A record on the outputs volume could not be read or written."""


class ExecutorError(MlpipeError):
    """Trials could not be started, watched or stopped."""


class PackageError(MlpipeError):
    """A model package could not be written."""


class BuildError(MlpipeError):
    """The serving image could not be built or pushed."""


class BuilderNotFound(BuildError):
    """No container builder (docker, podman, buildah) is available."""


class DeployError(MlpipeError):
    """The model could not be deployed or undeployed."""


class PredictError(MlpipeError):
    """The model server answered a prediction request with an error.

    Args:
        message: the explanation shown to the user.
        status: the HTTP status code, when there was an answer.
        body: the decoded error body, when there was one.
    """

    def __init__(self, message: str, *, status: int | None = None, body: Any = None) -> None:
        self.status = status
        self.body = body
        super().__init__(message)


class TrackingError(MlpipeError, ValueError):
    """Training code logged something that is not a metric, or the trial environment is garbled.

    Also a :class:`ValueError`, so training code that already guards against bad values with
    ``except ValueError`` keeps working.
    """


class KubernetesError(MlpipeError):
    """The Kubernetes API refused or failed a call.

    Args:
        message: the explanation shown to the user, including what to check.
        status: the HTTP status of the API answer (403, 409, 500 ...), when known.
        reason: the API's reason string (Forbidden, AlreadyExists ...), when known.
    """

    def __init__(self, message: str, *, status: int | None = None, reason: str = "") -> None:
        self.status = status
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class Outcome:
    """How the front ends report one class of error.

    Attributes:
        http_status: the status of the server extension's JSON answer.
        exit_code: the exit code of the ``mlpipe`` command.
    """

    http_status: int
    exit_code: int


#: Exit codes with a meaning outside this table: 0 success, 4 a ``sweep --wait`` whose group was
#: stopped, 130 interrupted (Ctrl-C).
RESERVED_EXIT_CODES = frozenset({0, 4, 130})

# A usage mistake is the caller's to fix: a 4xx, never a 5xx.
_USAGE = Outcome(400, 2)
_FAILURE = Outcome(500, 1)

#: The one table: every class of the tree, its HTTP status and its CLI exit code. A subclass
#: defined elsewhere (the CLI's parse error, the server's bad request) takes its nearest listed
#: ancestor's row; ``tests/unit/core/test_errors.py`` checks that row is unambiguous.
ERROR_TABLE: Mapping[type[MlpipeError], Outcome] = MappingProxyType(
    {
        MlpipeError: _FAILURE,
        SpecError: _USAGE,
        ConfigError: _USAGE,
        InvalidArgument: _USAGE,
        InvalidName: _USAGE,
        TrackingError: _USAGE,
        NotFound: Outcome(404, 3),
        Conflict: Outcome(409, 5),
        PackageError: Outcome(422, 1),
        StoreError: _FAILURE,
        ExecutorError: _FAILURE,
        BuildError: _FAILURE,
        BuilderNotFound: Outcome(501, 1),
        DeployError: _FAILURE,
        PredictError: Outcome(502, 1),
        KubernetesError: Outcome(502, 1),
    }
)


def require_extra(module: str, extra: str, part: str) -> None:
    """Check that an optional part's library is installed.

    Args:
        module: the library to import (``matplotlib``).
        extra: the extra of ``jupyter-mlpipe`` that installs it (``notebook``).
        part: what needs it, as the message's subject (``plots``).

    Raises:
        ConfigError: the library is missing; the one-line message names the extra to install.
    """
    import importlib.util

    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a broken install
        found = False
    if not found:
        raise ConfigError(
            f"{part} need {module}, which is not installed — pip install 'jupyter-mlpipe[{extra}]'"
        )


def outcome_of(error: type[BaseException] | BaseException) -> Outcome:
    """The table row of an error class (or instance): its own, else its nearest ancestor's.

    Args:
        error: an :class:`MlpipeError` subclass or instance.

    Returns:
        The :class:`Outcome` of the first class in the method resolution order that the table
        lists.

    Raises:
        TypeError: ``error`` is not an :class:`MlpipeError`.
    """
    cls = error if isinstance(error, type) else type(error)
    for klass in cls.__mro__:
        row = ERROR_TABLE.get(klass)
        if row is not None:
            return row
    raise TypeError(f"{cls.__name__} is not an MlpipeError — only those have an outcome")
