"""Fuzzing: whatever the input, the parser raises SpecError or returns a Spec — nothing else."""

from __future__ import annotations

import json
from functools import lru_cache

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_mlpipe.errors import SpecError
from jupyter_mlpipe.spec import OPTIONS, Spec, parse_spec

pytestmark = pytest.mark.timeout(300)  # a hang fails the run instead of stalling it

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

WORDS = [
    "version",
    "kind",
    "group",
    "experiment",
    "hptuning",
    "matrix",
    "seed",
    "concurrency",
    "grid_search",
    "random_search",
    "hyperband",
    "bo",
    "n_experiments",
    "max_iter",
    "eta",
    "resource",
    "metric",
    "name",
    "type",
    "optimization",
    "maximize",
    "minimize",
    "early_stopping",
    "value",
    "declarations",
    "params",
    "build",
    "image",
    "build_steps",
    "run",
    "cmd",
    "environment",
    "resources",
    "logging",
    "level",
    "n_iterations",
    "n_initial_trials",
    "lr",
    "start",
    "stop",
    "num",
    "low",
    "high",
    "q",
    "loc",
    "scale",
    "framework",
    "tags",
    "description",
    "backend",
    "inputs",
    "outputs",
    "default",
    "is_optional",
    "is_flag",
    "policy",
    "mode",
    "dockerfile",
    "ref",
    "data_refs",
    "artifact_refs",
    *OPTIONS,
]
SCALARS = [
    "1",
    "0",
    "-1",
    "1.5",
    "1e400",
    "nan",
    ".inf",
    "0:1",
    "0.001:0.1:5",
    "1:0",
    "a:b",
    "1:2:3:4:5",
    "0:1e9:1e-9",
    "[1, 2]",
    "[]",
    "{}",
    "{a: 1}",
    "null",
    "~",
    "true",
    "'{{ lr }}'",
    "{{ x",
    '"a\'b"',
    "&a [1]",
    "*a",
    "*nope",
    "!!binary aGk=",
    "2020-01-01",
    "1:30",
    '"\\\\"',
    "'",
    "|",
    ">",
    "-",
    "? x",
    "<<: *a",
    "!!python/x y",
    "[[a, 0.5], [b, 0.5]]",
    "{adam: 0.7, sgd: 0.3}",
    "10**1000",
    "(((((1)))))",
    "'" + "9" * 400 + "'",
]


@st.composite
def yamlish(draw: st.DrawFn) -> str:
    """Lines of `key: value` with random indentation drawn from the spec's vocabulary."""
    lines = []
    for _ in range(draw(st.integers(1, 25))):
        indent = " " * draw(st.sampled_from([0, 0, 2, 4, 6, 8, 1, 3]))
        key = draw(st.sampled_from(WORDS))
        value = draw(st.one_of(st.sampled_from(SCALARS), st.just(""), st.text(max_size=12)))
        dash = draw(st.sampled_from(["", "", "- "]))
        lines.append(f"{indent}{dash}{key}: {value}")
    return "\n".join(lines) + "\n"


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(SCALARS),
    st.text(max_size=10),
)
structures = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(WORDS), children, max_size=5),
    ),
    max_leaves=30,
)


def only_spec_errors(text: object) -> None:
    try:
        parse_spec(text)  # type: ignore[arg-type]
    except SpecError as err:
        assert str(err)  # the message renders


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text(text):
    only_spec_errors(text)


@FUZZ
@given(yamlish())
def test_yamlish_text(text):
    only_spec_errors(text)


@settings(FUZZ, max_examples=100)
@given(st.dictionaries(st.sampled_from(WORDS), structures, max_size=8))
def test_arbitrary_structures_as_mapping_and_as_yaml(data):
    only_spec_errors(data)
    only_spec_errors(yaml.safe_dump(data))


VALID = """\
version: 1
kind: group
declarations: {units: [64, 32], epochs: 2}
hptuning:
  seed: 0
  concurrency: 2
  random_search: {n_experiments: 4}
  early_stopping: [{metric: acc, value: 0.9}]
  matrix:
    lr: {linspace: 0.001:0.1:5}
    m: {quniform: [0, 1, 0.1]}
    opt: {pvalues: [[adam, 0.5], [sgd, 0.5]]}
run:
  cmd: python run.py --lr={{ lr }} --u={{ units[0] }} \\
       --opt="{{ opt }}"
"""


@lru_cache(maxsize=1)
def valid_spec() -> Spec:
    return parse_spec(VALID)


@FUZZ
@given(st.integers(0, len(VALID)), st.integers(0, 8), st.text(max_size=10))
def test_mutated_valid_spec(at, cut, insert):
    only_spec_errors(VALID[:at] + insert + VALID[at + cut :])


@FUZZ
@given(st.dictionaries(st.sampled_from(["lr", "m", "opt", "units", "x"]), structures, max_size=5))
def test_rendering_any_params_gives_argv_or_spec_error(params):
    spec = valid_spec()
    try:
        argv = spec.render_command(params)
    except SpecError:
        return
    assert argv[:2] == ["python", "run.py"] and len(argv) == 5
    assert all(isinstance(arg, str) for arg in argv)


def test_alias_bomb_is_refused_quickly():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        bomb += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]\n"
    with pytest.raises(SpecError, match="at most 20000 values"):
        parse_spec(bomb)


def test_recursive_alias_is_refused():
    with pytest.raises(SpecError, match="alias may not refer"):
        parse_spec("version: 1\nkind: experiment\ndeclarations: &a {x: *a}\nrun:\n  cmd: x\n")


def test_deep_nesting_is_a_spec_error():
    with pytest.raises(SpecError):
        parse_spec("[" * 1500 + "]" * 1500)


SHELL_PIECES = [*"ab =-_./'\"\\$`*?~#;&|<>(){}%\n\t", "{{ lr }}", "&&", "cd ", "export ", "A=1 "]
SHELLISH = st.lists(st.sampled_from(SHELL_PIECES), max_size=30).map("".join)


@FUZZ
@given(st.one_of(SHELLISH, st.lists(SHELLISH, min_size=1, max_size=3)))
def test_any_command_reads_into_steps_or_a_spec_error(cmd):
    try:
        spec = parse_spec(
            {
                "version": 1,
                "kind": "experiment",
                "declarations": {"lr": "$(x) ; y"},
                "run": {"cmd": cmd},
            }
        )
        argv = spec.render_command({})
    except SpecError as err:
        assert str(err)
        return
    assert argv and all(isinstance(arg, str) for arg in argv)
    if argv[:4] == ["python", "-m", "jupyter_mlpipe.tracking.steps", "--steps-json"]:
        steps = json.loads(argv[4])
        assert steps and all(step["argv"] for step in steps)
