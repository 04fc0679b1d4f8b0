"""The user model classes of seldon-core v1.17.1's REST tests, ported to run in a server.

Each class keeps the behaviour its upstream test relies on (``python/tests/
test_model_microservice.py``, ``test_application_exception_microservice.py``,
``test_metadata.py``, ``test_runtime_metrics_tags.py``). Where the upstream test inspected the
object in-process, the object writes what the test needs to a file in its working folder.
Upstream's ``predict_raw`` classes convert the message to protobuf and back; these read the
JSON message directly, which is what that round trip yields for the fields they use.

The same module is served by Seldon's own microservice and by ours, each with its own
``seldon_core`` (the real one; our server's shim).
"""

from __future__ import annotations

import base64
import io
import json
import logging
from typing import Any

import numpy as np
from seldon_core.flask_utils import SeldonMicroserviceException
from seldon_core.user_model import SeldonComponent, SeldonResponse

log = logging.getLogger(__name__)

REWARDS_FILE = "rewards.json"


def rs232_checksum(data: bytes) -> bytes:
    """Upstream's checksum of a multipart file's bytes (two hex digits)."""
    return b"%02X" % (sum(data) & 0xFF)


def _on(flag: Any) -> bool:
    return flag in (True, "true", "True", "1", 1)


class UserObject(SeldonComponent):
    """The identity model with tags, metrics, health, metadata and feedback."""

    HEALTH_STATUS_RESPONSE = [0.123]
    METADATA_RESPONSE = {
        "name": "my-model-name",
        "versions": ["model-version"],
        "platform": "model-platform",
        "inputs": [{"name": "input", "datatype": "BYTES", "shape": [1]}],
        "outputs": [{"name": "output", "datatype": "BYTES", "shape": [1]}],
        "custom": {},
    }

    def __init__(self, metrics_ok: bool = True, ret_nparray: bool = False,
                 ret_meta: bool = False) -> None:
        self.metrics_ok = _on(metrics_ok)
        self.ret_nparray = _on(ret_nparray)
        self.ret_meta = _on(ret_meta)
        self.nparray = np.array([1, 2, 3])
        self.inc_meta: Any = None
        self.rewards: list[float] = []

    def predict(self, X: Any, features_names: Any, **kwargs: Any) -> Any:
        if self.ret_meta:
            self.inc_meta = kwargs.get("meta")
        return self.nparray if self.ret_nparray else X

    def send_feedback(self, features: Any, feature_names: Any, reward: float, truth: Any,
                      routing: Any = None) -> None:
        self.rewards.append(reward)
        with open(REWARDS_FILE, "w", encoding="utf-8") as fh:
            json.dump(self.rewards, fh)

    def tags(self) -> dict[str, Any]:
        return {"inc_meta": self.inc_meta} if self.ret_meta else {"mytag": 1}

    def metrics(self) -> list[dict[str, Any]]:
        kind = "COUNTER" if self.metrics_ok else "BAD"
        return [{"type": kind, "key": "mycounter", "value": 1}]

    def health_status(self) -> Any:
        return self.predict(self.HEALTH_STATUS_RESPONSE, ["some_float"])

    def init_metadata(self) -> dict[str, Any]:
        return self.METADATA_RESPONSE


class UserObjectLowLevel(SeldonComponent):
    """Only the deprecated low-level hooks: ``predict_rest``, ``send_feedback_rest``,
    ``health_status_raw``."""

    HEALTH_STATUS_RAW_RESPONSE = [123.456, 7.89]

    def predict_rest(self, request: Any) -> dict[str, Any]:
        return {"data": {"ndarray": [9, 9]}}

    def send_feedback_rest(self, request: Any) -> None:
        log.info("feedback called")

    def health_status_raw(self) -> dict[str, Any]:
        return {"data": {"ndarray": self.HEALTH_STATUS_RAW_RESPONSE}}


class UserObjectLowLevelWithStatusInResponse(SeldonComponent):
    """``predict_rest`` answering a message whose ``status.code`` is 400."""

    def predict_rest(self, request: Any) -> dict[str, Any]:
        return {"data": {"ndarray": [9, 9]}, "status": {"code": 400, "status": "FAILURE"}}

    def send_feedback_rest(self, request: Any) -> None:
        log.info("feedback called")


def _raw_reply(msg: dict[str, Any], check_name: str) -> dict[str, Any]:
    if check_name == "img":
        from PIL import Image

        data = base64.b64decode(msg["binData"])
        Image.open(io.BytesIO(data)).verify()
        value = rs232_checksum(data).decode("utf-8")
    elif check_name == "txt":
        value = base64.b64decode(msg["binData"]).decode("utf-8")
    else:
        value = msg["strData"]
    return {"meta": dict(msg.get("meta") or {}), "data": {"ndarray": [value]}}


class UserObjectLowLevelWithPredictRaw(SeldonComponent):
    """``predict_raw`` reading a multipart request's file (``img``, ``txt``) or ``strData``."""

    def __init__(self, check_name: str) -> None:
        self.check_name = check_name

    def predict_raw(self, msg: dict[str, Any]) -> dict[str, Any]:
        return _raw_reply(msg, self.check_name)


