"""seldon-core v1.17.1 ``python/tests/test_application_exception_microservice.py``, over HTTP.

The model classes register a Flask error handler (``model_error_handler``) for their own
exception. Our server does not run Flask handlers; it answers an exception's ``status_code``
with its ``to_dict()`` body, which is what such handlers do (see docs/compat-seldon.md).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.seldon.conftest import Unit

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_raise_exception(serve: Any) -> None:
    rv = serve(Unit("upstream_models.AppErrorObject")).get(
        "/predict", '{"data":{"names":["a","b"],"ndarray":[[1,2]]}}')
    assert rv.status == 402
    assert rv.json()["status"]["app_code"] == 1402


def test_raise_exception_lowlevel(serve: Any) -> None:
    rv = serve(Unit("upstream_models.AppErrorLowLevel")).get(
        "/predict", '{"data":{"ndarray":[1,2]}}')
    assert rv.status == 402
    assert rv.json() == {"status": {"status": 402, "message": "Test-Error-Msg",
                                    "app_code": 1402}}
