"""ServedModel: Seldon's rules for optional hooks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jupyter_mlpipe.errors import PredictError
from jupyter_mlpipe.serving.model import NOT_IMPLEMENTED, ServedModel, as_predict_error


class SeldonNotImplementedError(Exception):
    """Named like Seldon's: a hook raising it counts as absent."""


class Base:
    def tags(self) -> dict[str, Any]:
        raise SeldonNotImplementedError("tags")

    def class_names(self) -> list[str]:
        raise SeldonNotImplementedError("class_names")

    def predict_raw(self, msg: Any) -> Any:
        raise SeldonNotImplementedError("raw")

    def metrics(self) -> list[dict[str, Any]]:
        raise SeldonNotImplementedError("metrics")

    def health_status(self) -> Any:
        raise SeldonNotImplementedError("health")


class TwoArgs(Base):
    def predict(self, X: Any, names: Any) -> Any:
        return X * 2


def test_not_implemented_hooks_count_as_absent() -> None:
    model = ServedModel(TwoArgs(), "m")
    assert model.tags() == {} and model.metrics() == []
    # Seldon's answers: a health_status() that is not implemented, and none at all.
    assert model.health() == "not implemented - assuming healthy"
    assert ServedModel(object(), "m").health() == "healthy"
    assert model.predict_raw({}) is NOT_IMPLEMENTED
    names = model.class_names_fn()
    assert names is not None and names() is None


def test_meta_argument_is_dropped_on_type_error() -> None:
    model = ServedModel(TwoArgs(), "m")
    assert model.predict(np.array([1.0]), [], {"puid": "x"}).tolist() == [2.0]
    assert ServedModel(object(), "m").predict(1, [], None) == []


def test_class_names_attribute_and_metadata() -> None:
    class Attr:
        class_names = ["a", "b"]

        def init_metadata(self) -> dict[str, Any]:
            return {"platform": "p"}

    model = ServedModel(Attr(), "named", environ={})
    fn = model.class_names_fn()
    assert fn is not None and fn() == ["a", "b"]
    assert model.metadata == {"name": "", "versions": [""], "platform": "p", "inputs": [],
                              "outputs": [], "custom": {}}

    class BadMeta:
        def init_metadata(self) -> Any:
            raise RuntimeError("no")

    # As Seldon: the default name and version come from the image reference.
    served = ServedModel(BadMeta(), "x", image="localhost:5000/repo/x:1.2", environ={})
    assert served.metadata is not None
    assert (served.metadata["name"], served.metadata["versions"]) == ("localhost:5000/repo/x",
                                                                      ["1.2"])


@pytest.mark.parametrize("metrics", [
    {"key": "k"}, [{"key": "k", "type": "HISTOGRAM", "value": 1}],
    [{"key": "k", "type": "GAUGE", "value": "1"}], [{"type": "GAUGE", "value": 1}],
])
def test_bad_metrics_are_a_500(metrics: Any) -> None:
    class M:
        def metrics(self) -> Any:
            return metrics

    with pytest.raises(PredictError) as caught:
        ServedModel(M(), "m").metrics()
    assert caught.value.status == 500
    assert caught.value.body["status"]["reason"] == "MICROSERVICE_BAD_METRIC"


def test_tags_must_be_a_dict() -> None:
    class T:
        def tags(self) -> Any:
            return ["x"]

    with pytest.raises(PredictError):
        ServedModel(T(), "m").tags()


def test_exception_translation() -> None:
    class SeldonMicroserviceException(Exception):
        status_code = 422
        message = "custom"

        def to_dict(self) -> dict[str, Any]:
            return {"status": {"code": -1, "info": "custom", "reason": "MINE", "status": 1}}

    custom = as_predict_error(SeldonMicroserviceException())
    assert custom.status == 422 and custom.body["status"]["reason"] == "MINE"
    generic = as_predict_error(KeyError("k"))
    assert generic.status == 500 and generic.body["status"]["info"] == "'k'"
    assert as_predict_error(RuntimeError()).body["status"]["info"] == "RuntimeError"
