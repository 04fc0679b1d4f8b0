"""run.cmd rules: shell-shaped steps run without a shell; what needs a shell is refused, located."""

from __future__ import annotations

import json

import pytest

from jupyter_mlpipe.errors import SpecError
from jupyter_mlpipe.spec import parse_spec
from jupyter_mlpipe.spec.templating import STEP_RUNNER

BASE = "version: 1\nkind: group\nhptuning:\n  matrix:\n    a: {values: [1]}\nrun:\n  cmd: %s\n"


def steps(cmd: str, params: dict | None = None) -> list[dict]:
    argv = parse_spec(BASE % cmd).render_command(params or {"a": 1})
    assert tuple(argv[:4]) == STEP_RUNNER
    assert len(argv) == 5
    return json.loads(argv[4])


@pytest.mark.parametrize(
    ("op", "kind"),
    [
        ("||", "'||' needs a shell"),
        ("|", "'|' needs a shell"),
        ("&", "'&' needs a shell"),
        (">", "'>' needs a shell"),
        ("<", "'<' needs a shell"),
        ("2>&1", "'>' needs a shell"),
        (">>", "'>>' needs a shell"),
    ],
)
def test_pipes_and_redirections_are_refused_with_the_alternative(op: str, kind: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(BASE % f"pip install x {op} python run.py", file="s.yml")
    assert info.value.location == "s.yml:7:8"
    assert "runs without a shell" in str(info.value)
    assert kind in str(info.value)
    assert "script" in info.value.fix or "log" in info.value.fix


@pytest.mark.parametrize(
    ("cmd", "fix_word"),
    [
        ("python run.py $HOME", "declarations"),
        ("python run.py ${HOME}/x", "declarations"),
        ('python run.py "$(date)"', "script"),
        ("python run.py `date`", "script"),
        ("python run.py data/*.csv", "quote"),
        ("python run.py file?.txt", "quote"),
        ("python run.py ~/data", "full path"),
        ("(cd x && python run.py)", "script"),
        ("source env.sh && python run.py", "script"),
    ],
)
def test_substitutions_globs_and_built_ins_are_refused(cmd: str, fix_word: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(BASE % cmd, file="s.yml")
    assert info.value.location == "s.yml:7:8"
    assert fix_word in info.value.fix


def test_quoted_operators_and_patterns_stay_one_argument() -> None:
    spec = parse_spec(BASE % "python run.py --sep=';' '*.csv' \"a && b\" \\$HOME '$(x)' {{ a }}")
    assert spec.render_command({"a": 1}) == [
        "python",
        "run.py",
        "--sep=;",
        "*.csv",
        "a && b",
        "$HOME",
        "$(x)",
        "1",
    ]


def test_a_single_plain_command_renders_its_own_argv() -> None:
    spec = parse_spec(BASE % "python run.py --a={{ a }}  # a comment")
    assert spec.render_command({"a": 2}) == ["python", "run.py", "--a=2"]


def test_and_then_and_semicolon_give_ordered_steps() -> None:
    got = steps("pip install x && python run.py --a={{ a }}; echo end")
    assert [s["argv"] for s in got] == [
        ["pip", "install", "x"],
        ["python", "run.py", "--a=1"],
        ["echo", "end"],
    ]
    assert [s["always"] for s in got] == [False, False, True]


def test_export_assignments_and_cd_shape_the_later_steps() -> None:
    got = steps("export A=1 B='x y' && cd src && C={{ a }} python run.py && python b.py")
    assert got[0] == {
        "argv": ["python", "run.py"],
        "env": {"A": "1", "B": "x y", "C": "1"},
        "cwd": "src",
        "always": False,
    }
    assert got[1]["env"] == {"A": "1", "B": "x y"}  # C was for its command only
    assert got[1]["cwd"] == "src"


def test_a_lone_assignment_runs_its_command_through_the_runner() -> None:
    assert steps("LANG=C.UTF-8 python run.py") == [
        {"argv": ["python", "run.py"], "env": {"LANG": "C.UTF-8"}, "cwd": None, "always": False}
    ]


def test_a_param_value_with_shell_syntax_stays_one_argument_of_one_step() -> None:
    hostile = "x && rm -rf / ; $(touch y) `z` *"
    got = steps("cd {{ a }} && python run.py {{ a }}", {"a": hostile})
    assert got[0]["cwd"] == hostile
    assert got[0]["argv"] == ["python", "run.py", hostile]


def test_trailing_backslash_and_continuations_are_joined() -> None:
    spec = parse_spec(BASE % "'python run.py --a=1 \\\n    --b=2 \\'")
    assert spec.render_command({"a": 1}) == ["python", "run.py", "--a=1", "--b=2"]


@pytest.mark.parametrize("cmd", ["&& python run.py", "python run.py &&", "a && && b"])
def test_and_then_needs_a_command_on_each_side(cmd: str) -> None:
    with pytest.raises(SpecError, match="'&&' needs a command on each side"):
        parse_spec(BASE % f"'{cmd}'")


def test_unknown_filter_is_a_located_spec_error() -> None:
    with pytest.raises(SpecError, match=r"s.yml:7:8: the template in 'run.cmd' does not compile"):
        parse_spec(BASE % "python run.py {{ a | shell }}", file="s.yml")


def test_unknown_names_in_env_and_cd_are_found_at_parse_time() -> None:
    with pytest.raises(SpecError, match="undefined name 'nope'"):
        parse_spec(BASE % "cd {{ nope }} && python run.py")
    with pytest.raises(SpecError, match="undefined name 'nope'"):
        parse_spec(BASE % "A={{ nope }} python run.py")


def test_a_list_cmd_runs_each_command_in_order_stopping_at_a_failure() -> None:
    spec = parse_spec(
        "version: 1\nkind: experiment\nrun:\n  cmd:\n    - python a.py\n    - python b.py; echo x\n"
    )
    got = json.loads(spec.render_command({})[4])
    assert [(s["argv"], s["always"]) for s in got] == [
        (["python", "a.py"], False),
        (["python", "b.py"], False),
        (["echo", "x"], True),
    ]
