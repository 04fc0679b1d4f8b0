"""Matplotlib figures that follow a :class:`SeriesStore` by updating their artists in place.

One :class:`MetricFigure` per metric: a line per experiment, the best one drawn thick, red and
on top. Two ways to refresh, chosen per call:

* **full** — every line's artist gets its decimated envelope (``Line2D.set_data``) and the
  canvas is drawn once. Used first, when the best experiment changes, and when data leaves the
  current limits (limits grow with headroom, so this is rare while a sweep runs).
* **incremental** — the canvas keeps its pixels; only each changed line's new tail (from its
  last drawn point on, decimated to the pixels it spans) is drawn over it with the line's own
  style, then the best line is drawn again so it stays on top. Cost is proportional to the new
  points, not to the data held.

Figures are built without pyplot, so they share no global state with the user's plots.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from ..errors import require_extra
from .decimate import decimate
from .series import SeriesStore

BEST_COLOR = "#d62728"
_PALETTE = (
    "#1f77b4",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#ff7f0e",
    "#aec7e8",
)
_HEADROOM = 0.25
#: Lines named in a legend (the best first); more would hide the curves.
LEGEND_LINES = 8
_NAN = np.array([np.nan])  # fraction of the x range added past the newest step when limits grow


def encode_png(rgba: Any, colors: int = 128) -> bytes:
    """PNG bytes of an ``(h, w, 4)`` RGBA buffer, palette-quantised (fast, and ~4x smaller)."""
    from PIL import Image

    rgb = np.ascontiguousarray(np.asarray(rgba)[:, :, :3])
    image = Image.fromarray(rgb).quantize(colors, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _grow(
    current: tuple[float, float] | None, low: float, high: float, below: float, above: float
) -> tuple[float, float] | None:
    """New limits covering [low, high] padded by fractions of the span, or None when
    ``current`` already covers it (limits only grow, so the canvas rarely needs a full redraw)."""
    if current is not None and current[0] <= low and high <= current[1]:
        return None
    if current is not None:
        low, high = min(low, current[0]), max(high, current[1])
    span = high - low if high > low else (abs(high) or 1.0)
    return low - span * below, high + span * above


class MetricFigure:
    """A figure for one metric whose lines are updated in place.

    Args:
        metric: the metric name shown in the title and axis label.
        size: ``(width, height)`` in inches.
        dpi: dots per inch. Each line is decimated to the axes' width in pixels.
    """

    def __init__(self, metric: str, size: tuple[float, float] = (6.4, 3.6), dpi: int = 100) -> None:
        require_extra("matplotlib", "notebook", "plots")
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D

        self.metric = metric
        # Fixed margins: a layout engine would move the axes whenever tick labels change width,
        # and a moving axes needs a full redraw.
        self.figure = Figure(figsize=size, dpi=dpi)
        self.figure.subplots_adjust(left=0.13, right=0.97, top=0.9, bottom=0.15)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = self.figure.add_subplot()
        self.axes.set_xlabel("step")
        self.axes.set_ylabel(metric)
        self.axes.grid(True, alpha=0.3)
        self.axes.set_title(metric, fontsize="medium")
        from matplotlib.ticker import MaxNLocator

        self.axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole numbers
        # Until a point arrives: a sentence instead of empty 0-1 axes.
        self._waiting = self.axes.text(
            0.5, 0.5, "waiting for the first metrics…", transform=self.axes.transAxes,
            ha="center", va="center", color="#757575", fontsize="large",
        )  # fmt: skip
        self.axes.tick_params(labelbottom=False, labelleft=False)
        self.canvas.draw()
        self.buckets = max(16, int(self.axes.bbox.width) // 2)
        self.artists: dict[int, Any] = {}
        self.drawn: dict[int, int] = {}  # points of each line already on the canvas
        self.best: int | None = None
        self.xlim: tuple[float, float] | None = None
        self.ylim: tuple[float, float] | None = None
        self.labels: dict[int, str] = {}  # the legend's labels as last drawn
        self._tail = Line2D([], [])
        self._tail.set_figure(self.figure)
        self._tail.axes = self.axes
        self._tail.set_transform(self.axes.transData)
        self._tail.set_clip_box(self.axes.bbox)
        self.full_redraws = 0

    def update(self, store: SeriesStore, dirty: set[tuple[str, int]]) -> bool:
        """Bring the canvas up to date with ``store``; return True when its pixels changed."""
        lines = store.lines.get(self.metric, {})
        gone = [eid for eid in self.artists if eid not in lines]
        for eid in gone:  # an experiment's log started over: its old line goes
            self.artists.pop(eid).remove()
            self.drawn.pop(eid, None)
        changed = sorted(eid for metric, eid in dirty if metric == self.metric and eid in lines)
        added = [eid for eid in changed if eid not in self.artists]
        for eid in changed:
            if eid not in self.artists:
                color = _PALETTE[len(self.artists) % len(_PALETTE)]
                (self.artists[eid],) = self.axes.plot([], [], lw=1.0, alpha=0.6, color=color)
                self.artists[eid].set_gid(color)
        best = store.best(self.metric)
        limits_moved = self._grow_limits(store)
        relabel = any(self.labels.get(e) != store.labels.get(e, "") for e in self.artists)
        new_lines = bool(gone or added or relabel)
        if best != self.best or limits_moved or new_lines or not self.full_redraws:
            self._full(store, best)
            return True
        if not changed:
            return False
        self._incremental(store, changed)
        return True

    def _grow_limits(self, store: SeriesStore) -> bool:
        lines = [line for line in store.lines.get(self.metric, {}).values() if line.size]
        if not lines:
            return False
        x0, x1 = min(li.first_x for li in lines), max(li.last_x for li in lines)
        y0, y1 = min(li.low for li in lines), max(li.high for li in lines)
        xlim = _grow(self.xlim, x0, x1, 0.02, _HEADROOM)
        ylim = _grow(self.ylim, y0, y1, 0.12, 0.12)
        self.xlim = xlim or self.xlim
        self.ylim = ylim or self.ylim
        return xlim is not None or ylim is not None

    def _full(self, store: SeriesStore, best: int | None) -> None:
        lines = store.lines.get(self.metric, {})
        for eid, artist in self.artists.items():
            line = lines[eid]
            artist.set_data(*decimate(line.x, line.y, self.buckets))
            own = artist.get_gid()
            if eid == best:
                artist.set(lw=2.4, alpha=1.0, zorder=3, color=BEST_COLOR)
            else:
                artist.set(lw=1.0, alpha=0.6, zorder=2, color=own)
            self.drawn[eid] = line.size
        if self.xlim and self.ylim:
            self.axes.set_xlim(*self.xlim)
            self.axes.set_ylim(*self.ylim)
        waiting = not any(lines[eid].size for eid in self.artists)
        self._waiting.set_visible(waiting)
        self.axes.tick_params(labelbottom=not waiting, labelleft=not waiting)
        self._legend(store, best)
        title = self.metric + (
            f" — best #{best} by {store.objective}" if best is not None and store.objective else ""
        )
        self.axes.set_title(title, fontsize="medium")
        self.best = best
        self.canvas.draw()
        self.full_redraws += 1

    def _legend(self, store: SeriesStore, best: int | None) -> None:
        """Tie lines to params: the best first, then by id, at most :data:`LEGEND_LINES`."""
        self.labels = {eid: store.labels.get(eid, "") for eid in self.artists}
        old = self.axes.get_legend()
        if old is not None:
            old.remove()
        if not self.artists:
            return
        order = sorted(self.artists, key=lambda eid: (eid != best, eid))
        shown = order[:LEGEND_LINES]
        texts = [f"#{eid} {self.labels[eid]}".strip() for eid in shown]
        if len(order) > len(shown):
            texts[-1] += f"  (+{len(order) - len(shown)} more)"
        self.axes.legend(
            [self.artists[eid] for eid in shown], texts, loc="upper right", fontsize="x-small",
            framealpha=0.8, handlelength=1.5,
        )  # fmt: skip

    def _incremental(self, store: SeriesStore, changed: list[int]) -> None:
        lines = store.lines[self.metric]
        span = (self.xlim[1] - self.xlim[0]) if self.xlim else 1.0
        # Tails sharing a style are drawn as one path (NaN-separated): one draw per colour,
        # not one per experiment.
        batches: dict[tuple[Any, float, float], tuple[list[Any], list[Any]]] = {}
        for eid in changed:
            line = lines[eid]
            start = max(0, self.drawn.get(eid, 0) - 1)  # join the previous last point
            x, y = line.x[start:], line.y[start:]
            buckets = max(2, int(self.buckets * (x[-1] - x[0]) / span) + 1) if span > 0 else 2
            artist = self.artists[eid]
            style = (artist.get_color(), artist.get_linewidth(), artist.get_alpha())
            xs, ys = batches.setdefault(style, ([], []))
            tail_x, tail_y = decimate(x, y, buckets)
            xs += [tail_x, _NAN]
            ys += [tail_y, _NAN]
            self.drawn[eid] = line.size
        for (color, width, alpha), (xs, ys) in batches.items():
            self._tail.set(color=color, lw=width, alpha=alpha)
            self._tail.set_data(np.concatenate(xs), np.concatenate(ys))
            self.axes.draw_artist(self._tail)
        if self.best is not None and self.best in self.artists:
            best_line = lines[self.best]
            artist = self.artists[self.best]
            if self.best in changed:
                artist.set_data(*decimate(best_line.x, best_line.y, self.buckets))
            self.axes.draw_artist(artist)

    def render_png(self) -> bytes:
        """The canvas as PNG bytes (whatever :meth:`update` last drew)."""
        return encode_png(self.canvas.buffer_rgba())

    def redraw_png(self, store: SeriesStore) -> bytes:
        """A clean full redraw with limits fitted to the data (the final picture), as PNG."""
        self.xlim = self.ylim = None
        limits = store.limits(self.metric)
        if limits is not None:
            (self.xlim, self.ylim) = limits
        self._full(store, store.best(self.metric))
        return self.render_png()

    def close(self) -> None:
        """Drop the artists (the figure was never registered with pyplot)."""
        self.figure.clear()
        self.artists.clear()
