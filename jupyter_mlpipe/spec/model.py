"""The parsed spec: a frozen record plus the pure functions trials need (params, argv)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .document import Context
from .matrix import MatrixParam
from .metadata import IO
from .sections import Build, Logging, Run
from .templating import render_command, render_value
from .tuning import HPTuning


@dataclass(frozen=True)
class Spec:
    """A validated polyaxonfile (``version: 1``).

    Attributes:
        kind: ``group`` or ``experiment``.
        version: always 1.
        declarations: ``declarations`` and ``params`` merged (fixed values for every trial).
        matrix: the searched params, in the order written (empty for experiments).
        hptuning: search settings (defaults for experiments: one grid point).
        build: the image build section, or None.
        environment: the ``environment`` section as a plain dict ({} when absent).
        logging: the logging section.
        run: the command template.
        warnings: things the user should know that are not errors (e.g. a capped random search).
        source_text: the YAML as given.
        file: where it came from (path or label), used in error messages.
        metadata: the labels written at the top level (``name``, ``description``, ``tags``,
            ``framework``, ``backend``), for the group's record.
        inputs: declared inputs (Polyaxon 0.5), defaults already merged into declarations.
        outputs: declared outputs (Polyaxon 0.5), kept as written.
        flags: names of ``is_flag`` inputs (an argument that is only ``{{ flag }}`` is dropped
            when the flag is false).
    """

    kind: str
    version: int
    declarations: Mapping[str, Any]
    matrix: Mapping[str, MatrixParam]
    hptuning: HPTuning
    run: Run
    build: Build | None = None
    environment: Mapping[str, Any] = field(default_factory=dict)
    logging: Logging = field(default_factory=Logging)
    warnings: tuple[str, ...] = ()
    source_text: str = field(default="", repr=False)
    file: str = "<spec>"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[IO, ...] = ()
    outputs: tuple[IO, ...] = ()
    flags: frozenset[str] = frozenset()

    @property
    def algorithm(self) -> str:
        return self.hptuning.algorithm

    def params_for(self, matrix_values: Mapping[str, Any]) -> dict[str, Any]:
        """One trial's params: ``matrix_values`` with the declarations merged on top.

        A declaration with the same name as a matrix param wins (Polyaxon's rule; the parser
        warns about such names).
        """
        return {**dict(matrix_values), **dict(self.declarations)}

    def render_command(self, params: Mapping[str, Any]) -> list[str]:
        """The trial's argv for ``params`` (declarations merged in), without any shell.

        One plain command gives its own argv; several steps (``a && b``, ``a; b``, a list
        ``cmd``), assignments (``V=x cmd``, ``export``) or a ``cd`` give one argv running
        :mod:`jupyter_mlpipe.tracking.steps`. See :mod:`jupyter_mlpipe.spec.templating`.

        Raises:
            SpecError: located at ``run.cmd`` (a name missing from ``params``, a failing
                expression).
        """
        at = (self.run.line, self.run.col) if self.run.line else None
        return render_command(
            self.run.cmd, self.params_for(params), Context(self.file), at, self.flags
        )

    def render_section(self, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``build`` or ``environment`` as a plain dict with every string rendered.

        Args:
            name: ``"build"`` or ``"environment"``.
            params: values to render with (declarations are merged in).

        Raises:
            SpecError: a rendering error, or an unknown section name.
        """
        ctx = Context(self.file)
        if name == "build":
            section: dict[str, Any] = self.build.to_dict() if self.build else {}
        elif name == "environment":
            section = dict(self.environment)
        else:
            raise ctx.error(
                None,
                "only 'build' and 'environment' can be rendered",
                name,
                "ask for 'build' or 'environment'",
            )
        rendered: dict[str, Any] = render_value(
            section, self.params_for(params), ctx, None, f"'{name}'"
        )
        return rendered

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready normalised form (matrix in dict form, hptuning resolved)."""
        return {
            "version": self.version,
            "kind": self.kind,
            "declarations": dict(self.declarations),
            "matrix": {name: p.to_dict() for name, p in self.matrix.items()},
            "hptuning": self.hptuning.to_dict(),
            "build": self.build.to_dict() if self.build else None,
            "environment": dict(self.environment),
            "logging": self.logging.to_dict(),
            "run": self.run.to_dict(),
            "warnings": list(self.warnings),
            "file": self.file,
            "metadata": dict(self.metadata),
            "inputs": [io.to_dict() for io in self.inputs],
            "outputs": [io.to_dict() for io in self.outputs],
        }
