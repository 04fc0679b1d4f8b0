"""Every record a verb returns says what was done, where, and what to run next — in human
times and short digests, as text (terminal, plain repr) and HTML (notebook)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from jupyter_mlpipe.api import OperationRecord, OperationStep
from jupyter_mlpipe.builders.base import BuildResult
from jupyter_mlpipe.packaging.records import CheckpointInfo, PackageInfo
from jupyter_mlpipe.store import ExperimentRow, MetricSummary
from jupyter_mlpipe.store.records import ExperimentStatus

NOW = time.time()
DIGEST = "sha256:" + "0123456789abcdef" * 4


def _experiment() -> ExperimentRow:
    state = ExperimentStatus(status="succeeded", started=NOW - 60, finished=NOW - 20, attempt=1)
    return ExperimentRow(
        12, 3, "mnist", state, {"lr": 0.01}, {"accuracy": MetricSummary(0.98, 0.5, 0.98, 4, 5)},
        path="/out/12",
    )  # fmt: skip


def _package() -> PackageInfo:
    lineage = {"project": "mnist", "group": 3, "experiment": 12, "metrics": {"accuracy": 0.98},
               "selected_at": NOW - 5}  # fmt: skip
    return PackageInfo(
        "mnist-best", "/d/mnist-best", "seldon", "MnistModel",
        (CheckpointInfo("model.dat", "f" * 64, 1_300_000),), lineage,
    )  # fmt: skip


def _build() -> BuildResult:
    return BuildResult("reg:5000/mnist:v1", DIGEST, ("done",), "/d/Dockerfile", "buildah", True)


def _operation() -> OperationRecord:
    steps = (
        OperationStep("best", "succeeded", NOW - 9, NOW - 8.5, "experiment 12"),
        OperationStep("build", "skipped", NOW - 8, NOW - 8, "not needed"),
        OperationStep("deploy", "succeeded", NOW - 8, NOW - 2, "serving m"),
    )
    return OperationRecord(
        "0123456789ab", "ship", "succeeded", NOW - 10, NOW - 2, steps,
        result={"deploy": {"name": "m"}},
    )  # fmt: skip


CASES: list[tuple[Any, str, list[str]]] = [
    (_experiment(), "experiment 12 (group 3): succeeded",
     ["lr=0.01", "accuracy=0.98", "40s", "mlpipe ship --experiment 12"]),
    (_package(), "package mnist-best",
     ["experiment 12 of group 3", "1.3 MB", "sha256 ffffffffffff", "mlpipe deploy mnist-best"]),
    (_build(), "image reg:5000/mnist:v1: built",
     ["sha256:0123456789ab", "pushed", "buildah", "--image reg:5000/mnist:v1"]),
    (_operation(), "operation 0123456789ab (ship): succeeded",
     ["best     succeeded in 0.5s — experiment 12", "build    skipped — not needed",
      "mlpipe predict m INPUT"]),
]  # fmt: skip


@pytest.mark.parametrize(("record", "title", "says"), CASES)
def test_text_and_html(record: Any, title: str, says: list[str]) -> None:
    text = record.to_text()
    assert text.splitlines()[0] == title
    for words in says:
        assert words in text, (words, text)
    assert "ago)" in text or isinstance(record, BuildResult)  # a human time (a build has none)
    assert DIGEST not in text and str(int(NOW)) not in text  # no full hashes, no epoch floats
    html = record._repr_html_()
    assert title.split(":")[0] in html and "<table>" in html and "%mlpipe" in html
