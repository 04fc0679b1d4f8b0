"""Polyaxon's own polyaxonfile fixtures (0.4.4 and 0.5.6) and the v0 files of polyaxon-examples:
each runs as in Polyaxon, or is a located error naming the alternative. Cases ported from
polyaxon-schemas' ``test_polyaxonfile.py`` and ``test_polyaxonfile_typing.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jupyter_mlpipe.errors import SpecError
from jupyter_mlpipe.search import make_search
from jupyter_mlpipe.spec import load_spec
from jupyter_mlpipe.spec.templating import STEP_RUNNER

FIXTURES = Path(__file__).parent / "fixtures"
ALL = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".yml", ".yaml", ".json"))

# What cannot run here, by the rule's words and the alternative named in the fix.
DSL = ("built-in model language", "training script")
DISTRIBUTED = ("distributed replicas cannot run here", "torchrun")
NOTEBOOK = ("`kind: notebook` cannot run here", "JupyterLab")
TENSORBOARD = ("`kind: tensorboard` cannot run here", "tensorboard --logdir")
JOB = ("`kind: job` cannot run here", "kind: experiment")
BUILD = ("`kind: build` cannot run here", "mlpipe build")
IF_CMD = ("`if: {cond, do, else_do}`) is not supported", "{% if")
ERRORS = {
    "missing_kind": ("a spec needs 'kind'", "kind: group"),
    "missing_version": ("a spec needs 'version'", "version: 1"),
    "non_supported_file": ("only `version: 1` polyaxonfiles are supported", "version: 1"),
    "simple_json_file": ("a spec needs 'version'", "version: 1"),
    "typing_required_inputs": ("input 'loss' is required", "under 'params'"),
    "typing_required_outputs": ("undefined name 'loss'", "declare it"),
    "typing_run_with_refs": ("refers to another run", "pass the value itself"),
    "typing_untyped_params": ("not declared in 'inputs' or 'outputs'", "to 'inputs'"),
    "run_exec_matrix_file": IF_CMD,
    "run_exec_matrix_sampling_file": IF_CMD,
    # polyaxon-examples files that Polyaxon refused too (a typo; four arguments to range)
    "cifar10-ignite__polyaxonfile_first": ("got 'request'", "did you mean 'requests'"),
    "cifar10-ignite__polyaxonfile_second": ("got 'request'", "did you mean 'requests'"),
    "cifar10-ignite__polyaxonfile_third": ("got 'request'", "did you mean 'requests'"),
    "cifar10-ignite__polyaxonfile_train": ("got 'request'", "did you mean 'requests'"),
    "cifar10-ignite__polyaxonfile_train_2": ("got 'request'", "did you mean 'requests'"),
    "random_forest__polyaxonfile_hyperparams": ("takes 2 to 3 arguments", "range: start:stop"),
    "mnist__declaration": ("a spec needs 'kind'", "kind: group"),
}


def expected_error(path: Path) -> tuple[str, str] | None:
    name = path.stem
    text = path.read_text()
    for key, expectation in ERRORS.items():
        if name.endswith(key):
            return expectation
    for kind, expectation in (
        ("notebook", NOTEBOOK),
        ("tensorboard", TENSORBOARD),
        ("job", JOB),
        ("build", BUILD),
    ):
        if f"\nkind: {kind}" in text:
            return expectation
    if "\nmodel:" in text:
        return DSL
    if "replicas:" in text or "\n  mxnet:" in text:
        return DISTRIBUTED
    return None


@pytest.mark.parametrize("path", ALL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_runs_or_is_a_located_error_naming_the_alternative(path: Path) -> None:
    error = expected_error(path)
    if error is None:
        spec = load_spec(path)
        search = make_search(spec, seed=0)
        while (suggestion := search.ask()) is not None:
            argv = spec.render_command(spec.params_for(suggestion.params))
            assert argv and all(isinstance(a, str) for a in argv)
            search.tell(suggestion.number, None)
        return
    with pytest.raises(SpecError) as info:
        load_spec(path)
    rule, fix = error
    assert rule in str(info.value)
    assert fix in info.value.fix
    assert info.value.location.startswith(f"{path}:")
    assert info.value.location.count(":") == 2  # file:line:col


def fixture(name: str) -> Path:
    return FIXTURES / name


def test_matrix_file_passes() -> None:
    spec = load_spec(fixture("v05/plain_matrix_file.yml"))
    assert spec.kind == "group" and spec.algorithm == "grid"
    assert spec.matrix["lr"].to_dict() == {"linspace": {"start": 0.01, "stop": 0.1, "num": 5}}
    assert spec.matrix["loss"].to_dict() == {"values": ["MeanSquaredError", "AbsoluteDifference"]}
    assert spec.hptuning.n_experiments == 10 and spec.hptuning.concurrency == 2
    assert spec.hptuning.early_stopping == ()
    assert spec.build is None
    assert spec.environment["data_refs"] == ["data1", "data2"]
    assert spec.environment["artifact_refs"] == ["outputs1"]
    params = spec.params_for(make_search(spec).ask().params)
    assert spec.render_command(params) == [
        "train",
        f"--lr={params['lr']}",
        f"--loss={params['loss']}",
    ]


def test_matrix_file_passes_int_float_types() -> None:
    spec = load_spec(fixture("v05/plain_matrix_file_with_int_float_types.yml"))
    assert spec.matrix["param1"].to_dict() == {"values": [1, 2]}
    assert spec.matrix["param2"].to_dict() == {"values": [3.3, 4.4]}
    assert spec.hptuning.n_experiments == 4
    assert spec.render_command({"param1": 1, "param2": 3.3}) == [
        "train",
        "--param1=1",
        "--param2=3.3",
    ]
    typed = load_spec(fixture("v05/typing_matrix_file_with_int_float_types.yml"))
    assert typed.render_command({"param1": 2, "param2": 4.4})[-1] == "--param3=23423"


def test_matrix_early_stopping_file_passes() -> None:
    spec = load_spec(fixture("v05/plain_matrix_file_early_stopping.yml"))
    assert spec.algorithm == "random" and spec.hptuning.n_experiments == 5
    (policy,) = spec.hptuning.early_stopping
    assert (policy.metric, policy.value, policy.optimization, policy.policy) == (
        "loss",
        0.01,
        "maximize",
        "all",
    )


def test_matrix_large_n_experiments_is_capped_with_a_warning() -> None:
    spec = load_spec(fixture("v05/plain_matrix_file_ignored_n_experiments.yml"))
    assert spec.algorithm == "random" and spec.hptuning.n_experiments == 10
    assert any("300" in w and "running 10" in w for w in spec.warnings)


def test_one_matrix_file_with_a_build_ref() -> None:
    spec = load_spec(fixture("v05/plain_one_matrix_file.yml"))
    assert spec.build is not None and spec.build.ref == "1" and spec.build.image is None
    assert spec.hptuning.n_experiments == 2
    assert spec.declarations == {"lr": 0.1}
    assert spec.render_command({"loss": "MeanSquaredError"}) == ["train", "--loss=MeanSquaredError"]


def test_run_simple_file_with_tags() -> None:
    spec = load_spec(fixture("v05/plain_run_cmd_simple_file.yml"))
    assert spec.kind == "experiment" and sorted(spec.metadata["tags"]) == ["bar", "foo"]
    assert spec.build is not None and spec.build.image == "my_image"
    assert spec.build.env_vars == (("KEY1", "en_US.UTF-8"), ("KEY2", "2"))
    assert spec.render_command({}) == ["video_prediction_train", "--num_masks=2"]


def test_run_simple_file_with_cmds_runs_them_in_order() -> None:
    spec = load_spec(fixture("v05/plain_run_cmd_simple_file_list_cmds.yml"))
    assert spec.run.commands == (
        "video_prediction_train --model=DNA --num_masks=1",
        "video_prediction_train --model=DNA --num_masks=10",
    )
    argv = spec.render_command({})
    assert tuple(argv[:4]) == STEP_RUNNER
    assert [s["argv"] for s in json.loads(argv[4])] == [
        ["video_prediction_train", "--model=DNA", "--num_masks=1"],
        ["video_prediction_train", "--model=DNA", "--num_masks=10"],
    ]


def test_run_simple_file_with_build_env() -> None:
    spec = load_spec(fixture("v05/plain_run_cmd_with_build_env.yml"))
    assert spec.build is not None
    assert spec.build.environment["node_selector"] == {"polyaxon.com": "node_for_build_jobs"}
    assert isinstance(spec.build.environment["affinity"], dict)
    assert spec.environment == {}


def test_run_matrix_sampling_file() -> None:
    spec = load_spec(fixture("v05/plain_run_cmd_matrix_sampling_file.yml"))
    assert spec.algorithm == "random" and spec.hptuning.n_experiments == 5
    assert spec.logging.level == "INFO"
    activation = spec.matrix["activation"]
    assert activation.args["values"] == ["relu", "sigmoid"]
    assert activation.args["p"] == pytest.approx([0.1 / 0.9, 0.8 / 0.9])
    assert any("sum to 0.9" in w for w in spec.warnings)
    search = make_search(spec, seed=1)
    params = [s.params for s in iter(search.ask, None)]
    assert len(params) == 5
    assert all(
        p["model"] in ("CDNA", "DNA", "STP") and p["activation"] in ("relu", "sigmoid")
        for p in params
    )


def test_specification_with_quotes() -> None:
    spec = load_spec(fixture("v05/plain_polyaxonfile_with_quotes.yaml"))
    assert spec.build is not None and spec.build.image == "continuumio/miniconda3"
    assert spec.render_command({}) == ["python", "-c", "print('Tweet tweet')"]


def test_simple_file_framework_labels_the_run() -> None:
    spec = load_spec(fixture("v04/simple_file_framework.yml"))
    assert spec.metadata == {"framework": "tensorflow"}
    assert spec.build is not None and spec.build.dockerfile == "Dockerfile"
    assert spec.build.image is None
    assert spec.environment["resources"]["gpu"] == {"requests": 1, "limits": 1}


def test_typed_inputs_give_defaults_and_check_params() -> None:
    spec = load_spec(fixture("v05/typing_run_cmd_simple_file.yml"))
    assert spec.declarations == {"num_masks": 2, "loss": "MeanSquaredError"}
    assert [io.name for io in spec.inputs] == ["loss", "num_masks"]
    assert spec.render_command({}) == [
        "video_prediction_train",
        "--num_masks=2",
        "--loss=MeanSquaredError",
    ]


def test_a_matrix_may_name_an_input_default() -> None:
    spec = load_spec(fixture("v05/typing_one_matrix_file.yml"))
    assert spec.matrix["loss"].choices() == ["MeanSquaredError", "AbsoluteDifference"]


def test_required_inputs_with_params_and_a_flag() -> None:
    text = fixture("v05/typing_required_inputs.yml").read_text()
    for flag, tail in ((False, []), (True, ["--flag"])):
        spec = parse_with_params(text, {"loss": "bar", "flag": flag})
        assert spec.render_command({}) == ["video_prediction_train", "--loss=bar", *tail]
    with pytest.raises(SpecError, match="must be of type bool"):
        parse_with_params(text, {"loss": "bar", "flag": "yes"})
    with pytest.raises(SpecError, match="not declared in 'inputs'"):
        parse_with_params(text, {"loss": "bar", "flag": True, "value": 1})


def parse_with_params(text: str, params: dict):
    from jupyter_mlpipe.spec import parse_spec

    block = "params:\n" + "".join(f"  {k}: {json.dumps(v)}\n" for k, v in params.items())
    return parse_spec(text.replace("\nbuild:", f"\n{block}\nbuild:", 1), file="typed.yml")
