"""What to say when a listing is empty: where the command looked, and what to do next.

Shared by the CLI and the magics, so "nothing yet" always names the project (or the roots) it
looked in — an empty list from a mistyped project or outputs root is then obvious.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..api import Mlpipe
from ..api.places import project_place

#: The listing verbs whose empty answer gets a note.
LISTINGS = ("groups", "experiments", "deployments")


def _is_empty(result: Any) -> bool:
    try:
        return len(result) == 0
    except TypeError:  # not a collection: nothing to say
        return False


def empty_note(args: argparse.Namespace, api: Mlpipe, result: Any) -> str | None:
    """The sentence to show instead of an empty listing, or None when there is something.

    Args:
        args: the parsed command (its verb, project and group).
        api: the API the command ran against (its settings say where it looked).
        result: what the verb returned.
    """
    verb = getattr(args, "verb", "")
    if verb not in LISTINGS or not _is_empty(result):
        return None
    settings = api.settings
    if verb == "deployments":
        return (
            f"nothing yet: user {settings.user!r} has no deployments (records under"
            f" {settings.outputs_root}; packages under {settings.deployments_root}; every"
            " project of the user shares them) — serve a package with `mlpipe deploy NAME`"
        )
    place = project_place(settings, getattr(args, "project", None))
    if verb == "groups":
        return place.nothing_yet()
    flag = f" -p {place.project}" if getattr(args, "project", None) else ""
    return (
        f"nothing yet: group {args.group} of project {place.project!r} has no experiments"
        f" (looked in {place.path}) — its supervisor creates them as the sweep starts; see"
        f" `mlpipe groups{flag}`"
    )
