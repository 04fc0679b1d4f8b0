"""The command grammar shared by the ``mlpipe`` CLI and the ``%mlpipe`` magics.

One parser, declared once: :func:`build_parser` returns it, and :data:`VERBS` names its verbs
(the magics complete them). Parsing never exits the process: errors raise :class:`ArgError`.
"""

from __future__ import annotations

import argparse
import difflib
from typing import Any, NoReturn

from ..errors import InvalidArgument
from .verbs import add_verbs


class ArgError(InvalidArgument):
    """The command line does not parse; the message is argparse's, with the usage line."""


class HelpShown(Exception):
    """``--help`` was asked for; ``text`` holds the help (the CLI prints it, magics too)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


#: Options whose value may start with '-' (``--sort -loss`` means descending by loss).
_DASH_VALUES = ("--sort",)


class _Parser(argparse.ArgumentParser):
    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        return super().parse_known_args(_glue_dash_values(args), namespace)

    def error(self, message: str) -> NoReturn:
        raise ArgError(f"{self.format_usage().strip()}\n{self.prog}: error: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise ArgError(message or f"{self.prog}: exited with {status}")

    def print_help(self, file: Any = None) -> None:
        raise HelpShown(self.format_help())

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """An unknown choice names the closest one (``swep`` → did you mean ``sweep``?)."""
        choices = action.choices
        if choices is None or value in choices:
            return
        known = [str(c) for c in choices]
        close = difflib.get_close_matches(str(value), known, n=1, cutoff=0.6)
        what = "verb" if isinstance(action, argparse._SubParsersAction) else "choice"
        hint = f"did you mean {close[0]!r}?" if close else f"one of: {', '.join(known)}"
        more = " (`--help` lists them)" if close and what == "verb" else ""
        raise argparse.ArgumentError(action, f"unknown {what} {value!r} — {hint}{more}")


def _glue_dash_values(args: Any) -> Any:
    if args is None:
        return None
    out, items = [], list(args)
    while items:
        item = items.pop(0)
        if item in _DASH_VALUES and items and items[0].startswith("-"):
            item = f"{item}={items.pop(0)}"
        out.append(item)
    return out


def build_parser(prog: str = "mlpipe") -> argparse.ArgumentParser:
    """The parser of every verb (raises ArgError / HelpShown instead of exiting).

    ``verb`` is None in the parsed namespace when no verb was given (``mlpipe``,
    ``mlpipe --version``): the caller shows :func:`.helptext.overview`.
    """
    parser = _Parser(
        prog=prog,
        description="From notebook to production: sweep, watch, pick, "
        "package, build, deploy (or all three: ship), predict.",
    )
    parser.add_argument(
        "--version", action="store_true", help="print the version and an overview of the verbs"
    )
    # Not required: `mlpipe` alone prints the overview (the CLI checks `verb is None`).
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    add_verbs(sub)
    return parser


def _verbs() -> tuple[str, ...]:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return tuple(action.choices)
    return ()


#: Every verb, in declaration order (what the magics complete).
VERBS: tuple[str, ...] = _verbs()
