"""Sections, merging, kinds and the algorithm rules of a parsed spec."""

from __future__ import annotations

import json
import re

import pytest

from jupyter_mlpipe.errors import SpecError
from jupyter_mlpipe.spec import parse_spec

ORIGINAL = """\
---
version: 1
kind: group
hptuning:
  concurrency: 5
  random_search:
    n_experiments: 10
  matrix:
    lr:
      linspace: 0.001:0.1:5
    momentum:
      uniform: 0.5:0.6
declarations:
  batch_size_train: 128
  batch_size_test: 1000
  epochs: 5
  train_steps: 400
build:
  image: pytorch/pytorch:latest
  build_steps:
    - pip install --no-cache-dir -U polyaxon-helper
  env_vars:
    - [LC_ALL, C.UTF-8]
environment:
  resources:
    cpu: {requests: 1, limits: 2}
  node_selector: {pool: gpu}
logging:
  level: debug
run:
  cmd: python run.py  --batch-size={{ batch_size_train }} \\
                       --test-batch-size={{ batch_size_test }} \\
                       --epochs={{ epochs }} \\
                       --lr={{ lr }} \\
                       --momentum={{ momentum }}
"""


def test_the_original_sweep_file():
    spec = parse_spec(ORIGINAL, file="polyaxonfile_hyperparams.yml")
    assert spec.kind == "group" and spec.version == 1
    assert spec.hptuning.algorithm == "random" and spec.hptuning.n_experiments == 10
    assert spec.hptuning.concurrency == 5 and spec.hptuning.seed is None
    assert list(spec.matrix) == ["lr", "momentum"]
    assert spec.declarations == {
        "batch_size_train": 128,
        "batch_size_test": 1000,
        "epochs": 5,
        "train_steps": 400,
    }
    assert spec.build is not None and spec.build.image == "pytorch/pytorch:latest"
    assert spec.build.build_steps == ("pip install --no-cache-dir -U polyaxon-helper",)
    assert spec.build.env_vars == (("LC_ALL", "C.UTF-8"),)
    assert spec.environment == {
        "resources": {"cpu": {"requests": 1, "limits": 2}},
        "node_selector": {"pool": "gpu"},
    }
    assert spec.logging.level == "DEBUG"
    assert spec.warnings == ()
    assert spec.render_command({"lr": 0.02575, "momentum": 0.55}) == [
        "python",
        "run.py",
        "--batch-size=128",
        "--test-batch-size=1000",
        "--epochs=5",
        "--lr=0.02575",
        "--momentum=0.55",
    ]
    json.dumps(spec.to_dict())  # JSON-ready
    assert spec.to_dict()["matrix"]["lr"] == {"linspace": {"start": 0.001, "stop": 0.1, "num": 5}}


def test_declarations_and_params_merge_and_declarations_win_over_matrix():
    spec = parse_spec("""\
version: 1
kind: group
declarations: {a: 1, lr: 0.5}
params: {b: [1, 2]}
hptuning:
  matrix:
    lr: {values: [0.1, 0.2]}
run:
  cmd: python x.py
""")
    assert spec.declarations == {"a": 1, "lr": 0.5, "b": [1, 2]}
    assert spec.params_for({"lr": 0.1}) == {"lr": 0.5, "a": 1, "b": [1, 2]}
    assert any("declaration 'lr'" in w for w in spec.warnings)


def test_experiment_kind_is_one_grid_point_with_declarations():
    spec = parse_spec(
        "version: 1\nkind: experiment\ndeclarations: {lr: 0.1}\n"
        "run:\n  cmd: python x.py --lr={{ lr }}\n"
    )
    assert spec.matrix == {} and spec.hptuning.algorithm == "grid"
    assert spec.hptuning.n_experiments == 1
    assert spec.render_command({}) == ["python", "x.py", "--lr=0.1"]


def test_default_algorithm_is_grid_with_all_combinations(group):
    spec = group("    a: {values: [1, 2, 3]}\n    b: {range: 0:2}\n")
    assert spec.hptuning.algorithm == "grid" and spec.hptuning.n_experiments == 6
    assert spec.hptuning.concurrency == 1


def test_grid_first_n_and_a_larger_n_warns(group):
    spec = group("    a: {values: [1, 2, 3]}\n", hptuning="  grid_search: {n_experiments: 2}\n")
    assert spec.hptuning.n_experiments == 2 and spec.warnings == ()
    spec = group("    a: {values: [1, 2, 3]}\n", hptuning="  grid_search: {n_experiments: 5}\n")
    assert spec.hptuning.n_experiments == 3
    assert spec.warnings == (
        "grid_search.n_experiments is 5 but the grid holds 3 combinations; running 3",
    )


def test_huge_grid_needs_n_experiments(group):
    matrix = "".join(f"    p{i}: {{range: 0:10}}\n" for i in range(6))
    with pytest.raises(SpecError, match="at most 100000 experiments"):
        group(matrix)
    assert group(matrix, hptuning="  grid_search: {n_experiments: 7}\n").hptuning.n_experiments == 7


def test_random_search_is_capped_with_a_visible_warning(group):
    spec = group(
        "    a: {values: [1, 2]}\n    b: {linspace: 0:1:3}\n",
        hptuning="  random_search: {n_experiments: 10}\n",
    )
    assert spec.hptuning.n_experiments == 6
    assert spec.warnings == (
        "random_search.n_experiments is 10 but the matrix holds only 6 "
        "distinct combinations; running 6",
    )


