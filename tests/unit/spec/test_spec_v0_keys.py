"""Polyaxon v0.4/0.5 keys: labels, inputs/outputs, build and environment variants, policies."""

from __future__ import annotations

import pytest

from jupyter_mlpipe.errors import SpecError
from jupyter_mlpipe.spec import parse_spec

HEAD = "version: 1\nkind: experiment\n"
RUN = "run:\n  cmd: python run.py\n"


def located(text: str, rule: str, fix: str = "") -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_spec(text, file="v0.yml")
    assert info.value.location.startswith("v0.yml:"), info.value
    assert rule in str(info.value)
    assert fix in info.value.fix
    return info.value


def test_labels_are_exposed_as_metadata() -> None:
    spec = parse_spec(
        HEAD + "name: mnist\ndescription: a run\nframework: pytorch\nbackend: native\n"
        "tags: [a, b]\n" + RUN
    )
    assert spec.metadata == {
        "name": "mnist",
        "description": "a run",
        "framework": "pytorch",
        "backend": "native",
        "tags": ["a", "b"],
    }
    assert spec.to_dict()["metadata"] == spec.metadata


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("tags: [a, 1]\n", "'tags' must be a list of names"),
        ("framework: [x]\n", "'framework' must be a non-empty string"),
        ("name: ''\n", "'name' must be a non-empty string"),
    ],
)
def test_labels_are_checked(text: str, rule: str) -> None:
    located(HEAD + text + RUN, rule)


@pytest.mark.parametrize("kind", ["pipeline", "build", "job", "notebook", "tensorboard"])
def test_other_kinds_name_the_alternative(kind: str) -> None:
    error = located(f"version: 1\nkind: {kind}\n" + RUN, f"`kind: {kind}` cannot run here")
    assert error.location == "v0.yml:2:7"


@pytest.mark.parametrize("key", ["replicas", "tensorflow", "horovod", "pytorch", "mxnet", "mpi"])
def test_distributed_environments_are_refused_with_the_alternative(key: str) -> None:
    located(
        HEAD + f"environment:\n  {key}: {{n_workers: 2}}\n" + RUN,
        "distributed replicas cannot run here",
        "torchrun",
    )


def test_data_and_artifact_refs() -> None:
    spec = parse_spec(
        HEAD + "environment:\n  data_refs: [d1, {name: d2, paths: [a]}]\n"
        "  artifact_refs: [out]\n" + RUN
    )
    assert spec.environment["data_refs"] == ["d1", {"name": "d2", "paths": ["a"]}]
    located(
        HEAD + "environment:\n  data_refs: d1\n" + RUN, "'environment.data_refs' must be a list"
    )
    located(HEAD + "environment:\n  artifact_refs: [1]\n" + RUN, "takes names or {name, paths}")


def test_build_variants() -> None:
    spec = parse_spec(HEAD + "build: {dockerfile: Dockerfile, context: .}\n" + RUN)
    assert spec.build is not None and spec.build.image is None
    assert spec.build.dockerfile == "Dockerfile" and spec.build.context == "."
    spec = parse_spec(HEAD + "build: {ref: 7}\n" + RUN)
    assert spec.build is not None and spec.build.ref == "7"
    located(
        HEAD + "build: {build_steps: [x]}\n" + RUN, "'build' needs 'image', 'dockerfile' or 'ref'"
    )


@pytest.mark.parametrize(
    ("inputs", "rule"),
    [
        ("[{name: f, type: str, is_flag: true}]", "its type must be bool"),
        ("[{name: f, type: int, default: 1}]", "it must be optional"),
        ("[{name: f, type: int, default: x, is_optional: true}]", "must be of type int"),
        (
            "[{name: f, type: int, options: [1, 2], default: 3, is_optional: true}]",
            "one of its options",
        ),
        ("[{type: int}]", "needs 'name'"),
        ("{name: f}", "'inputs' must be a list"),
    ],
)
def test_inputs_are_checked(inputs: str, rule: str) -> None:
    located(HEAD + f"inputs: {inputs}\n" + RUN, rule)


def test_a_false_flag_leaves_no_empty_argument() -> None:
    base = HEAD + "inputs: [{name: debug, type: bool, is_flag: true}]\n"
    cmd = "run:\n  cmd: python run.py {{ debug }} --x=1\n"
    off = parse_spec(base + "params: {debug: false}\n" + cmd)
    assert off.render_command({}) == ["python", "run.py", "--x=1"]
    on = parse_spec(base + "params: {debug: true}\n" + cmd)
    assert on.render_command({}) == ["python", "run.py", "--debug", "--x=1"]


def test_every_policy_stops_scheduling_as_in_polyaxon_04() -> None:
    from jupyter_mlpipe.search import early_stop_reached

    spec = parse_spec(
        "version: 1\nkind: group\nhptuning:\n  early_stopping:\n"
        "    - {metric: loss, value: 0.1, optimization: minimize, policy: experiment}\n"
        "  matrix:\n    a: {values: [1, 2]}\n" + RUN
    )
    (policy,) = spec.hptuning.early_stopping
    assert policy.policy == "experiment"
    assert early_stop_reached(spec.hptuning.early_stopping, {"loss": 0.05}) == policy


def test_pvalues_below_one_are_normalised_with_a_warning() -> None:
    spec = parse_spec(
        "version: 1\nkind: group\nhptuning:\n  random_search: {n_experiments: 1}\n"
        "  matrix:\n    a: {pvalues: [[x, 0.2], [y, 0.6]]}\n" + RUN
    )
    assert spec.matrix["a"].args["p"] == pytest.approx([0.25, 0.75])
    assert any("sum to 0.8" in w and "divided" in w for w in spec.warnings)
