"""The ``mlpipe`` command line: parse, call the API, render, exit with a meaningful code."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from .grammar import VERBS, ArgError, HelpShown, build_parser

__all__ = ["VERBS", "ArgError", "HelpShown", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mlpipe``. Returns the exit code (0 ok, 1 failure, 2 usage, 3 not found)."""
    from ..errors import MlpipeError

    try:
        args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except HelpShown as shown:
        print(shown.text)
        return 0
    except ArgError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    try:
        return _run(args)
    except MlpipeError as exc:
        print(f"mlpipe: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted (running work continues; stop it with `mlpipe stop`)", file=sys.stderr)
        return 130


def _run(args: object) -> int:
    from ..api import Mlpipe
    from ..api.sweeps import EXIT_CODES, Sweep
    from .commands import run_command
    from .render import render

    api = Mlpipe()
    if getattr(args, "verb", "") == "build":
        args.on_line = lambda line: print(line, flush=True)  # type: ignore[attr-defined]
    result = run_command(args, api)  # type: ignore[arg-type]
    if isinstance(result, Sweep):
        return _report_sweep(result, args, EXIT_CODES)
    render(result, fmt=getattr(args, "format", "table"), dry_format=getattr(args, "output", "yaml"))
    return 0


def _report_sweep(handle: object, args: object, codes: dict[str, int]) -> int:
    from .render import render

    record = handle.record()  # type: ignore[attr-defined]
    print(
        f"group {record.id} ({record.name}): {record.status}"
        + (f" — {record.message}" if record.message else "")
    )
    if not getattr(args, "wait", False):
        print(f"follow it with `mlpipe experiments {record.id}` or `mlpipe logs EXPERIMENT -F`")
        return 0
    render(handle.experiments())  # type: ignore[attr-defined]
    return codes.get(record.status, 1)
