"""Putting live plots where the user looks: notebook displays, PNG files.

:func:`live_plot` is what ``Sweep.plot()`` and ``%mlpipe plot`` call. In a Jupyter kernel it
displays one image per metric with a display id and lets the :class:`LivePlot` thread update
those displays in place (``update_display_data``); the last update is the clean final picture,
so the saved notebook and its HTML export keep a static PNG. With no kernel (a terminal IPython,
a script, a test shell) nothing could be updated later, so it shows one static picture instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .live import MIN_INTERVAL, GroupSource, LivePlot
from .params import params_png


def _shell() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # IPython is optional outside notebooks
        return None
    return get_ipython()


def frontend_attached() -> bool:
    """True inside a Jupyter kernel, where display updates reach a notebook."""
    return getattr(_shell(), "kernel", None) is not None


class DisplayPublisher:
    """Publishes each metric's PNG to its own notebook display, updated in place."""

    def __init__(self) -> None:
        self.handles: dict[str, Any] = {}
        self.status_handle: Any = None

    def status(self, text: str) -> None:
        """Show the group's one-line state under the pictures, updated in place."""
        from IPython.display import Pretty, display

        if self.status_handle is None:
            self.status_handle = display(Pretty(text), display_id=True)
        else:
            self.status_handle.update(Pretty(text))

    def __call__(self, metric: str, png: bytes, final: bool) -> None:
        from IPython.display import Image, display

        image = Image(data=png, format="png")
        handle = self.handles.get(metric)
        if handle is None:
            self.handles[metric] = display(image, display_id=True)
        else:
            handle.update(image)

    def show_static(self, pictures: Mapping[str, bytes]) -> None:
        """Display pictures once, without display ids (nothing will update them)."""
        if _shell() is None:
            return
        from IPython.display import Image, display

        for png in pictures.values():
            display(Image(data=png, format="png"))


def live_plot(
    api: Any,
    group: int,
    metrics: Sequence[str],
    *,
    project: str | None = None,
    interval: float = MIN_INTERVAL,
    wait: bool = False,
) -> LivePlot:
    """Show live metric curves of a group; they update until the group finishes.

    Args:
        api: the ``Mlpipe`` API object.
        group: the group id.
        metrics: metric names, one figure each.
        interval: seconds between refreshes (at least 0.5).
        wait: block until the group finishes (the picture keeps updating meanwhile); useful
            in notebooks executed headlessly, so the final picture is in the cell's output.

    Returns:
        The :class:`LivePlot` (``.stop()`` ends the updates; ``.error`` holds a failure).
    """
    publisher = DisplayPublisher()
    attached = frontend_attached()
    plot = LivePlot(
        GroupSource(api, int(group), project),
        metrics,
        publisher,
        interval=interval,
        on_status=publisher.status if attached else None,
    )
    if not attached:
        source = plot.source
        pictures = plot.finish() if source.finished() else plot.snapshot()
        if not plot.finished:
            publisher.show_static(pictures)
        return plot
    # The first pictures are displayed now, from this thread, so they land in this cell's
    # output (even before any point exists); the refresh thread only updates them.
    plot.refresh()
    for metric, figure in plot.figures.items():
        if metric not in publisher.handles:
            publisher(metric, figure.render_png(), False)
    plot.start()
    if wait:
        try:
            while not plot.join(timeout=0.5):
                pass
        except KeyboardInterrupt:  # stop watching; the group keeps running
            plot.stop()
    return plot


def save_png(
    api: Any, group: int, metrics: Sequence[str], path: str | Path, *, project: str | None = None
) -> str:
    """Write the current curves as PNG files (one per metric; ``NAME-METRIC.png`` if several).

    Returns:
        A sentence naming the files written.
    """
    target = Path(path)
    plot = LivePlot(GroupSource(api, int(group), project), metrics, lambda *a: None)
    pictures = plot.snapshot()
    plot.close()
    written = []
    for metric, png in pictures.items():
        out = target if len(pictures) == 1 else target.with_name(f"{target.stem}-{metric}.png")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(png)
        written.append(str(out))
    return "wrote " + ", ".join(written)


def group_params_png(
    api: Any, group: int, metric: str, mode: str | None = None, *, project: str | None = None
) -> bytes:
    """Params vs ``metric`` (last value) for a group's experiments, as PNG bytes.

    Raises:
        ValueError: no experiment logged ``metric`` yet.
    """
    objective = api.resolve_objective(int(group), metric, mode, project=project)
    rows = [
        (row.id, dict(row.params), value)
        for row in api.experiment_rows(int(group), project=project)
        if (value := row.last(metric)) is not None
    ]
    return params_png(rows, metric, objective.mode)
