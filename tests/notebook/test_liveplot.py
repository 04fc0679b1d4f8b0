"""Live plots: series accumulate new points only, figures update in place, the thread stops."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from jupyter_mlpipe.plots import LivePlot, SeriesStore
from jupyter_mlpipe.plots.figure import MetricFigure
from jupyter_mlpipe.plots.params import params_png, scale_axis

PNG = b"\x89PNG\r\n\x1a\n"


class ScriptedSource:
    """A metrics source that releases prepared batches one poll at a time."""

    def __init__(self, batches: list[dict[int, dict[str, list[Any]]]]) -> None:
        self.batches = list(batches)
        self.polls = 0
        self.lock = threading.Lock()

    def poll(self) -> Mapping[Any, Mapping[str, Sequence[Any]]]:
        with self.lock:
            self.polls += 1
            return self.batches.pop(0) if self.batches else {}

    def finished(self) -> bool:
        with self.lock:
            return not self.batches


def _points(start: int, count: int, base: float) -> list[tuple[int, float, float]]:
    return [(s, 0.0, base + np.sin(s / 7.0)) for s in range(start, start + count)]


def test_series_store_appends_and_tracks_best() -> None:
    store = SeriesStore(["loss", "accuracy"])
    store.add(
        {1: {"loss": _points(0, 10, 1.0), "other": [(0, 0, 1)]}, 2: {"loss": _points(0, 5, 0.0)}}
    )
    store.add({1: {"loss": [(10, 0.0, float("nan")), (11, 0.0, None), (12, 0.0, -5.0)]}})
    assert store.lines["loss"][1].size == 11  # NaN and None dropped
    assert store.lines["loss"][1].low == -5.0
    assert store.take_dirty() == {("loss", 1), ("loss", 2)} and store.take_dirty() == set()
    # the highlighted line is the group's best by its objective, never guessed from a name
    assert store.best("loss") is None
    store.highlight = 2
    assert store.best("loss") == 2 and store.best("accuracy") is None


def test_figure_updates_incrementally_and_redraws_fully_only_when_needed() -> None:
    store = SeriesStore(["loss"])
    figure = MetricFigure("loss")
    store.add({e: {"loss": _points(0, 400, float(e))} for e in range(5)})
    store.highlight, store.objective = 0, "loss:min"
    assert figure.update(store, store.take_dirty())
    assert figure.full_redraws == 1 and figure.best == 0
    # new points inside the limits' headroom: drawn as tails, no full redraw
    store.add({e: {"loss": _points(400, 20, float(e))} for e in range(5)})
    assert figure.update(store, store.take_dirty())
    assert figure.full_redraws == 1 and figure.drawn == {e: 420 for e in range(5)}
    assert not figure.update(store, store.take_dirty())  # nothing new: nothing drawn
    # a new best experiment restyles the lines: one full redraw
    store.add({9: {"loss": [(0, 0.0, -50.0)]}})
    store.highlight = 9
    assert figure.update(store, store.take_dirty())
    assert figure.full_redraws == 2 and figure.best == 9
    best = figure.artists[9]
    assert best.get_linewidth() > figure.artists[0].get_linewidth()
    assert figure.render_png().startswith(PNG)
    # lines are decimated to the axes' width
    store.add({3: {"loss": _points(420, 20_000, 3.0)}})
    figure.update(store, store.take_dirty())
    assert len(figure.artists[3].get_xdata()) <= 2 * figure.buckets


def test_live_plot_thread_publishes_and_stops_when_the_group_finishes() -> None:
    batches = [{e: {"loss": _points(i * 10, 10, float(e))} for e in range(3)} for i in range(3)]
    source = ScriptedSource(batches)
    published: list[tuple[str, bool]] = []
    plot = LivePlot(
        source, ["loss"], lambda metric, png, final: published.append((metric, final)), interval=0.0
    )
    assert plot.interval == 0.5  # never faster than 2 Hz
    plot.interval = 0.01  # tests need not wait (the clamp applies to the constructor only)
    plot.start()
    assert plot.join(timeout=30)
    assert plot.error is None and plot.finished
    assert published[-1] == ("loss", True)
    assert all(not final for _, final in published[:-1])
    assert plot.store.lines["loss"][0].size == 30


def test_live_plot_stop_ends_the_thread_and_keeps_the_error() -> None:
    class Endless(ScriptedSource):
        def finished(self) -> bool:
            return False

    plot = LivePlot(Endless([]), ["loss"], lambda *a: None)
    plot.start()
    plot.stop(timeout=10)
    assert not plot.running and not plot.finished

    class Broken(ScriptedSource):
        def poll(self) -> Mapping[Any, Mapping[str, Sequence[Any]]]:
            raise OSError("volume gone")

    broken = LivePlot(Broken([{}]), ["loss"], lambda *a: None)
    broken.start()
    assert broken.join(timeout=10)
    assert isinstance(broken.error, OSError)


def test_live_plot_needs_a_metric() -> None:
    with pytest.raises(ValueError, match="metric"):
        LivePlot(ScriptedSource([]), [], lambda *a: None)


def test_params_view_scales_axes_and_renders() -> None:
    axis = scale_axis("lr", [0.001, 0.01, 1.0])
    assert axis.name == "lr (log)" and axis.positions == (0.0, pytest.approx(1 / 3), 1.0)
    cats = scale_axis("opt", ["sgd", "adam", "sgd"])
    assert cats.positions == (1.0, 0.0, 1.0)
    rows = [
        (i, {"lr": 10**-i, "opt": "sgd" if i % 2 else "adam"}, 0.5 + i / 10) for i in range(1, 5)
    ]
    assert params_png(rows, "accuracy", "max").startswith(PNG)
    with pytest.raises(ValueError, match="accuracy"):
        params_png([], "accuracy")


def test_live_plot_in_a_kernel_updates_its_displays_in_place(
    api: Any, make_group: Any, monkeypatch: pytest.MonkeyPatch, shell: Any
) -> None:
    from jupyter_mlpipe.plots import show

    published: list[tuple[str, bool]] = []
    monkeypatch.setattr(show, "frontend_attached", lambda: True)
    group = make_group()
    first = group.experiments[0]
    original = show.DisplayPublisher.__call__

    def spy(self: Any, metric: str, png: bytes, final: bool) -> None:
        published.append((metric, final))
        if final:
            assert self.handles[metric] is not None  # the last picture updates the first one
        original(self, metric, png, final)

    monkeypatch.setattr(show.DisplayPublisher, "__call__", spy)
    group.log(first, 0, loss=1.0)
    plot = show.live_plot(api, group.id, ["loss", "accuracy"])
    assert set(plot.publish.handles) == {"loss", "accuracy"}  # displayed before any accuracy
    group.log(first, 1, loss=0.5, accuracy=0.7)
    group.finish()
    assert plot.join(timeout=60) and plot.finished and plot.error is None
    assert published[-2:] in (
        [("loss", True), ("accuracy", True)],
        [("accuracy", True), ("loss", True)],
    )
    assert plot.store.lines["accuracy"][first].size == 1
