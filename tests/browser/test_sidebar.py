"""The sidebar in a real JupyterLab, driven in headless Debian Chromium by Playwright.

Open the panel, start a small sweep, watch its rows and chart fill in, deploy the best
experiment, see the deployment healthy and a prediction in the predict box, and save
screenshots of the panel in the light and dark themes under tests/artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import ARTIFACTS, Lab
from .project import write_project

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def page(lab: Lab, request: pytest.FixtureRequest) -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is needed: apt-get install -y chromium")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1300})
            page = context.new_page()
            page.set_default_timeout(60_000)
            # ?reset: a fresh workspace, so no panel is restored open by an earlier test
            page.goto(f"{lab.url}lab?reset&token={lab.token}")
            page.locator(".jp-LabShell").wait_for()
            yield page
            report = getattr(request.node, "report_call", None)
            if report is not None and report.failed:  # keep what the browser showed
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "failure.png"))
                (ARTIFACTS / "failure.html").write_text(page.content())
        finally:
            browser.close()


def _open_panel(page: Any) -> Any:
    tab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="jupyter-mlpipe-panel"]')
    tab.wait_for()
    panel = page.locator("#jupyter-mlpipe-panel")
    # a click on the tab of an open panel would close it
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()
    panel.get_by_role("heading", name="ML pipeline").wait_for()
    return panel


def _watch_chart(page: Any, panel: Any, expected: int) -> list[int]:
    """Distinct point counts the chart showed until it held ``expected`` points."""
    chart = panel.locator("figure.jp-mlpipe-chart")
    chart.wait_for()
    seen: list[int] = []
    for _ in range(1200):
        count = int(chart.get_attribute("data-points") or 0)
        if not seen or seen[-1] != count:
            seen.append(count)
        if count >= expected:
            return seen
        page.wait_for_timeout(100)
    raise AssertionError(f"the chart stopped at {seen}")


def _set_theme(page: Any, theme: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Settings$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Theme$")).hover()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{theme}$")).click()
    light = "true" if "Light" in theme else "false"
    page.wait_for_selector(f'body[data-jp-theme-light="{light}"]', state="attached")
    page.wait_for_timeout(500)  # let the theme's stylesheet settle before the screenshot


def _widen_sidebar(page: Any, pixels: int) -> None:
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle").first
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + pixels, y, steps=8)
    page.mouse.up()


def _screenshots(page: Any, theme: str) -> str:
    """Save the panel as ``panel-<theme>.png``; return its background colour."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    panel = page.locator("#jupyter-mlpipe-panel")
    panel.evaluate("n => { n.scrollTop = 0; }")
    panel.screenshot(path=str(ARTIFACTS / f"panel-{theme}.png"))
    return str(panel.evaluate("n => getComputedStyle(n).backgroundColor"))


