"""seldon-core v1.17.1 ``python/tests/test_model_microservice.py`` (REST cases), over HTTP.

Each case runs against our server and against Seldon's own microservice (see conftest). The
gRPC and ``tftensor`` cases are left out: the local server speaks REST only.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.compat.seldon.conftest import Unit

pytestmark = [pytest.mark.integration, pytest.mark.slow]

USER = Unit("upstream_models.UserObject")
NPARRAY = Unit("upstream_models.UserObject", params=(("ret_nparray", "BOOL", "true"),))
BAD_METRICS = Unit("upstream_models.UserObject", params=(("metrics_ok", "BOOL", "false"),))
RET_META = Unit("upstream_models.UserObject", params=(("ret_meta", "BOOL", "true"),))
NAMED_UNIT = Unit("upstream_models.UserObject", env=(("PREDICTIVE_UNIT_ID", "my-test-model"),
                                                     ("PREDICTIVE_UNIT_IMAGE",
                                                      "my-test-model-image")))
LOW_LEVEL = Unit("upstream_models.UserObjectLowLevel")
LOW_LEVEL_STATUS = Unit("upstream_models.UserObjectLowLevelWithStatusInResponse")
TEXT = "this is test file for testing multipart/form-data input\n"
MYCOUNTER = {"type": "COUNTER", "key": "mycounter", "value": 1}


def raw_unit(check_name: str, status: bool = False) -> Unit:
    cls = ("UserObjectLowLevelWithStatusInResponseWithPredictRaw" if status
           else "UserObjectLowLevelWithPredictRaw")
    return Unit(f"upstream_models.{cls}", params=(("check_name", "STRING", check_name),))


def assert_user_meta(j: dict[str, Any]) -> None:
    assert j["meta"]["tags"] == {"mytag": 1}
    assert j["meta"]["metrics"][0]["key"] == MYCOUNTER["key"]
    assert j["meta"]["metrics"][0]["value"] == MYCOUNTER["value"]


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def checksum(data: bytes) -> str:
    return "%02X" % (sum(data) & 0xFF)


def test_model_ok(serve: Any) -> None:
    rv = serve(USER).get("/predict", '{"data":{"names":["a","b"],"ndarray":[[1,2]]}}')
    j = rv.json()
    assert rv.status == 200
    assert_user_meta(j)
    assert j["data"]["names"] == ["t:0", "t:1"]
    assert j["data"]["ndarray"] == [[1.0, 2.0]]


@pytest.mark.parametrize("path", ["/api/v0.1/predictions", "/api/v1.0/predictions"])
def test_model_versioned_paths_ok(serve: Any, path: str) -> None:
    rv = serve(USER).post_json(path, {"data": {"names": ["a", "b"], "ndarray": [[1, 2]]}})
    j = rv.json()
    assert rv.status == 200
    assert_user_meta(j)
    assert j["data"]["names"] == ["t:0", "t:1"]
    assert j["data"]["ndarray"] == [[1.0, 2.0]]


def test_model_puid_ok(serve: Any) -> None:
    rv = serve(USER).get(
        "/predict", '{"meta":{"puid":"123"},"data":{"names":["a","b"],"ndarray":[[1,2]]}}')
    j = rv.json()
    assert rv.status == 200
    assert_user_meta(j)
    assert j["data"]["ndarray"] == [[1.0, 2.0]]
    assert j["meta"]["puid"] == "123"


def test_request_path_ok(serve: Any) -> None:
    rv = serve(NAMED_UNIT).get(
        "/predict", '{"meta":{"puid":"123"},"data":{"names":["a","b"],"ndarray":[[1,2]]}}')
    assert rv.status == 200
    assert rv.json()["meta"]["requestPath"] == {"my-test-model": "my-test-model-image"}


def test_request_path_2nd_node_ok(serve: Any) -> None:
    rv = serve(NAMED_UNIT).get("/predict", '{"meta":{"requestPath":{"earlier-node": '
                                           '"earlier-image"}},"data":{"names":["a","b"],'
                                           '"ndarray":[[1,2]]}}')
    assert rv.status == 200
    assert rv.json()["meta"]["requestPath"] == {"my-test-model": "my-test-model-image",
                                                "earlier-node": "earlier-image"}


def test_no_request_path_without_unit_id(serve: Any) -> None:
    # Seldon adds requestPath only when PREDICTIVE_UNIT_ID names the unit.
    server = serve(USER)
    rv = server.get("/predict", '{"data":{"ndarray":[[1,2]]}}')
    assert rv.status == 200 and "requestPath" not in rv.json()["meta"]
    assert str(server.folder) not in rv.body.decode()


def test_model_lowlevel_ok(serve: Any) -> None:
    rv = serve(LOW_LEVEL).get("/predict", '{"data":{"ndarray":[1,2]}}')
    assert rv.status == 200
    assert rv.json()["data"]["ndarray"] == [9, 9]


def test_model_lowlevel_multi_form_data_text_file_ok(serve: Any) -> None:
    rv = serve(raw_unit("txt")).post_multipart(
        "/predict", {"meta": '{"puid":"1234"}'}, {"binData": ("test.txt", TEXT.encode())})
    j = rv.json()
    assert rv.status == 200
    assert j["meta"]["puid"] == "1234"
    assert j["data"]["ndarray"][0] == TEXT


def test_model_lowlevel_multi_form_data_img_file_ok(serve: Any) -> None:
    image = png_bytes()
    rv = serve(raw_unit("img")).post_multipart(
        "/predict", {"meta": '{"puid":"1234"}'}, {"binData": ("test.png", image)})
    j = rv.json()
    assert rv.status == 200
    assert j["meta"]["puid"] == "1234"
    assert j["data"]["ndarray"][0] == checksum(image)


def test_model_lowlevel_multi_form_data_str_data_ok(serve: Any) -> None:
    rv = serve(raw_unit("strData")).post_multipart(
        "/predict", {"meta": '{"puid":"1234"}'}, {"strData": ("test.txt", TEXT.encode())})
    j = rv.json()
    assert rv.status == 200
    assert j["meta"]["puid"] == "1234"
    assert j["data"]["ndarray"][0] == TEXT


def test_model_lowlevel_multi_form_data_str_data_non200status(serve: Any) -> None:
    rv = serve(raw_unit("strData", status=True)).post_multipart(
        "/predict", {"meta": '{"puid":"1234"}'}, {"strData": ("test.txt", TEXT.encode())})
    j = rv.json()
    assert rv.status == 400
    assert j["meta"]["puid"] == "1234"
    assert j["data"]["ndarray"][0] == TEXT


def test_model_multi_form_data_ok(serve: Any) -> None:
    rv = serve(USER).post_multipart(
        "/predict", {"data": '{"names":["a","b"],"ndarray":[[1,2]]}'}, {})
    j = rv.json()
    assert rv.status == 200
    assert_user_meta(j)
    assert j["data"]["names"] == ["t:0", "t:1"]
    assert j["data"]["ndarray"] == [[1.0, 2.0]]


def test_model_feedback_ok(serve: Any) -> None:
    server = serve(USER)
    rv = server.get("/send-feedback", '{"request":{"data":{"ndarray":[]}},"reward":1.0}')
    assert rv.status == 200
    rewards = json.loads((Path(server.folder) / "rewards.json").read_text())
    assert rewards[-1] == 1.0


@pytest.mark.parametrize("path", ["/api/v1.0/feedback", "/api/v0.1/feedback"])
def test_feedback_versioned_paths_ok(serve: Any, path: str) -> None:
    rv = serve(USER).post_json(path, {"request": {"data": {"names": ["a", "b"],
                                                           "ndarray": [[1, 2]]}},
                                      "reward": 1.0})
    assert rv.status == 200
    # Seldon writes feedback replies through protobuf: no empty "names".
    assert "names" not in rv.json()["data"]


def test_model_feedback_lowlevel_ok(serve: Any) -> None:
    rv = serve(LOW_LEVEL).get("/send-feedback",
                              '{"request":{"data":{"ndarray":[]}},"reward":1.0}')
    assert rv.status == 200


def test_model_non200status_lowlevel(serve: Any) -> None:
    rv = serve(LOW_LEVEL_STATUS).get("/predict",
                                     '{"request":{"data":{"ndarray":[]}},"reward":1.0}')
    assert rv.status == 400


def test_model_ok_with_names(serve: Any) -> None:
    rv = serve(USER).get("/predict", '{"data":{"names":["a","b"],"ndarray":[[1,2]]}}')
    assert rv.status == 200
    assert_user_meta(rv.json())


def test_model_bin_data(serve: Any) -> None:
    encoded = base64.b64encode(b"123").decode("utf-8")
    rv = serve(USER).get("/predict", '{"binData":"' + encoded + '"}')
    j = rv.json()
    assert rv.status == 200
    assert j["binData"] == encoded
    assert_user_meta(j)


def test_model_bin_data_nparray(serve: Any) -> None:
    encoded = base64.b64encode(b"1234").decode("utf-8")
    rv = serve(NPARRAY).get("/predict", '{"binData":"' + encoded + '"}')
    j = rv.json()
    assert rv.status == 200
    assert j["data"]["tensor"]["values"] == [1, 2, 3]
    assert_user_meta(j)


def test_model_str_data(serve: Any) -> None:
    rv = serve(NPARRAY).get("/predict", '{"strData":"my data"}')
    j = rv.json()
    assert rv.status == 200
    assert j["data"]["tensor"]["values"] == [1, 2, 3]
    assert_user_meta(j)


def test_model_str_data_identity(serve: Any) -> None:
    rv = serve(USER).get("/predict", '{"strData":"my data"}')
    j = rv.json()
    assert rv.status == 200
    assert j["strData"] == "my data"
    assert_user_meta(j)


def test_model_no_json(serve: Any) -> None:
    rv = serve(USER).request("GET", "/predict?")
    assert rv.status == 400
    assert rv.json()["status"]["reason"] == "MICROSERVICE_BAD_DATA"


def test_model_bad_metrics(serve: Any) -> None:
    rv = serve(BAD_METRICS).get("/predict", '{"data":{"ndarray":[]}}')
    assert rv.status == 500
    assert rv.json()["status"]["reason"] == "MICROSERVICE_BAD_METRIC"


def test_model_error_status_code(serve: Any) -> None:
    rv = serve(Unit("upstream_models.ErrorUserObject")).get("/predict", '{"strData":"my data"}')
    assert rv.status == 403
    assert rv.json() == {"status": {"status": 1, "info": "foo", "code": -1,
                                    "reason": "MICROSERVICE_BAD_DATA"}}


def test_model_gets_meta(serve: Any) -> None:
    rv = serve(RET_META).get("/predict", '{"meta":{"puid": "abc"},"data":{"ndarray":[]}}')
    j = rv.json()
    assert rv.status == 200
    assert j["meta"]["tags"] == {"inc_meta": {"puid": "abc"}}
    assert j["meta"]["metrics"][0]["key"] == MYCOUNTER["key"]


def test_model_passes_through_tags(serve: Any) -> None:
    rv = serve(USER).get("/predict", '{"meta":{"tags":{"foo":"bar"}},"data":{"ndarray":[]}}')
    j = rv.json()
    assert rv.status == 200
    assert j["meta"]["tags"] == {"foo": "bar", "mytag": 1}
    assert j["meta"]["metrics"][0]["key"] == MYCOUNTER["key"]


def test_model_passes_through_metrics(serve: Any) -> None:
    rv = serve(USER).get("/predict", '{"meta":{"metrics":[{"key":"request_gauge","type":"GAUGE",'
                                     '"value":100}]},"data":{"ndarray":[]}}')
    j = rv.json()
    assert rv.status == 200
    assert j["meta"]["metrics"][0]["key"] == "request_gauge"
    assert j["meta"]["metrics"][0]["value"] == 100
    assert j["meta"]["metrics"][1]["key"] == MYCOUNTER["key"]
    assert j["meta"]["metrics"][1]["value"] == MYCOUNTER["value"]


def test_model_seldon_json_ok(serve: Any) -> None:
    rv = serve(USER).request("GET", "/seldon.json")
    assert rv.status == 200
    assert "/predict" in rv.json()["paths"]


def test_model_health_ping(serve: Any) -> None:
    rv = serve(USER).request("GET", "/health/ping")
    assert rv.status == 200
    assert rv.body == b"pong"


def test_model_health_status(serve: Any) -> None:
    rv = serve(USER).request("GET", "/health/status")
    assert rv.status == 200
    assert rv.json()["data"]["tensor"]["values"] == [0.123]


def test_model_health_status_raw(serve: Any) -> None:
    rv = serve(LOW_LEVEL).request("GET", "/health/status")
    assert rv.status == 200
    assert rv.json()["data"]["ndarray"] == [123.456, 7.89]


def test_model_metadata(serve: Any) -> None:
    rv = serve(USER).request("GET", "/metadata")
    assert rv.status == 200
    assert rv.json() == {
        "name": "my-model-name", "versions": ["model-version"], "platform": "model-platform",
        "inputs": [{"name": "input", "datatype": "BYTES", "shape": [1]}],
        "outputs": [{"name": "output", "datatype": "BYTES", "shape": [1]}], "custom": {}}


@pytest.mark.parametrize("model", ["upstream_models.DoublingComponent",
                                   "upstream_models.DoublingObject"])
def test_unimplemented_predict_raw(serve: Any, model: str) -> None:
    rv = serve(Unit(model)).get("/predict", '{"data":{"names":["a","b"],"ndarray":[[1,2]]}}')
    assert rv.status == 200
    assert rv.json()["data"]["ndarray"] == [[2.0, 4.0]]


@pytest.mark.parametrize("model", ["upstream_models.FeedbackComponent",
                                   "upstream_models.FeedbackObject"])
def test_unimplemented_feedback_raw(serve: Any, model: str) -> None:
    rv = serve(Unit(model)).get("/send-feedback",
                                '{"request":{"data":{"ndarray":[]}},"reward":1.0}')
    assert rv.status == 200
