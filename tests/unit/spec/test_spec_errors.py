"""Error messages: ``file:line:col: rule, got value — fix``, at the right place, at every level."""

from __future__ import annotations

import re

import pytest

from jupyter_mlpipe.errors import SpecError
from jupyter_mlpipe.spec import load_spec, parse_spec

SHAPE = re.compile(r"^sweep\.yml:\d+:\d+: .+ — .+$", re.DOTALL)


def error(text: str) -> SpecError:
    with pytest.raises(SpecError) as info:
        parse_spec(text, file="sweep.yml")
    assert SHAPE.match(str(info.value)), str(info.value)
    return info.value


GROUP = """\
version: 1
kind: group
hptuning:
  concurrency: 2
  random_search:
    n_experiments: 4
  matrix:
    lr:
      linspace: 0.001:0.1:5
run:
  cmd: python train.py --lr={{ lr }}
"""


def with_line(line_no: int, new: str) -> str:
    lines = GROUP.splitlines()
    lines[line_no - 1] = new
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "line_no, new, pos, rule, fix",
    [
        (
            9,
            "      linspac: 0.001:0.1:5",
            (9, 7),
            "unknown matrix option for 'lr'",
            "did you mean 'linspace'?",
        ),
        (
            9,
            "      linspace: 0.1:0.001:5",
            (9, 17),
            "'linspace' of matrix param 'lr' needs start < stop",
            "swap the bounds",
        ),
        (
            6,
            "    n_experimets: 4",
            (6, 5),
            "unknown key in 'random_search'",
            "did you mean 'n_experiments'?",
        ),
        (4, "  concurency: 2", (4, 3), "unknown key in 'hptuning'", "did you mean 'concurrency'?"),
        (10, "rum:", (10, 1), "unknown key in the top level", "did you mean 'run'?"),
        (11, "  cdm: python train.py", (11, 3), "unknown key in 'run'", "did you mean 'cmd'?"),
        (
            4,
            "  concurrency: 0",
            (4, 16),
            "'hptuning.concurrency' must be at least 1",
            "use 1 or more",
        ),
        (2, "kind: grup", (2, 7), "'kind' must be group or experiment", "did you mean 'group'?"),
        (
            1,
            "version: 2",
            (1, 10),
            "only `version: 1` polyaxonfiles are supported",
            "write `version: 1`",
        ),
        (
            6,
            "    n_experiments: -1",
            (6, 20),
            "'random_search.n_experiments' must be at least 1",
            "use 1 or more",
        ),
        (
            11,
            "  cmd: python train.py --lr={{ lrr }}",
            (11, 8),
            "undefined name 'lrr'",
            "did you mean 'lr'?",
        ),
    ],
)
def test_rule_position_and_fix(line_no, new, pos, rule, fix):
    err = error(with_line(line_no, new))
    assert (err.line, err.col) == pos, str(err)
    assert rule in err.rule
    assert fix in err.fix


def test_message_shape_is_location_rule_value_fix():
    err = error(with_line(9, "      linspace: 0.1:0.001:5"))
    assert str(err) == (
        "sweep.yml:9:17: 'linspace' of matrix param 'lr' needs start < stop, "
        "got 0.1:0.001:5 — swap the bounds"
    )
    assert err.value == "0.1:0.001:5"


@pytest.mark.parametrize(
    "extra, rule, fix",
    [
        ("build:\n  imag: python\n", "unknown key in 'build'", "did you mean 'image'?"),
        (
            "environment:\n  node_selectr: {a: b}\n",
            "unknown key in 'environment'",
            "did you mean 'node_selector'?",
        ),
        (
            "environment:\n  resources:\n    cpu: {request: 1}\n",
            "unknown key in 'environment.resources.cpu'",
            "did you mean 'requests'?",
        ),
        ("logging:\n  levl: INFO\n", "unknown key in 'logging'", "did you mean 'level'?"),
        ("logging:\n  level: INFOO\n", "'logging.level' must be one of", "did you mean 'INFO'?"),
        ("declaration:\n  a: 1\n", "unknown key in the top level", "did you mean 'declarations'?"),
    ],
)
def test_did_you_mean_in_other_sections(extra, rule, fix):
    err = error(GROUP + extra)
    assert rule in err.rule and fix in err.fix
    assert (
        err.line == GROUP.count("\n") + 2
        or err.line == GROUP.count("\n") + 1
        or err.line == GROUP.count("\n") + 3
    )


ALGO = """\
version: 1
kind: group
hptuning:
  {algo}
  matrix:
    lr:
      uniform: 0:1
run:
  cmd: python train.py
"""


