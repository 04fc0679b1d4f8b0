"""The dashboard's widgets, built in one place (no behaviour here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ipywidgets as w


@dataclass
class View:
    """Every widget of the dashboard, by role."""

    header: Any
    groups: Any
    metric: Any
    experiment: Any
    table: Any
    plot: Any
    stop: Any
    best: Any
    name: Any
    image: Any
    ship: Any
    ship_progress: Any
    status: Any
    deployments: Any
    deployment: Any
    payload: Any
    predict: Any
    prediction: Any

    def layout(self) -> list[Any]:
        """The dashboard's children, top to bottom."""
        pick = w.HBox([self.groups, self.metric, self.experiment])
        actions = w.HBox(
            [self.stop, self.best, self.name, self.image, self.ship, self.ship_progress]
        )
        predict = w.HBox([self.deployment, self.payload, self.predict])
        return [
            self.header,
            pick,
            self.table,
            self.plot,
            actions,
            self.status,
            w.HTML("<b>Deployments</b>"),
            self.deployments,
            predict,
            self.prediction,
        ]


def build_view() -> View:
    """Fresh widgets with their labels and initial states."""
    short = w.Layout(width="220px")
    return View(
        header=w.HTML("<b>mlpipe</b>"),
        # As wide as its longest entry: a group's name and status are never cut off.
        groups=w.Dropdown(
            description="group", options=[], layout=w.Layout(width="auto", min_width="220px")
        ),
        metric=w.Dropdown(description="metric", options=[], layout=short),
        experiment=w.Dropdown(description="experiment", options=[], layout=short),
        table=w.HTML("<i>loading…</i>"),
        plot=w.Image(format="png", layout=w.Layout(max_width="720px")),
        stop=w.Button(description="stop group", icon="stop", button_style="warning"),
        best=w.Button(description="select best", icon="star"),
        name=w.Text(placeholder="package name", layout=w.Layout(width="160px")),
        image=w.Text(placeholder="image (optional: build)", layout=w.Layout(width="200px")),
        ship=w.Button(
            description="package → build → deploy",
            button_style="primary",
            layout=w.Layout(width="210px"),
        ),
        ship_progress=w.IntProgress(value=0, min=0, max=3, layout=w.Layout(width="120px")),
        status=w.HTML(""),
        deployments=w.HTML("<i>no deployments</i>"),
        deployment=w.Dropdown(description="predict", options=[], layout=short),
        payload=w.Text(
            placeholder="image path, .npy, JSON file or inline JSON", layout=w.Layout(width="340px")
        ),
        predict=w.Button(description="predict", icon="paper-plane"),
        prediction=w.HTML(""),
    )
