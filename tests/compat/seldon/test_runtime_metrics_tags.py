"""seldon-core v1.17.1 ``python/tests/test_runtime_metrics_tags.py`` (REST reply cases).

``SeldonResponse`` carries runtime tags and metrics beside the data; the reply's ``meta`` holds
the model's static tags overridden by the runtime ones, and the metrics unless
``INCLUDE_METRICS_IN_CLIENT_RESPONSE`` is false. (Upstream also checks Seldon's Prometheus
registry; the local server keeps none.)
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.seldon.conftest import Unit

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RUNTIME = Unit("upstream_models.RuntimeObject")
NO_METRICS = Unit("upstream_models.RuntimeObject",
                  env=(("INCLUDE_METRICS_IN_CLIENT_RESPONSE", "false"),))
EXPECTED_TAGS = {"static": "tag", "runtime": "tag", "shared": "right one"}


@pytest.mark.parametrize("unit, with_metrics", [(RUNTIME, True), (NO_METRICS, False)],
                         ids=["metrics", "no-metrics"])
def test_seldon_runtime_data_predict(serve: Any, unit: Unit, with_metrics: bool) -> None:
    for _ in range(2):
        rv = serve(unit).get("/predict", '{"data": {"names": ["input"], "ndarray": ["data"]}}')
        assert rv.status == 200
        j = rv.json()
        assert j["data"]["ndarray"] == ["data"]
        assert j["meta"]["tags"] == EXPECTED_TAGS
        assert ("metrics" in j["meta"]) == with_metrics
    if with_metrics:
        keys = [m["key"] for m in j["meta"]["metrics"]]
        assert keys == ["mycounter", "mygauge", "mytimer", "customtag", "runtime_gauge"]


def test_seldon_runtime_data_send_feedback(serve: Any) -> None:
    rv = serve(RUNTIME).get("/send-feedback", '{"reward": 42}')
    assert rv.status == 200
    assert rv.json()["meta"]["tags"] == EXPECTED_TAGS
