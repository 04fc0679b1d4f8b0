"""``run.cmd`` to argv without a shell; templates in build and environment."""

from __future__ import annotations

import pytest

from jupyter_mlpipe.errors import SpecError
from jupyter_mlpipe.spec import parse_spec


def spec_with(cmd_block: str, declarations: str = "{}", matrix: str = "") -> object:
    hp = f"hptuning:\n  matrix:\n{matrix}" if matrix else ""
    kind = "group" if matrix else "experiment"
    return parse_spec(
        f"version: 1\nkind: {kind}\ndeclarations: {declarations}\n{hp}run:\n{cmd_block}",
        file="sweep.yml",
    )


HOSTILE = [
    "a b",
    "it's",
    'say "hi"',
    "$(touch x)",
    "; rm -rf /",
    "a\nb",
    "`id`",
    "x | y",
    "--other=1",
    "",
    "../../etc/passwd",
    "{{ lr }}",
    "\\",
    "*",
    "~",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_stay_one_argument(value):
    spec = spec_with(
        '  cmd: python run.py --opt={{ opt }} {{ opt }} "{{ opt }}" end\n',
        matrix="    opt: {values: [x]}\n",
    )
    argv = spec.render_command({"opt": value})
    assert argv == ["python", "run.py", f"--opt={value}", value, value, "end"]


def test_index_and_filter_expressions():
    spec = spec_with(
        "  cmd: python run.py --units={{ layer_units[0] }} "
        "--all={{ layer_units | join(',') }} --half={{ lr / 2 }}\n",
        declarations="{layer_units: [64, 32]}",
        matrix="    lr: {values: [0.2]}\n",
    )
    assert spec.render_command({"lr": 0.2}) == [
        "python",
        "run.py",
        "--units=64",
        "--all=64,32",
        "--half=0.1",
    ]


@pytest.mark.parametrize(
    "cmd_block",
    [
        # plain scalar: YAML folds the lines, the backslash must not escape the next space
        "  cmd: python run.py --a={{ a }} \\\n       --b=2 \\\n       --c=3\n",
        # literal block: the newline survives
        "  cmd: |\n    python run.py --a={{ a }} \\\n      --b=2 \\\n      --c=3\n",
        # folded block
        "  cmd: >\n    python run.py --a={{ a }} \\\n      --b=2 \\\n      --c=3\n",
        # single quotes fold like plain scalars
        "  cmd: 'python run.py --a={{ a }} \\\n    --b=2 \\\n    --c=3'\n",
        # double quotes: YAML's own escaped line break
        '  cmd: "python run.py --a={{ a }} \\\n    --b=2 \\\n    --c=3"\n',
    ],
)
def test_backslash_newline_continuations_in_every_yaml_style(cmd_block):
    spec = spec_with(cmd_block, declarations="{a: 1}")
    assert spec.render_command({}) == ["python", "run.py", "--a=1", "--b=2", "--c=3"]


def test_quotes_group_and_backslash_space_still_escapes():
    spec = spec_with(
        "  cmd: python 'my script.py' my\\ dir \"--x={{ a }} y\"\n", declarations="{a: 1}"
    )
    assert spec.render_command({}) == ["python", "my script.py", "my dir", "--x=1 y"]


def test_missing_name_at_render_names_it_and_the_known_ones():
    spec = spec_with("  cmd: python run.py --lr={{ lr }}\n", matrix="    lr: {values: [1]}\n")
    with pytest.raises(SpecError) as info:
        spec.render_command({})
    err = info.value
    assert (err.file, err.line, err.col) == ("sweep.yml", 8, 8)
    assert "'lr' is undefined" in err.rule
    assert "known names: none" in err.fix


def test_unknown_name_at_parse_time_lists_known_names():
    with pytest.raises(SpecError) as info:
        spec_with(
            "  cmd: python run.py --lr={{ learning_rate }}\n",
            declarations="{epochs: 1}",
            matrix="    lr: {values: [1]}\n",
        )
    err = info.value
    assert "undefined name 'learning_rate'" in err.rule
    assert "known names: epochs, lr" in err.fix and err.line == 8


def test_sandbox_refuses_unsafe_attributes():
    spec = spec_with("  cmd: python {{ a.__class__.__mro__ }}\n", declarations="{a: 1}")
    with pytest.raises(SpecError, match="not allowed|undefined"):
        spec.render_command({})


def test_failing_expression_is_a_spec_error():
    spec = spec_with("  cmd: python {{ 1 / a }}\n", declarations="{a: 0}")
    with pytest.raises(SpecError, match="ZeroDivisionError"):
        spec.render_command({})


def test_if_block_within_one_argument():
    spec = spec_with("  cmd: python run.py {% if a %}--flag{% endif %}\n", declarations="{a: true}")
    assert spec.render_command({}) == ["python", "run.py", "--flag"]


def test_build_and_environment_are_rendered_whole():
    spec = parse_spec("""\
version: 1
kind: group
declarations: {tag: v1}
hptuning:
  matrix:
    gpus: {values: [1, 2]}
build:
  image: "repo/img:{{ tag }}"
  build_steps: ["pip install x=={{ tag }}"]
environment:
  resources:
    gpu: {requests: "{{ gpus }}", limits: "{{ gpus }}"}
run:
  cmd: python run.py
""")
    assert spec.render_section("build", {})["image"] == "repo/img:v1"
    assert spec.render_section("build", {})["build_steps"] == ["pip install x==v1"]
    env = spec.render_section("environment", {"gpus": 2})
    assert env == {"resources": {"gpu": {"requests": "2", "limits": "2"}}}
    with pytest.raises(SpecError):
        spec.render_section("run", {})
