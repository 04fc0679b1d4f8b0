"""The ``mlpipe`` command line: parse, call the API, render, exit with a meaningful code."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from .grammar import VERBS, ArgError, HelpShown, build_parser

__all__ = ["VERBS", "ArgError", "HelpShown", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mlpipe``. Returns the exit code.

    0 on success; for an error, its row of :data:`jupyter_mlpipe.errors.ERROR_TABLE` (1 failure,
    2 bad usage or spec, 3 not found, 5 conflict); a ``sweep --wait`` exits with its group's
    status (0 succeeded, 1 failed, 4 stopped); 130 when interrupted.
    """
    try:
        return _main(argv)
    except BrokenPipeError:  # `mlpipe logs 1 | head`: the reader left; leave quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv: Sequence[str] | None) -> int:
    from ..errors import MlpipeError

    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except HelpShown as shown:
        print(shown.text)
        return 0
    except ArgError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    _show_warnings()
    try:
        if getattr(args, "verb", None) is None:  # `mlpipe`, `mlpipe --version`
            from ..api import __version__
            from .helptext import overview

            print(overview(__version__))
            return 0
        return _run(args)
    except MlpipeError as exc:
        print(f"mlpipe: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        raise  # handled by main()
    except OSError as exc:  # e.g. an outputs root that is a file, or unreadable
        print(f"mlpipe: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"interrupted (running work continues; {_stop_hint(args)})", file=sys.stderr)
        return 130


def _show_warnings() -> None:
    """The API reports warnings (e.g. a capped random search) through logging: print them."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("mlpipe: %(levelname)s: %(message)s"))
    logger = logging.getLogger("jupyter_mlpipe")
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)


def _project_flag(args: object) -> str:
    project = getattr(args, "project", None)
    return f" -p {project}" if project else ""


def _stop_hint(args: object) -> str:
    if getattr(args, "verb", "") == "sweep":
        return f"see `mlpipe groups{_project_flag(args)}` and stop it with `mlpipe stop GROUP`"
    return "nothing was stopped"


def _run(args: object) -> int:
    from ..api import Mlpipe
    from ..api.sweeps import EXIT_CODES, Sweep
    from .commands import run_command
    from .notes import empty_note
    from .render import render

    api = Mlpipe()
    if getattr(args, "verb", "") == "build":
        args.on_line = lambda line: print(line, flush=True)  # type: ignore[attr-defined]
    if getattr(args, "verb", "") == "ship":  # progress on stderr, the outcome on stdout
        args.on_progress = _print_progress  # type: ignore[attr-defined]
    if getattr(args, "verb", "") == "plot":
        args.terminal = True  # type: ignore[attr-defined]  # no live figures in a terminal
    result = run_command(args, api)  # type: ignore[arg-type]
    if isinstance(result, Sweep):
        return _report_sweep(result, args, EXIT_CODES)
    fmt = getattr(args, "format", "table")
    note = empty_note(args, api, result)  # type: ignore[arg-type]
    if note is not None and fmt == "table":
        print(note)
        return 0
    render(
        result,
        fmt=fmt,
        dry_format=getattr(args, "output", "yaml"),
        wide=getattr(args, "wide", False),
    )
    return 0


def _print_progress(event: object) -> None:
    step = getattr(event, "step", None) or "ship"
    print(f"{step}: {getattr(event, 'message', '')}", file=sys.stderr, flush=True)


def _report_sweep(handle: object, args: object, codes: dict[str, int]) -> int:
    from .render import render

    record = handle.record()  # type: ignore[attr-defined]
    if getattr(args, "format", "table") == "json":
        from .render import print_json

        print_json(handle.info())  # type: ignore[attr-defined]
        return codes.get(record.status, 1) if getattr(args, "wait", False) else 0
    print(
        f"group {record.id} ({record.name}): {record.status}"
        + (f" — {record.message}" if record.message else "")
    )
    if not getattr(args, "wait", False):
        flag = _project_flag(args)
        print(
            f"follow it with `mlpipe experiments {record.id}{flag}`"
            f" or `mlpipe logs EXPERIMENT -F{flag}`"
        )
        return 0
    render(handle.experiments())  # type: ignore[attr-defined]
    return codes.get(record.status, 1)
