"""Tab completion for ``%mlpipe``: verbs, options, ids, names and metrics from the store.

:func:`mlpipe_matcher` wraps a :class:`Completer` as an IPython completion matcher (API v2): on
a ``%mlpipe`` / ``%%mlpipe`` line it offers only its own candidates — verbs, ids, metric and
setting names, in that order — and suppresses every other matcher, so Python keywords (``and``,
``if``, ``in``) never crowd out ids and metric names. Everything offered is read through the API,
so it is what the store holds right now. A completer must never raise: any error means "nothing
to offer".
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable
from typing import Any

from .config import SETTING_NAMES

GROUP_VERBS = {"experiments", "plot", "best", "stop", "resume", "dashboard", "attach"}
EXPERIMENT_VERBS = {"logs", "package"}
NAME_VERBS = {"build", "deploy", "predict", "undeploy"}


def _words(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError:  # an open quote: fall back to plain splitting
        return line.split()


class Completer:
    """Completions for a ``%mlpipe`` line.

    Args:
        api: a callable returning the current API object (it changes with ``%config``).
        parser: the command parser (verbs and their options).
    """

    def __init__(self, api: Callable[[], Any], parser: argparse.ArgumentParser) -> None:
        self.api = api
        self.verbs = _subparsers(parser).choices

    def __call__(self, event: Any) -> list[str]:
        try:
            return self.complete(getattr(event, "text_until_cursor", "") or event.line)
        except Exception:  # completion must never break typing: offer nothing instead
            return []

    def complete(self, typed: str) -> list[str]:
        """Candidates for the word being typed at the end of ``typed``."""
        words = _words(typed)
        if words and words[0].lstrip("%") == "mlpipe":
            words = words[1:]
        current = "" if typed.endswith((" ", "\t")) or not words else words.pop()
        if not words:
            return sorted(v for v in self.verbs if v.startswith(current))
        verb = words[0]
        parser = self.verbs.get(verb)
        if parser is None:
            return []
        previous = words[-1] if len(words) > 1 else ""
        if current.startswith("-"):
            return sorted(o for o in _options(parser) if o.startswith(current))
        return [c for c in self._values(verb, words, previous) if c.startswith(current)]

    def _values(self, verb: str, words: list[str], previous: str) -> list[str]:
        if previous in ("--metric", "-m"):
            return self.metrics(_first_int(words[1:]))
        if previous in ("--experiment", "-e"):
            return self.experiments(_first_int(words[1:]))
        if previous.startswith("-") and previous not in (
            "--wait",
            "--follow",
            "-F",
            "--push",
            "--force",
            "--dry-run",
        ):
            return []
        positional = [w for w in words[1:] if not w.startswith("-")]
        if positional:
            return []
        if verb in GROUP_VERBS:
            return self.groups()
        if verb in EXPERIMENT_VERBS:
            return self.experiments(None)
        if verb in NAME_VERBS:
            return self.names()
        if verb == "config":
            return list(SETTING_NAMES)
        return []

    def groups(self) -> list[str]:
        frame = self.api().groups()
        return [str(i) for i in sorted(frame.index, reverse=True)]

    def experiments(self, group: int | None) -> list[str]:
        api = self.api()
        groups = [group] if group is not None else list(api.groups().index)
        ids: list[int] = []
        for gid in groups:
            ids.extend(int(i) for i in api.experiments(int(gid)).index)
        return [str(i) for i in sorted(ids, reverse=True)]

    def names(self) -> list[str]:
        api = self.api()
        names = {str(n) for n in api.deployments().index}
        try:
            root = api.settings.deployments_root
            names |= {p.name for p in root.iterdir() if p.is_dir()}
        except OSError:
            pass
        return sorted(names)

    def metrics(self, group: int | None) -> list[str]:
        if group is None:
            return []
        return sorted(self.api().metric_names(int(group)))


def mlpipe_matcher(completer: Completer) -> Any:
    """An IPython (>= 8.6) context matcher offering ``completer``'s candidates on ``%mlpipe``
    lines, and suppressing all other matchers there (keywords, Jedi, file names)."""
    from IPython.core.completer import SimpleCompletion, context_matcher

    @context_matcher()
    def matcher(context: Any) -> dict[str, Any]:
        typed = context.text_until_cursor
        if not typed.lstrip().startswith(("%mlpipe", "%%mlpipe")):
            return {"completions": [], "suppress": False}
        try:
            words = completer.complete(typed)
        except Exception:  # completion must never break typing
            words = []
        return {
            "completions": [SimpleCompletion(w, type="mlpipe") for w in words],
            "suppress": True,
            "ordered": True,
        }

    return matcher


def _first_int(words: list[str]) -> int | None:
    for word in words:
        if word.isdigit():
            return int(word)
    return None


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [o for action in parser._actions for o in action.option_strings if o.startswith("--")]


def _subparsers(parser: argparse.ArgumentParser) -> Any:
    """The parser's sub-command action (argparse exposes it only through ``_actions``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise ValueError("the parser has no verbs")
