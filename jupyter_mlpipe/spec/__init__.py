"""Polyaxonfile (``version: 1``) specs: parse, validate, and turn params into argv.

The pure core of a sweep: no processes, no network; :func:`load_spec` is the only function that
touches the file system (to read the file). Every problem is a
:class:`~jupyter_mlpipe.errors.SpecError` reading ``file:line:col: rule, got value — fix``.

Example::

    >>> from jupyter_mlpipe.spec import parse_spec
    >>> spec = parse_spec('''
    ... version: 1
    ... kind: group
    ... hptuning:
    ...   matrix:
    ...     lr: {linspace: 0.001:0.1:5}
    ... run:
    ...   cmd: python run.py --lr={{ lr }}
    ... ''')
    >>> spec.matrix["lr"].choices()
    [0.001, 0.02575, 0.0505, 0.07525, 0.1]
    >>> spec.render_command({"lr": 0.02575})
    ['python', 'run.py', '--lr=0.02575']

Modules: :mod:`~.document` (YAML with positions), :mod:`~.matrix` (option semantics),
:mod:`~.options` (reading matrix params), :mod:`~.hptuning` (algorithms and their rules),
:mod:`~.tuning` (the search-settings records and hyperband's schedule),
:mod:`~.sections` (build, run, environment, logging, declarations), :mod:`~.metadata`
(Polyaxon v0 labels, inputs and outputs), :mod:`~.commands` (shell-shaped commands read into
steps), :mod:`~.templating` (argv without a shell), :mod:`~.sandbox` (bounded Jinja),
:mod:`~.model` (the :class:`Spec` record), :mod:`~.parser`.
"""

from __future__ import annotations

from .matrix import DISCRETE, DISTRIBUTIONS, OPTIONS, MatrixParam
from .model import Spec
from .parser import load_spec, parse_spec, space_size
from .sections import Build, Logging, Run
from .tuning import BO, EarlyStopping, HPTuning, Hyperband, Metric, Resource

__all__ = [
    "BO",
    "DISCRETE",
    "DISTRIBUTIONS",
    "OPTIONS",
    "Build",
    "EarlyStopping",
    "HPTuning",
    "Hyperband",
    "Logging",
    "MatrixParam",
    "Metric",
    "Resource",
    "Run",
    "Spec",
    "load_spec",
    "parse_spec",
    "space_size",
]
