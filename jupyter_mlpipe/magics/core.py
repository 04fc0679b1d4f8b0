"""The ``%mlpipe`` / ``%%mlpipe`` magics: the CLI's grammar, in a notebook.

:class:`MlpipeMagics` is built around an API object (``Mlpipe``). A line is split like a shell
would (``shlex``, no shell involved), parsed by :func:`jupyter_mlpipe.cli.build_parser` (the
same parser as the ``mlpipe`` command, plus the notebook-only verbs ``dashboard`` and
``attach``), and run by :func:`jupyter_mlpipe.cli.commands.run_command`. User mistakes —
argparse errors and every :class:`~jupyter_mlpipe.errors.MlpipeError` — become IPython's
``UsageError``: a short message, no traceback. In ``%%mlpipe sweep`` the cell body is the spec,
and spec errors point at the line of the cell. ``%mlpipe sweep --function train --matrix '{...}'``
sweeps a function of the notebook (``%%mlpipe sweep --function train`` takes the matrix as the
cell body).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from ..cli.commands import run_command, spec_file
from ..cli.grammar import ArgError, HelpShown, build_parser
from ..cli.notes import empty_note
from ..errors import MlpipeError, SpecError
from .complete import Completer, _subparsers
from .config import Mlpipe as MlpipeConfig
from .config import overrides
from .results import present

#: Verbs only a notebook has: ``dashboard [GROUP]`` and ``attach GROUP`` (a sweep handle).
NOTEBOOK_VERBS = ("dashboard", "attach")


def notebook_parser() -> argparse.ArgumentParser:
    """The CLI parser plus the notebook-only verbs."""
    parser = build_parser(prog="%mlpipe")
    sub = _subparsers(parser)
    p = sub.add_parser("dashboard", help="a live dashboard widget of a group (or of all groups)")
    p.add_argument("group", type=int, nargs="?")
    p.add_argument("--project", "-p", help="project (default: the `project` setting)")
    p = sub.add_parser("attach", help="a sweep handle on an existing group (after a restart)")
    p.add_argument("group", type=int)
    p.add_argument("--project", "-p", help="project (default: the `project` setting)")
    return parser


def _default_factory(settings: Any, values: dict[str, str]) -> Any:
    from ..api import Mlpipe

    return Mlpipe(settings, **values)


@magics_class
class MlpipeMagics(Magics):
    """The ``%mlpipe`` magics around one API object.

    Args:
        shell: the IPython shell.
        api: the API to use (default: ``Mlpipe()`` with the session's ``%config`` overrides).
        factory: builds the API from ``(base settings or None, overrides)``; tests inject one.
    """

    def __init__(
        self,
        shell: Any,
        api: Any = None,
        factory: Callable[[Any, dict[str, str]], Any] = _default_factory,
    ) -> None:
        super().__init__(shell)
        self.config_object = MlpipeConfig(parent=shell)
        self._base = getattr(api, "settings", None)
        self._api = api
        self._factory = factory
        self._saving = False  # True while `%mlpipe config KEY VALUE` mirrors a saved value
        self.config_object.observe(self._settings_changed)
        self.parser = notebook_parser()
        self.completer = Completer(lambda: self.api, self.parser)

    @property
    def api(self) -> Any:
        """The API in force (rebuilt after ``%config Mlpipe.x = ...``)."""
        if self._api is None:
            try:
                self._api = self._factory(self._base, overrides(self.config_object))
            except MlpipeError as exc:
                raise UsageError(str(exc)) from None
        return self._api

    def _settings_changed(self, change: Any) -> None:
        self._api = None  # rebuilt on next use, with the new overrides
        if change["name"] == "project" and change["new"] is not None and not self._saving:
            self._keep_project(change["new"])

    def _keep_project(self, project: str) -> None:
        """``%config Mlpipe.project = X`` is saved too, so a restarted kernel keeps it."""
        from ..settings import Settings

        try:
            path = self.api.set_config("project", project)  # says so when it has no sweeps
            where = Settings.load().sources["project"]
        except (MlpipeError, UsageError) as exc:
            print(f"mlpipe: {exc}", file=sys.stderr)
            return
        print(f"project = {project} (saved in {path}: a restarted kernel keeps it)")
        if where.startswith("environment"):
            print(f"note: after a restart the {where} wins over the config file")

    @line_cell_magic
    def mlpipe(self, line: str, cell: str | None = None) -> Any:
        """Run an mlpipe verb; ``%%mlpipe sweep`` takes the polyaxonfile as the cell body."""
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"cannot split the line ({exc}) — check the quotes") from None
        if not argv:
            print(self.parser.format_help())
            return None
        try:
            args = self.parser.parse_args(argv)
        except HelpShown as shown:
            print(shown.text)
            return None
        except ArgError as exc:
            raise UsageError(str(exc)) from None
        if args.verb is None:  # `%mlpipe --version`
            from ..api import __version__
            from ..cli.helptext import overview

            print(overview(__version__, prog="%mlpipe"))
            return None
        if cell is not None and args.verb != "sweep":
            raise UsageError(
                f"only `%%mlpipe sweep` takes a cell body, not {args.verb!r} — "
                "use a line magic (%mlpipe)"
            )
        try:
            return present(self._run(args, cell))
        except SpecError as exc:
            in_cell = cell is not None and not getattr(args, "function", None)
            raise UsageError(str(exc.at("<cell>", 1) if in_cell else exc)) from None
        except MlpipeError as exc:
            raise UsageError(str(exc)) from None
        except KeyboardInterrupt:
            print(
                "interrupted — running work continues; see `%mlpipe groups`, stop it with "
                "`%mlpipe stop GROUP`"
            )
            return None

    def _run(self, args: argparse.Namespace, cell: str | None) -> Any:
        if args.verb == "dashboard":
            from ..widgets import Dashboard

            return Dashboard(self.api, group=args.group, project=args.project).start()
        if args.verb == "attach":
            return self.api.handle(args.group, project=args.project)
        if args.verb == "sweep" and getattr(args, "function", None):
            args.function_object = self._notebook_function(args.function)
        elif args.verb == "sweep" and cell is not None:
            if spec_file(args):
                raise UsageError("give the spec either as the cell body or with -f, not both")
            if not cell.strip():
                raise UsageError("%%mlpipe sweep needs the polyaxonfile as the cell body")
        if args.verb == "config" and args.key is not None and args.value is not None:
            self._check_setting(args.key)
        if args.verb == "ship":  # progress lines under the cell while it runs
            args.on_progress = _print_progress
        result = run_command(args, self.api, cell)
        if args.verb == "config" and args.key is not None and args.value is not None:
            # the value is saved in the config file; the session override keeps %config in step
            self._saving = True
            try:
                setattr(self.config_object, args.key, args.value)
            finally:
                self._saving = False
        note = empty_note(args, self.api, result)
        if note is not None:
            print(note)
        return result

    def _notebook_function(self, name: str) -> Any:
        """The callable the notebook calls ``name`` (``--function train``)."""
        namespace = self.shell.user_ns if self.shell is not None else {}
        if name not in namespace:
            raise UsageError(
                f"--function {name}: the notebook defines no {name!r} — run the cell that"
                " defines it first"
            )
        function = namespace[name]
        if not callable(function):
            raise UsageError(f"--function {name}: {name} is a {type(function).__name__}, not a"
                             " function")
        return function

    def _check_setting(self, key: str) -> None:
        if not self.config_object.has_trait(key):
            names = ", ".join(sorted(self.config_object.trait_names(config=True)))
            raise UsageError(f"unknown setting {key!r} — known: {names}")


def _print_progress(event: Any) -> None:
    print(f"{event.step or 'ship'}: {event.message}", flush=True)


_HELP_INTRO = MlpipeMagics.mlpipe.__doc__ or ""


def _help() -> str:
    verbs = "\n".join(
        f"  {name:12} {action.help or ''}"
        for name, action in ((a.dest, a) for a in _subparsers(notebook_parser())._choices_actions)
    )
    return (
        f"{_HELP_INTRO}\n\nUsage: %mlpipe VERB [options]   (%mlpipe VERB --help for a verb)\n\n"
        f"Verbs:\n{verbs}\n\nExamples:\n  %mlpipe groups\n  df = %mlpipe experiments 3\n"
        "  %mlpipe plot 3 --metric loss --metric accuracy\n  %mlpipe dashboard 3\n"
        "  %mlpipe ship 3\n"
        "  %%mlpipe sweep --name demo --wait\n  <polyaxonfile YAML>\n"
        "  %mlpipe sweep --function train --matrix '{\"lr\": {\"values\": [0.01, 0.1]}}'\n"
        "  %%mlpipe sweep --function train --objective accuracy:max\n  lr: {values: [0.01,"
        " 0.1]}\n\n"
        "Settings: %mlpipe config [KEY VALUE], or %config Mlpipe.KEY = 'value'."
    )


MlpipeMagics.mlpipe.__doc__ = _help()