class UserObjectLowLevelWithStatusInResponseWithPredictRaw(SeldonComponent):
    """The same, answering ``status.code`` 400."""

    def __init__(self, check_name: str) -> None:
        self.check_name = check_name

    def predict_raw(self, msg: dict[str, Any]) -> dict[str, Any]:
        return {**_raw_reply(msg, self.check_name),
                "status": {"code": 400, "status": "FAILURE"}}


class ErrorUserObject:
    """``predict`` raising ``SeldonMicroserviceException`` with status 403."""

    def predict(self, X: Any, features_names: Any, **kwargs: Any) -> Any:
        raise SeldonMicroserviceException("foo", status_code=403)


class DoublingComponent(SeldonComponent):
    """A SeldonComponent with only ``predict`` (its ``predict_raw`` is not implemented)."""

    def predict(self, X: Any, features_names: Any, **kwargs: Any) -> Any:
        return X * 2


class DoublingObject:
    """A plain class with only ``predict``."""

    def predict(self, X: Any, features_names: Any, **kwargs: Any) -> Any:
        return X * 2


class FeedbackComponent(SeldonComponent):
    """A SeldonComponent defining ``feedback`` (not a Seldon hook): feedback still answers."""

    def feedback(self, features: Any, feature_names: Any, reward: Any, truth: Any) -> None:
        log.info("feedback called")


class FeedbackObject:
    """A plain class defining only ``feedback``."""

    def feedback(self, features: Any, feature_names: Any, reward: Any, truth: Any) -> None:
        log.info("feedback called")


class UserCustomException(Exception):
    """An application error carrying its HTTP status and its own body."""

    status_code = 404

    def __init__(self, message: str, application_error_code: int,
                 http_status_code: int | None) -> None:
        Exception.__init__(self)
        self.message = message
        if http_status_code is not None:
            self.status_code = http_status_code
        self.application_error_code = application_error_code

    def to_dict(self) -> dict[str, Any]:
        return {"status": {"status": self.status_code, "message": self.message,
                           "app_code": self.application_error_code}}


def _error_handlers() -> Any:
    # Upstream registers a Flask blueprint answering UserCustomException with to_dict().
    import flask

    blueprint = flask.Blueprint("error_handlers", __name__)

    @blueprint.app_errorhandler(UserCustomException)
    def handle_custom_error(error: UserCustomException) -> Any:
        response = flask.jsonify(error.to_dict())
        response.status_code = error.status_code
        return response

    return blueprint


class AppErrorObject(SeldonComponent):
    """``predict`` raising an application error (HTTP 402, app code 1402)."""

    model_error_handler = _error_handlers()

    def predict(self, X: Any, features_names: Any, **kwargs: Any) -> Any:
        raise UserCustomException("Test-Error-Msg", 1402, 402)


class AppErrorLowLevel(SeldonComponent):
    """``predict_rest`` raising the same application error."""

    model_error_handler = _error_handlers()

    def predict_rest(self, request: Any) -> Any:
        raise UserCustomException("Test-Error-Msg", 1402, 402)


class MetadataObject:
    """``test_metadata.py``'s model: identity ``predict`` and ``init_metadata``.

    ``versions_as_string`` breaks the metadata as the upstream test does.
    """

    METADATA_RESPONSE = {**UserObject.METADATA_RESPONSE, "custom": {"tag-key": "tag-value"}}

    def __init__(self, versions_as_string: bool = False) -> None:
        self.metadata = dict(self.METADATA_RESPONSE)
        if _on(versions_as_string):
            self.metadata["versions"] = "string-not-array-of-strings"

    def predict(self, X: Any, features_names: Any) -> Any:
        return X

    def init_metadata(self) -> dict[str, Any]:
        return self.metadata


class PlainObject:
    """A model without metadata: ``/metadata`` shows the defaults."""

    def predict(self, X: Any, features_names: Any) -> Any:
        return X


RUNTIME_METRICS = [{"type": "GAUGE", "key": "runtime_gauge", "value": 42}]
RUNTIME_TAGS = {"runtime": "tag", "shared": "right one"}


class RuntimeObject:
    """``test_runtime_metrics_tags.py``'s model: ``SeldonResponse`` with runtime data."""

    def predict(self, X: Any, features_names: Any) -> Any:
        return SeldonResponse(data=X, metrics=RUNTIME_METRICS, tags=RUNTIME_TAGS)

    def send_feedback(self, X: Any, feature_names: Any, reward: Any, truth: Any,
                      routing: Any) -> Any:
        return SeldonResponse(data=X, metrics=RUNTIME_METRICS, tags=RUNTIME_TAGS)

    def metrics(self) -> list[dict[str, Any]]:
        return [
            {"type": "COUNTER", "key": "mycounter", "value": 1},
            {"type": "GAUGE", "key": "mygauge", "value": 100},
            {"type": "TIMER", "key": "mytimer", "value": 20.2},
            {"type": "GAUGE", "key": "customtag", "value": 200, "tags": {"mytag": "mytagvalue"}},
        ]

    def tags(self) -> dict[str, Any]:
        return {"static": "tag", "shared": "not right one"}
