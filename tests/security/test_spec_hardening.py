"""Hostile specs: every bomb is refused quickly as a located SpecError, before it is computed."""

from __future__ import annotations

import pytest

from jupyter_mlpipe.errors import SpecError
from jupyter_mlpipe.search import make_search
from jupyter_mlpipe.spec import parse_spec
from jupyter_mlpipe.spec.document import Context
from jupyter_mlpipe.spec.templating import render_text

GROUP = "version: 1\nkind: group\nhptuning:\n%s  matrix:\n    a: {%s}\nrun:\n  cmd: python a.py\n"


def command_spec(template: str):
    return parse_spec(
        {"version": 1, "kind": "experiment", "run": {"cmd": f'python a.py "{template}"'}},
        file="s.yml",
    )


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("{{ 7**9999999 }}", "more than 4000 digits"),
        ("{{ 7**999999 }}", "more than 4000 digits"),
        ("{{ 'x'|center(1000000000) }}", "larger than 1000000"),
        ("{{ 'x'.center(1000000000) }}", "larger than 1000000"),
        ("{{ 'x'.ljust(999999) ~ 'x'.ljust(999999) }}", "'~' would build"),
        ("{{ 'a'*100000000 }}", "'*' would build"),
        ("{{ 100000000*'a' }}", "'*' would build"),
        ("{{ ([1]*10000)*10000 }}", "'*' would build"),
        ("{{ '%1000000000s' % 1 }}", "format width"),
        ("{{ '{:1000000000}'.format(1) }}", "format width"),
        ("{{ 'ab'|indent(1000000) }}", "could exceed"),
        ("{{ (['a'*100000]*5)|join('x'*100) }}", "could exceed"),
        ("{% set a = 'x'*600000 %}{{ a ~ a }}", "'~' would build"),
        ("{% set a = 'x'*600000 %}{{ a + a }}", "'+' would build"),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "for blocks are not allowed",
        ),
        ("{% macro m(n) %}{{ m(n) }}{{ m(n) }}{% endmacro %}{{ m(1) }}", "not allowed"),
        ("{{ '{0:{1}}'.format('x', 100000000) }}", "larger than 1000000"),
    ],
)
def test_template_bombs_are_located_spec_errors(template: str, reason: str) -> None:
    with pytest.raises(SpecError) as info:
        command_spec(template).render_command({})
    assert info.value.location == "s.yml:4:8"
    assert reason in str(info.value)


def test_rendered_output_is_capped() -> None:
    with pytest.raises(SpecError, match="the rendered text exceeds 1000000 characters"):
        render_text("{{ a }}{{ a }}", {"a": "x" * 600_000}, Context("s.yml"), (1, 1), "'run.cmd'")


@pytest.mark.parametrize(
    "template",
    [
        "{{ 2**10 }}",
        "{{ 'x'|center(20) }}",
        "{{ '%05.2f' % 3.14159 }}",
        "{{ [1, 2]|join(',') }}",
        "{{ '{:>8}'.format('x') }}",
        "{{ 'a' ~ 'b' }}",
        "{{ (range(1000)|list)|length }}",
    ],
)
def test_ordinary_templates_still_render(template: str) -> None:
    assert command_spec(template).render_command({})[:2] == ["python", "a.py"]


@pytest.mark.parametrize(
    "option",
    [
        "quniform: '0:1e300:1e-300'",
        "qloguniform: '0:700:1e-300'",
        "qnormal: '0:1e300:1e-300'",
        "qlognormal: '0:600:1e-300'",
    ],
)
def test_quantised_options_with_absurd_steps_are_located_errors(option: str) -> None:
    text = GROUP % ("  random_search: {n_experiments: 3}\n", option)
    with pytest.raises(SpecError) as info:
        make_search(parse_spec(text, file="s.yml")).ask()
    assert info.value.location.startswith("s.yml:6:")
    assert "multiples of q" in str(info.value)


@pytest.mark.parametrize(
    ("hptuning", "rule"),
    [
        ("  concurrency: 10001\n", "'hptuning.concurrency' must be at most 10000"),
        ("  random_search: {n_experiments: 100001}\n", "must be at most 100000"),
        ("  grid_search: {n_experiments: 100001}\n", "must be at most 100000"),
        ("  seed: 9223372036854775808\n", "'hptuning.seed' must be at most"),
        (
            "  hyperband: {max_iter: 1000000, eta: 1.01, resource: {name: r}, metric: {name: m}}\n",
            "'hyperband' plans at most 100000 experiments",
        ),
        (
            "  bo: {n_iterations: 100000, n_initial_trials: 1, metric: {name: m}}\n",
            "'bo' plans at most 100000 experiments",
        ),
    ],
)
def test_counts_have_upper_bounds(hptuning: str, rule: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(GROUP % (hptuning, "values: [1, 2]"), file="s.yml")
    assert rule in str(info.value)
    assert info.value.location.startswith("s.yml:")


@pytest.mark.parametrize(
    "cmd",
    [
        "python a.py $(touch pwned)",
        "python a.py `touch pwned`",
        "python a.py | tee log",
        "python a.py > out",
        "python a.py & sleep 1",
        "python a.py || true",
    ],
)
def test_shell_constructs_never_become_arguments_silently(cmd: str) -> None:
    with pytest.raises(SpecError, match="runs without a shell"):
        parse_spec({"version": 1, "kind": "experiment", "run": {"cmd": cmd}})


@pytest.mark.parametrize("name", ["A\n", "A B", "1A", "A-B"])
def test_assignment_names_must_match_entirely(name: str) -> None:
    # only NAME=value (a full identifier before '=') is an assignment; anything else is a word
    spec = parse_spec(
        {"version": 1, "kind": "experiment", "run": {"cmd": f"python a.py '{name}=1'"}}
    )
    assert spec.render_command({}) == ["python", "a.py", f"{name}=1"]


def test_steps_too_long_for_one_argument_are_a_located_error() -> None:
    spec = parse_spec(
        {
            "version": 1,
            "kind": "experiment",
            "run": {"cmd": "cd x && python a.py {{ big }}"},
            "declarations": {"big": "x" * 130_000},
        },
        file="s.yml",
    )
    with pytest.raises(SpecError, match="longer than one argument may be"):
        spec.render_command({})