def test_sweep_chart_deploy_predict_in_the_sidebar(lab: Lab, page: Any) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)  # generous: CI machines can be busy
    write_project(lab.roots / "repos")
    panel = _open_panel(page)
    expect(panel.get_by_text("No sweeps yet.")).to_be_visible()

    # Start the sweep from its file inside the Jupyter root.
    panel.get_by_label("Spec file path").fill("polyaxonfile.yml")
    panel.get_by_role("button", name="Start sweep").click()
    rows = panel.locator('table[aria-label="Experiments"] tbody tr')
    expect(rows).to_have_count(3)

    # The chart grows from incremental fetches: several distinct sizes, up to 3 × 6 points.
    seen = _watch_chart(page, panel, expected=18)
    assert len(seen) >= 2 and seen[-1] == 18, seen
    expect(panel.locator(".jp-mlpipe-counts")).to_have_text("3 succeeded", timeout=90_000)
    expect(panel.locator("figure.jp-mlpipe-chart")).to_have_attribute("data-series", "3")

    # Keyboard: sorting by loss from the header button.
    sort = panel.get_by_role("button", name="Sort by loss")
    sort.focus()
    page.keyboard.press("Enter")
    expect(panel.locator('th[aria-sort="ascending"]')).to_have_text(re.compile("loss"))
    first_lr = rows.nth(0).locator("td").nth(2).inner_text()
    assert first_lr == "0.4", first_lr  # the largest step size fits best in six steps

    # A log tail of an experiment.
    panel.get_by_role("button", name=re.compile(r"Show the log of experiment \d+")).first.click()
    expect(panel.locator("pre.jp-mlpipe-log")).to_contain_text("saved model.npy")

    # Deploy best: package → build (not needed locally) → deploy, with progress.
    panel.get_by_label("Metric to rank by").select_option("loss")
    panel.get_by_label("Best is the smallest or largest").select_option("min")
    panel.get_by_label("Model class source folder").fill("model")
    panel.get_by_label("Model class name").fill("LineModel")
    panel.get_by_role("button", name="Deploy best").click()
    operation = panel.locator(".jp-mlpipe-operation")
    expect(operation).to_have_attribute("data-status", "succeeded", timeout=120_000)
    expect(operation).to_contain_text("build: skipped")

    # The default name is unique per project, group and experiment: <project>-g1-e<best>.
    deployment = panel.locator('.jp-mlpipe-deployment[data-name*="-g1-e"]')
    expect(deployment.locator(".jp-mlpipe-health")).to_have_text("healthy", timeout=60_000)
    served = deployment.get_attribute("data-name")

    # Predict from the box: the model multiplies by its fitted weight.
    box = panel.get_by_label("Prediction input (JSON or a file path)")
    box.fill("[[1.0, 2.0]]")
    panel.get_by_role("button", name="Predict").click()
    answer = panel.locator(".jp-mlpipe-prediction pre.jp-mlpipe-raw")
    expect(answer).to_be_attached()
    values = json.loads(answer.text_content() or "")["ndarray"][0]
    # a regression's values are no class probabilities: no class is named, the values show
    expect(panel.locator(".jp-mlpipe-prediction-label")).to_have_count(0)
    expect(answer).to_be_visible()
    page.locator("#jupyter-mlpipe-panel").screenshot(path=str(ARTIFACTS / "ux-prediction.png"))
    assert values[0] > 2.0 and abs(values[1] - 2 * values[0]) < 1e-9, values
    # ... or from an input file in the project folder
    (lab.roots / "repos" / "input.json").write_text("[[10.0]]")
    box.fill("input.json")
    panel.get_by_role("button", name="Predict").click()
    expect(answer).to_contain_text(f"{values[0] * 10:.6}"[:6], use_inner_text=False)

    _widen_sidebar(page, 320)
    light_bg = _screenshots(page, "light")
    _set_theme(page, "JupyterLab Dark")
    dark_bg = _screenshots(page, "dark")
    assert light_bg != dark_bg, (light_bg, dark_bg)

    # Undeploy from the panel; the server list agrees.
    panel.get_by_role("button", name=f"Undeploy {served}").click()
    page.locator(".jp-Dialog").get_by_role("button", name="Undeploy").click()  # it asks first
    expect(panel.get_by_text("No deployments.")).to_be_visible()
    assert lab.api("deployments") == {"deployments": []}

    # Back to the list: the sweep with its live status counts.
    panel.get_by_role("button", name="Back to all sweeps").click()
    expect(panel.locator('.jp-mlpipe-group[data-group="1"]')).to_contain_text("3 succeeded")

    # Another project has no sweeps; the default one still has this one.
    project = panel.get_by_label("Project")
    project.fill("other")
    project.press("Enter")
    expect(panel.get_by_text("No sweeps yet.")).to_be_visible()
    project.fill("")
    project.press("Enter")
    expect(panel.locator('.jp-mlpipe-group[data-group="1"]')).to_be_visible()
    page.locator("#jupyter-mlpipe-panel").screenshot(path=str(ARTIFACTS / "panel-dark-sweeps.png"))