@pytest.mark.parametrize(
    "algo, rule, fix",
    [
        (
            "hyperband: {max_iter: 9, eta: 3, resource: {name: epochs, typ: int}, "
            "metric: {name: loss}}",
            "unknown key in 'hyperband.resource'",
            "did you mean 'type'?",
        ),
        (
            "hyperband: {max_iter: 9, eta: 3, resource: {name: e}, metric: {name: l, "
            "optimization: minimise}}",
            "'hyperband.metric.optimization' must be one of",
            "did you mean 'minimize'?",
        ),
        (
            "hyperband: {max_iter: 9, eta: 1, resource: {name: e}, metric: {name: l}}",
            "'hyperband.eta' must be from 1.01 to 1000",
            "use eta: 3 (the usual)",
        ),
        (
            "bo: {n_iterations: 3, n_initial_trials: 2, metrc: {name: l}}",
            "unknown key in 'bo'",
            "did you mean 'metric'?",
        ),
        ("bo: {n_iterations: 3, n_initial_trials: 2}", "'bo' needs 'metric'", "metric"),
        ("random_search: {}", "'random_search' needs 'n_experiments'", "n_experiments: 10"),
        ("random_search:", "'random_search' needs 'n_experiments'", "n_experiments: 10"),
        (
            "grid_search: {n_experiments: 2}",
            "grid search cannot enumerate 'uniform' (matrix param 'lr')",
            "random_search",
        ),
        (
            "randm_search: {n_experiments: 2}",
            "unknown key in 'hptuning'",
            "did you mean 'random_search'?",
        ),
        ("seed: -1", "'hptuning.seed' must be at least 0", "use 0 or more"),
        ("seed: 1.5", "'hptuning.seed' must be an integer", "whole number"),
        (
            "early_stopping: [{metric: acc, value: 0.9, optimisation: maximize}]",
            "unknown key in 'early_stopping' policy",
            "did you mean 'optimization'?",
        ),
    ],
)
def test_algorithm_rules(algo, rule, fix):
    err = error(ALGO.format(algo=algo))
    assert rule in err.rule, str(err)
    assert fix in err.fix, str(err)


def test_two_algorithms_are_refused_at_the_second():
    text = ALGO.format(algo="random_search: {n_experiments: 2}\n  bo: {n_iterations: 1}")
    err = error(text)
    assert "only one algorithm" in err.rule and (err.line, err.col) == (5, 3)


def test_grid_error_names_param_and_option_at_the_param():
    err = error(ALGO.format(algo="grid_search:"))
    assert "'uniform'" in err.rule and "'lr'" in err.rule
    assert err.line == 7


@pytest.mark.parametrize(
    "option, args, rule",
    [
        ("range", "0:10:0", "step > 0"),
        ("range", "0:1e9:1e-3", "at most 100000 points"),
        ("linspace", "0:1:0", "num to be an integer"),
        ("linspace", "0:1:2.5", "num to be an integer"),
        ("logspace", "0:2:3:1", "base > 0 and base != 1"),
        ("logspace", "0:400:3", "base**start and base**stop to fit a float"),
        ("geomspace", "-1:10:3", "non-zero start and stop of the same sign"),
        ("uniform", "1:1", "low < high"),
        ("quniform", "0:1:-1", "q > 0"),
        ("normal", "0:0", "scale > 0"),
        ("loguniform", "1:800", "high <= 700"),
        ("linspace", "0:1", "takes 3 arguments"),
        ("uniform", "a:b", "must be a number"),
        ("uniform", "1:2:3", "takes 2 arguments"),
        ("range", "{start: 0, stop: 3, stride: 1}", "unknown key"),
        ("linspace", "{start: 0, stop: 3}", "needs 'num'"),
        ("uniform", "0.5", "takes 'a:b[:c]', a list or a mapping"),
        ("uniform", "nan:1", "must be a number"),
        ("uniform", "0:1e400", "finite number"),
    ],
)
def test_option_argument_rules(option, args, rule):
    text = ALGO.format(algo="random_search: {n_experiments: 2}").replace(
        "uniform: 0:1", f"{option}: {args}"
    )
    err = error(text)
    assert rule in err.rule, str(err)
    assert (err.line, err.col)[0] == 7


def test_loguniform_with_values_as_bounds_suggests_exponents():
    text = ALGO.format(algo="random_search: {n_experiments: 2}").replace(
        "uniform: 0:1", "loguniform: 0.001:1000"
    )
    err = error(text)
    assert err.fix == "did you mean loguniform: -6.908:6.908?"


