"""run.cmd rules found by using the product: shell operators and unknown filters."""

from __future__ import annotations

import pytest

from jupyter_mlpipe.errors import SpecError
from jupyter_mlpipe.spec import parse_spec

BASE = "version: 1\nkind: group\nhptuning:\n  matrix:\n    a: {values: [1]}\nrun:\n  cmd: %s\n"


@pytest.mark.parametrize("op", ["&&", "||", "|", ";", ">", "<", "2>&1"])
def test_shell_operators_are_refused_with_a_fix(op: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(BASE % f"pip install x {op} python run.py", file="s.yml")
    assert info.value.location == "s.yml:7:8"
    assert f"{op!r} would reach the program as an argument" in str(info.value)
    assert "script" in info.value.fix


def test_operators_inside_an_argument_are_fine() -> None:
    spec = parse_spec(BASE % "python run.py --sep=';' {{ a }}")
    assert spec.render_command({"a": 1}) == ["python", "run.py", "--sep=;", "1"]


def test_unknown_filter_is_a_located_spec_error() -> None:
    with pytest.raises(SpecError, match=r"s.yml:7:8: the template in 'run.cmd' does not compile"):
        parse_spec(BASE % "python run.py {{ a | shell }}", file="s.yml")
