"""The sidebar at its default width, as a newcomer meets it: the starting spec runs, the table
fits a narrow panel, failures say why, switching sweep or project leaves nothing stale, and
Stop asks first and is disabled when nothing runs.

Screenshots go to ``tests/artifacts/ux-*.png``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import ARTIFACTS, Lab
from .test_sidebar import _open_panel, page  # noqa: F401 - `page` is a fixture

pytestmark = pytest.mark.integration

FAILING = """\
version: 1
kind: group
hptuning:
  matrix:
    lr:
      values: [5.0, 9.0]
run:
  cmd: >-
    python -c "import sys; print('training...');
    sys.exit('ValueError: lr {{ lr }} is too large')"
"""

SLOW = """\
version: 1
kind: group
hptuning:
  matrix:
    lr:
      values: [0.1]
run:
  cmd: python -c "import time; time.sleep(120)"
"""


def _shot(browser: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    panel = browser.locator("#jupyter-mlpipe-panel")
    panel.evaluate("n => { n.scrollTop = 0; }")
    panel.screenshot(path=str(ARTIFACTS / f"ux-{name}.png"))


def _start(panel: Any, spec: str | None) -> None:
    """Start a sweep from the form: ``spec`` pasted, or the form's own starting spec."""
    back = panel.get_by_role("button", name="Back to all sweeps")
    if back.count():
        back.click()
    if spec is not None:
        panel.get_by_label("Sweep spec (YAML)").fill(spec)
    panel.get_by_role("button", name="Start sweep").click()


def test_the_starting_spec_runs_and_the_table_fits_the_panel(lab: Lab, page: Any) -> None:  # noqa: F811
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    panel = _open_panel(page)
    _start(panel, None)  # the spec the form starts with, as it is
    rows = panel.locator('table[aria-label="Experiments"] tbody tr')
    expect(rows).to_have_count(3)

    # The chart streams: points are appended to one chart, never a new one per update.
    figure = panel.locator("figure.jp-mlpipe-chart")
    host = figure.locator(".jp-mlpipe-uplot")
    expect(figure).to_have_attribute("data-series", "3")
    created = host.get_attribute("data-created")
    sizes = set()
    for _ in range(600):
        sizes.add(int(figure.get_attribute("data-points") or 0))
        if max(sizes) >= 60:
            break
        page.wait_for_timeout(100)
    assert len(sizes) >= 3 and max(sizes) == 60, sizes  # several updates, up to 3 × 20
    expect(panel.locator(".jp-mlpipe-counts")).to_have_text("3 succeeded", timeout=90_000)
    # best by the objective is marked; the legend ties lines to params; axes have titles
    legend = host.locator(".u-legend")
    expect(legend).to_contain_text("#1 lr=0.01")
    expect(legend).to_contain_text("★")
    expect(figure).to_have_attribute("aria-label", "loss by step for 3 experiments")
    assert host.get_attribute("data-created") in (created, str(int(created or 0) + 1))
    # hover: the legend shows the values at the cursor
    box = host.locator(".u-over").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    expect(legend.locator(".u-series .u-value").nth(1)).not_to_have_text("--")
    _shot(page, "chart-hover")
    # zoom: drag across the first half, double-click to reset
    full = host.get_attribute("data-x-range")
    page.mouse.move(box["x"] + 5, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + 20, steps=5)
    page.mouse.up()
    expect(host).not_to_have_attribute("data-x-range", full or "")
    page.mouse.dblclick(box["x"] + 20, box["y"] + 20)
    expect(host).to_have_attribute("data-x-range", full or "")
    expect(host).to_have_attribute("data-markers", "no")  # 20 points each: lines
    headers = panel.locator('table[aria-label="Experiments"] thead th')
    titles = [h.strip(" ▲▼\n") for h in headers.all_inner_texts()]
    assert titles[:4] == ["id", "status", "lr", "loss"], titles
    expect(panel.locator(".jp-mlpipe-constants")).to_have_text("steps=20")
    table = panel.locator(".jp-mlpipe-table-wrap")
    width = table.evaluate("n => [n.scrollWidth, n.clientWidth]")
    assert width[0] <= width[1], f"the compact table scrolls sideways: {width}"
    _shot(page, "table")
    # every column on demand
    panel.get_by_role("button", name=re.compile(r"All columns \(\+\d+\)")).click()
    expect(headers.filter(has_text="steps")).to_have_count(1)
    panel.get_by_role("button", name="Fewer columns").click()
    # the whole row opens the experiment's log
    rows.nth(1).locator("td").nth(2).click()
    expect(panel.locator("pre.jp-mlpipe-log")).to_be_visible()
    # the sweep ended: Stop cannot apply
    expect(panel.get_by_role("button", name="Stop sweep 1")).to_be_disabled()

    # Another project: the previous list goes at once, not after the next poll.
    panel.get_by_role("button", name="Back to all sweeps").click()
    expect(panel.locator('.jp-mlpipe-group[data-group="1"]')).to_be_visible()
    project = panel.get_by_label("Project")
    project.fill("elsewhere")
    project.press("Enter")
    expect(panel.locator(".jp-mlpipe-group")).to_have_count(0, timeout=500)
    expect(panel.get_by_text("No sweeps yet.")).to_be_visible()


def test_failures_say_why_and_switching_sweeps_leaves_nothing_stale(
    lab: Lab,
    page: Any,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    panel = _open_panel(page)
    _start(panel, FAILING)
    expect(panel.locator(".jp-mlpipe-counts")).to_have_text("2 failed", timeout=90_000)
    reasons = panel.locator(".jp-mlpipe-reason")
    expect(reasons).to_have_count(2)
    expect(reasons.first).to_contain_text("exited with code 1: ValueError: lr 5.0 is too large")
    panel.locator('table[aria-label="Experiments"] tbody tr').first.click()
    log = panel.locator("pre.jp-mlpipe-log")
    expect(log).to_contain_text("is too large")
    _shot(page, "failed")

    # A second sweep: nothing of the first (its log) stays on screen.
    _start(panel, SLOW)
    expect(panel.locator(".jp-mlpipe-group-view[data-group='2']")).to_be_visible()
    expect(log).to_have_count(0)
    expect(panel.locator(".jp-mlpipe-counts")).to_contain_text("running", timeout=60_000)

    # Stop asks first; Cancel keeps it running.
    stop = panel.get_by_role("button", name="Stop sweep 2")
    expect(stop).to_be_enabled()
    stop.click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Stop sweep #2?")
    page.screenshot(path=str(ARTIFACTS / "ux-confirm-stop.png"))
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    page.wait_for_timeout(1500)
    assert lab.api("groups/2")["group"]["status"] == "running"  # type: ignore[index]
    stop.click()
    dialog.get_by_role("button", name="Stop").click()
    expect(panel.locator(".jp-mlpipe-counts")).to_have_text("1 stopped", timeout=60_000)
    expect(stop).to_be_disabled()
    _shot(page, "stopped")
