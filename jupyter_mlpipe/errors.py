"""The exception tree of jupyter-mlpipe.

Every error the package raises on purpose derives from :class:`MlpipeError`, so a caller can
catch one type. Front ends translate only at their edge (``UsageError`` in the magics, exit codes
in the CLI, JSON errors in the server extension)::

    MlpipeError
    ├── SpecError            a polyaxonfile is wrong: file:line:col, rule, value, fix
    ├── ConfigError          a setting has a bad value or an optional part is not installed
    ├── InvalidArgument      a command or API call got a value it cannot use
    ├── InvalidName          a name is not a DNS-1123 label or tries to leave its folder
    ├── NotFound             no such group, experiment, deployment or package
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

from typing import Any


class MlpipeError(Exception):
    """Root of every error raised on purpose by jupyter-mlpipe.

    Args:
        message: a complete sentence for the user: the rule, the value, and the next step.
    """

    #: Process exit code the CLI uses for this family of errors.
    exit_code = 1


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

    exit_code = 2

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

    exit_code = 2


class InvalidArgument(MlpipeError):
    """A command or API call got an argument it cannot use (a usage mistake, exit code 2)."""

    exit_code = 2


class InvalidName(MlpipeError):
    """A user-supplied name is not a valid DNS-1123 label or would escape its folder."""

    exit_code = 2


class NotFound(MlpipeError):
    """The named group, experiment, deployment or package does not exist."""

    exit_code = 3


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