def test_random_search_with_a_continuous_param_is_not_capped(group):
    spec = group(
        "    a: {values: [1, 2]}\n    b: {uniform: 0:1}\n",
        hptuning="  random_search: {n_experiments: 10}\n",
    )
    assert spec.hptuning.n_experiments == 10 and spec.warnings == ()


def test_seed_zero_is_kept(group):
    assert group("    a: {values: [1]}\n", hptuning="  seed: 0\n").hptuning.seed == 0


def test_hyperband_and_bo_records(group):
    spec = group(
        "    lr: {uniform: 0:1}\n",
        hptuning="""\
  hyperband:
    max_iter: 81
    eta: 3
    resource: {name: epochs, type: float}
    metric: {name: loss, optimization: minimize}
    resume: true
""",
    )
    band = spec.hptuning.hyperband
    assert band is not None and band.total == 206 and band.brackets == 5
    assert spec.hptuning.n_experiments == 206 and band.resume is True
    assert band.mode == "brackets"
    assert band.rungs(4) == [(81, 1.0), (27, 3.0), (9, 9.0), (3, 27.0), (1, 81.0)]
    assert band.rungs(0) == [(5, 81.0)]
    assert band.resource.cast(81) == 81.0 and isinstance(band.resource.cast(81), float)
    assert spec.hptuning.metric is band.metric and band.metric.optimization == "minimize"
    spec = group(
        "    lr: {uniform: 0:1}\n",
        hptuning="""\
  bo:
    n_iterations: 10
    n_initial_trials: 4
    metric: {name: accuracy}
    utility_function: {acquisition_function: ucb, kappa: 1.2}
""",
    )
    assert spec.hptuning.bo is not None and spec.hptuning.n_experiments == 14
    assert spec.hptuning.bo.metric.optimization == "maximize"
    assert spec.hptuning.bo.utility_function == {"acquisition_function": "ucb", "kappa": 1.2}
    assert any("utility_function is kept but not used" in w for w in spec.warnings)


@pytest.mark.parametrize(
    "max_iter, eta, brackets, pruner",
    [(1, 3, 1, 1), (9, 3, 22, 17), (27, 3, 69, 49), (81, 3, 206, 143), (16, 2, 72, 43)],
)
def test_hyperband_total_formula(group, max_iter, eta, brackets, pruner):
    for mode, total in (("brackets", brackets), ("pruner", pruner)):
        spec = group(
            "    lr: {uniform: 0:1}\n",
            hptuning=f"""\
  hyperband: {{max_iter: {max_iter}, eta: {eta}, resource: {{name: r}}, metric: {{name: m}},
              mode: {mode}}}
""",
        )
        assert spec.hptuning.n_experiments == total


def test_early_stopping_policies(group):
    spec = group(
        "    a: {values: [1]}\n",
        hptuning="""\
  early_stopping:
    - {metric: accuracy, value: 0.99, optimization: maximize}
    - {metric: loss, value: 1e-3, optimization: minimize}
""",
    )
    first, second = spec.hptuning.early_stopping
    assert first.reached(0.99) and not first.reached(0.98)
    assert second.value == 0.001 and second.reached(0.0005) and not second.reached(0.01)


def test_yaml_anchors_merge_keys_and_dates():
    spec = parse_spec("""\
version: 1
kind: experiment
declarations:
  base: &base {a: 1, b: 2}
  derived:
    <<: *base
    b: 3
  day: 2020-01-02
run:
  cmd: python x.py
""")
    assert spec.declarations["derived"] == {"a": 1, "b": 3}
    assert spec.declarations["day"] == "2020-01-02"  # kept as text: params stay JSON
    json.dumps(spec.to_dict())


def test_a_mapping_is_accepted_and_reserialised():
    spec = parse_spec({"version": 1, "kind": "experiment", "run": {"cmd": "python x.py"}})
    assert spec.render_command({}) == ["python", "x.py"]


def test_build_options_env_var_forms_and_logging_formatter():
    spec = parse_spec("""\
version: 1
kind: experiment
build:
  image: python:3.11-slim
  env_vars: {DEBUG: true, WORKERS: 2, NAME: x}
  dockerfile: Dockerfile.train
  context: ./src
  ref: main
  nocache: true
environment:
  resources:
    gpu:
logging: {level: warning, formatter: json}
run:
  cmd: python x.py
""")
    build = spec.build
    assert build is not None
    assert build.env_vars == (("DEBUG", "true"), ("WORKERS", "2"), ("NAME", "x"))
    assert (build.dockerfile, build.context, build.ref, build.nocache) == (
        "Dockerfile.train",
        "./src",
        "main",
        True,
    )
    assert spec.logging.level == "WARNING" and spec.logging.formatter == "json"
    assert spec.environment == {"resources": {"gpu": None}}


@pytest.mark.parametrize(
    "build, rule",
    [
        ("  image: x\n  env_vars: [[A]]\n", "takes [NAME, value] pairs"),
        ("  image: x\n  env_vars: A\n", "takes [NAME, value] pairs"),
        ("  image: x\n  env_vars: {A: [1]}\n", "needs a scalar value"),
        ("  image: x\n  nocache: maybe\n", "must be true or false"),
        ("  image: x\n  build_steps: pip install x\n", "must be a list of strings"),
        ("  image: ''\n", "must be a non-empty string"),
    ],
)
def test_build_rules(build, rule):
    with pytest.raises(SpecError, match=re.escape(rule)):
        parse_spec(f"version: 1\nkind: experiment\nbuild:\n{build}run:\n  cmd: x\n")
