"""The live plot reads well: a waiting message before any point, a legend tying lines to their
params, whole-number step ticks, and a status line that ends with the group's final status.

Pictures go to ``tests/artifacts/liveplot-*.png`` for a reviewer to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.plots import GroupSource, LivePlot
from jupyter_mlpipe.plots.figure import LEGEND_LINES

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def _save(name: str, png: bytes) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"liveplot-{name}.png").write_bytes(png)


def test_before_any_point_it_says_it_is_waiting(api: Mlpipe, make_group: Any) -> None:
    group = make_group()
    plot = LivePlot(GroupSource(api, group.id), ["loss"], lambda *a: None)
    _save("waiting", plot.snapshot()["loss"])
    figure = plot.figures["loss"]
    assert figure._waiting.get_visible()
    assert not figure.axes.xaxis.get_tick_params()["labelbottom"]  # no empty 0-1 axes
    group.log(group.experiments[0], 0, loss=0.5)
    plot.snapshot()
    assert not figure._waiting.get_visible()
    assert figure.axes.xaxis.get_tick_params()["labelbottom"]
    plot.close()


def test_lines_are_tied_to_their_params_and_steps_tick_as_integers(
    api: Mlpipe, make_group: Any
) -> None:
    params = [{"lr": lr, "momentum": m, "seed": 1} for lr in (0.1, 0.01) for m in (0.5, 0.9)]
    group = make_group(params)
    for n, eid in enumerate(group.experiments):
        for step in range(4):
            group.log(eid, step, loss=1.0 / (step + 1) + n / 10)
    group.set_status(group.experiments[0], "succeeded")
    plot = LivePlot(GroupSource(api, group.id), ["loss"], lambda *a: None)
    pictures = plot.snapshot()
    _save("legend", pictures["loss"])
    figure = plot.figures["loss"]
    legend = [t.get_text() for t in figure.axes.get_legend().get_texts()]
    first = group.experiments[0]
    assert legend[0] == f"#{first} lr=0.1, momentum=0.5"  # the best (by loss:min) first
    assert all("seed" not in text for text in legend)  # constants say nothing about a line
    ticks = [t for t in figure.axes.get_xticks() if 0 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)
    plot.close()


def test_a_legend_names_at_most_a_few_lines(api: Mlpipe, make_group: Any) -> None:
    group = make_group([{"lr": i / 100} for i in range(LEGEND_LINES + 4)])
    for eid in group.experiments:
        group.log(eid, 0, loss=1.0)
    plot = LivePlot(GroupSource(api, group.id), ["loss"], lambda *a: None)
    plot.snapshot()
    texts = [t.get_text() for t in plot.figures["loss"].axes.get_legend().get_texts()]
    assert len(texts) == LEGEND_LINES and texts[-1].endswith("(+4 more)")
    plot.close()


def test_the_status_line_ends_with_the_final_status(api: Mlpipe, make_group: Any) -> None:
    group = make_group()
    said: list[str] = []
    plot = LivePlot(GroupSource(api, group.id), ["loss"], lambda *a: None, on_status=said.append)
    group.log(group.experiments[0], 0, loss=0.4)
    plot.refresh()
    assert said[-1].startswith(f"group {group.id} running")
    for eid in group.experiments:
        group.log(eid, 1, loss=0.2 if eid == group.experiments[1] else 0.3)
    group.finish()
    plot.finish()
    _save("final", plot.figures["loss"].render_png())
    assert said[-1].startswith(f"group {group.id} succeeded: 2 succeeded")
    assert f"best #{group.experiments[1]} by loss:min = 0.2" in said[-1]
    assert "succeeded" in repr(plot)
    plot.close()
