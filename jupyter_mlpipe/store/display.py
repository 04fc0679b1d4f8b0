"""How records read to a person: human times and sizes, short digests, and one card layout.

Every record a verb returns (an experiment, a package, a build, a deployment, an operation)
shows itself as a :class:`Card`: a title with a status, labelled lines (what was done and
where), and the commands to run next. ``Card.text()`` is the terminal's and the notebook's
plain repr; ``Card.html()`` the notebook's rich one. Pure functions, no I/O.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import time
from dataclasses import dataclass, field

_BADGE = {
    "succeeded": "#2e7d32",
    "healthy": "#2e7d32",
    "running": "#1565c0",
    "starting": "#1565c0",
    "queued": "#757575",
    "failed": "#c62828",
    "timed-out": "#c62828",
    "unhealthy": "#c62828",
    "damaged": "#c62828",
    "stopped": "#ef6c00",
    "stale": "#ef6c00",
    "created": "#757575",
}


def badge(status: str) -> str:
    """An HTML status badge, coloured by what the status means."""
    colour = _BADGE.get(status, "#757575")
    return (
        f'<span style="background:{colour};color:white;border-radius:3px;'
        f'padding:0 4px;font-size:90%">{html.escape(status)}</span>'
    )


def span(seconds: float | None) -> str:
    """A duration as a person says it: ``0.4s``, ``42s``, ``3m 05s``, ``2h 07m``, ``3d 4h``."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "—"
    if seconds < 10:
        return f"{seconds:.1f}s"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def when(stamp: float | None, now: float | None = None) -> str:
    """A time as local date and clock plus how long ago: ``2026-12-05 19:48 (3m 05s ago)``."""
    if stamp is None or not math.isfinite(stamp):
        return "—"
    clock = dt.datetime.fromtimestamp(stamp).strftime("%Y-%m-%d %H:%M")
    delta = (time.time() if now is None else now) - stamp
    if delta < 0:
        return clock
    return f"{clock} ({'just now' if delta < 1 else span(delta) + ' ago'})"


def size(n: int | None) -> str:
    """Bytes as ``812 B``, ``1.3 MB``."""
    if n is None or n < 0:
        return "—"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"  # pragma: no cover - the loop always returns


def short_digest(digest: str, keep: int = 12) -> str:
    """``sha256:0123…`` → ``sha256:0123456789ab`` (enough to tell images apart)."""
    algo, sep, hexpart = digest.partition(":")
    if not sep:
        return digest[:keep]
    return f"{algo}:{hexpart[:keep]}"


def number(value: object) -> str:
    """A metric or param value, compact: ``0.9812``, ``12``, ``1e-05``, ``—`` for missing."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return str(value)


@dataclass(frozen=True)
class Card:
    """A record laid out for people.

    Attributes:
        title: what it is (``package mnist-best``).
        status: its state, shown as a badge (empty for none).
        lines: (label, value) pairs: what was done and where.
        next: commands to run next, in the terminal's form (``mlpipe deploy mnist-best``);
            the HTML shows them as ``%mlpipe ...``.
        note: one sentence under the title (a failure's reason, say).
    """

    title: str
    status: str = ""
    lines: list[tuple[str, str]] = field(default_factory=list)
    next: list[str] = field(default_factory=list)
    note: str = ""

    def text(self) -> str:
        head = f"{self.title}: {self.status}" if self.status else self.title
        out = [head]
        if self.note:
            out.append(f"  {self.note}")
        width = max((len(label) for label, _ in self.lines), default=0)
        out += [f"  {label:<{width}}  {value}" for label, value in self.lines]
        if self.next:
            out.append("next:")
            out += [f"  {command}" for command in self.next]
        return "\n".join(out)

    def html(self) -> str:
        e = html.escape
        head = f"<b>{e(self.title)}</b>" + (f" {badge(self.status)}" if self.status else "")
        note = f"<div><small>{e(self.note)}</small></div>" if self.note else ""
        rows = "".join(
            f'<tr><th style="text-align:left;padding-right:1em">{e(label)}</th>'
            f'<td style="text-align:left">{e(value)}</td></tr>'
            for label, value in self.lines
        )
        table = f"<table>{rows}</table>" if rows else ""
        steps = "".join(f"<li><code>%{e(c)}</code></li>" for c in self.next)
        then = f"<div><small>next:</small><ul style='margin:0'>{steps}</ul></div>" if steps else ""
        return f"<div>{head}{note}{table}{then}</div>"


class Shown:
    """Mixin for records that show themselves as a :class:`Card` (define ``card()``)."""

    def card(self) -> Card:
        raise NotImplementedError

    def to_text(self) -> str:
        """The record as a person reads it in a terminal (what the CLI prints)."""
        return self.card().text()

    def _repr_html_(self) -> str:
        return self.card().html()

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:
        printer.text(self.to_text())  # type: ignore[attr-defined]