@pytest.mark.parametrize(
    "matrix, rule",
    [
        ("lr: {}", "needs exactly one option"),
        ("lr: 3", "needs exactly one option"),
        ("lr: {uniform: 0:1, normal: 0:1}", "more than one option"),
        ("lr: {pvalues: [[a, 0.5], [b, 0.6]]}", "must sum to at most 1"),
        ("lr: {pvalues: [[a, 0.5], [a, 0.5]]}", "lists a value twice"),
        ("lr: {pvalues: [[a, 1.5]]}", "must be in (0, 1]"),
        ("lr: {pvalues: [a, b]}", "takes [value, probability] pairs"),
        ("lr: {values: []}", "must not be empty"),
        ("lr: {values: 3}", "must be a list"),
    ],
)
def test_matrix_shape_rules(matrix, rule):
    text = ALGO.format(algo="random_search: {n_experiments: 2}").replace(
        "lr:\n      uniform: 0:1", matrix
    )
    err = error(text)
    assert rule in err.rule, str(err)


@pytest.mark.parametrize(
    "text, rule, pos",
    [
        ("version: 1\nkind: group\nrun:\n  cmd: x\n", "a group needs 'hptuning'", (1, 1)),
        (
            "version: 1\nkind: experiment\nhptuning: {}\nrun:\n  cmd: x\n",
            "'hptuning' only applies to `kind: group`",
            (3, 1),
        ),
        ("kind: group\n", "a spec needs 'version'", (1, 1)),
        ("version: 1\n", "a spec needs 'kind'", (1, 1)),
        ("version: 1\nkind: experiment\n", "a spec needs 'run'", (1, 1)),
        (
            "version: 1\nkind: experiment\nrun:\n  cmd: [a, 1]\n",
            "must hold non-empty strings",
            (4, 12),
        ),
        ("version: 1\nkind: experiment\nrun:\n  cmd: 'python \"x'\n", "cannot be split", (4, 8)),
        ("version: 1\nkind: experiment\nrun:\n  cmd: python {{ x\n", "does not compile", (4, 8)),
        ("version: 1\nversion: 1\n", "key 'version' appears twice", (2, 1)),
        ("- a\n- b\n", "a spec must be a mapping of sections", (1, 1)),
        ("", "the file is empty", (1, 1)),
        ("version: 1\nkind: [\n", "not valid YAML", (3, 1)),
        (
            "version: 1\nkind: experiment\ndeclarations: {a: 1}\nparams: {a: 2}\nrun:\n  cmd: x\n",
            "in 'declarations' or 'params', not both",
            (4, 10),
        ),
        (
            "version: 1\nkind: experiment\nbuild:\n  build_steps: [a]\nrun:\n  cmd: x\n",
            "'build' needs 'image'",
            (4, 3),
        ),
        (
            "version: 1\nkind: experiment\nbuild:\n  image: x\n  build_steps: [1]\n"
            "run:\n  cmd: x\n",
            "must be a list of strings",
            (5, 17),
        ),
        (
            "version: 1\nkind: experiment\nenvironment:\n  labels: '{{ nope }}'\nrun:\n  cmd: x\n",
            "undefined name 'nope'",
            (4, 11),
        ),
    ],
)
def test_structure_rules(text, rule, pos):
    with pytest.raises(SpecError) as info:
        parse_spec(text, file="sweep.yml")
    err = info.value
    assert rule in err.rule, str(err)
    assert (err.line, err.col) == pos, str(err)


def test_hyperband_resource_may_not_be_a_matrix_param():
    text = ALGO.format(
        algo="hyperband: {max_iter: 9, eta: 3, resource: {name: lr}, metric: {name: loss}}"
    )
    err = error(text)
    assert "resource may not be a matrix param" in err.rule and err.line == 7


def test_hyperband_resource_may_not_be_declared():
    text = "declarations:\n  epochs: 5\n" + ALGO.format(
        algo="hyperband: {max_iter: 9, eta: 3, resource: {name: epochs}, metric: {name: loss}}"
    )
    err = error(text)
    assert "may not be set in 'declarations'" in err.rule and (err.line, err.col) == (2, 3)


def test_load_spec_reports_the_path(tmp_path):
    missing = tmp_path / "nope.yml"
    with pytest.raises(SpecError) as info:
        load_spec(missing)
    assert str(missing) in str(info.value) and "cannot be read" in str(info.value)
    binary = tmp_path / "bin.yml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(SpecError):
        load_spec(binary)
    good = tmp_path / "ok.yml"
    good.write_text(GROUP)
    assert load_spec(good).file == str(good)
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path)  # a folder
    assert str(tmp_path) in str(info.value)
