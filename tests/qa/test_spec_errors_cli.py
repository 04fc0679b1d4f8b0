"""Regression guards: a bad spec is one ``file:line:col: rule, got value — fix`` line, exit 2.

Each case is a mistake a user really makes (a typo in a key, a wrong type, reversed bounds, a
distribution under grid search, a missing count, an unknown template name). The command must
not print a traceback and must not create a group.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from jupyter_mlpipe.cli import main

LINE = re.compile(r"^mlpipe: (?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): .+ — .+$")

CASES = {
    "typo_in_key": (
        """
        version: 1
        kind: group
        hptuning:
          concurency: 2
          matrix:
            lr: {values: [0.1, 0.2]}
        run:
          cmd: python run.py --lr={{ lr }}
        """,
        4,
        "did you mean 'concurrency'",
    ),
    "wrong_type": (
        """
        version: 1
        kind: group
        hptuning:
          concurrency: two
          matrix:
            lr: {values: [0.1, 0.2]}
        run:
          cmd: python run.py --lr={{ lr }}
        """,
        4,
        "must be an integer",
    ),
    "linspace_start_after_stop": (
        """
        version: 1
        kind: group
        hptuning:
          matrix:
            lr:
              linspace: 0.1:0.001:5
        run:
          cmd: python run.py --lr={{ lr }}
        """,
        6,
        "start < stop",
    ),
    "grid_with_distribution": (
        """
        version: 1
        kind: group
        hptuning:
          grid_search: {n_experiments: 4}
          matrix:
            lr:
              uniform: 0.1:0.2
        run:
          cmd: python run.py --lr={{ lr }}
        """,
        7,
        "grid search cannot enumerate 'uniform'",
    ),
    "random_without_n_experiments": (
        """
        version: 1
        kind: group
        hptuning:
          random_search: {}
          matrix:
            lr: {uniform: 0.1:0.2}
        run:
          cmd: python run.py --lr={{ lr }}
        """,
        4,
        "needs 'n_experiments'",
    ),
    "unknown_template_name": (
        """
        version: 1
        kind: group
        hptuning:
          matrix:
            lr: {values: [0.1, 0.2]}
        run:
          cmd: python run.py --lr={{ lr }} --m={{ momentm }}
        """,
        7,
        "undefined name 'momentm'",
    ),
    "duplicate_key": (
        """
        version: 1
        kind: group
        hptuning:
          matrix:
            lr: {values: [0.1]}
            lr: {values: [0.2]}
        run:
          cmd: python run.py --lr={{ lr }}
        """,
        6,
        "appears twice",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_spec_is_one_located_line_and_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], outputs_root: Path
) -> None:
    body, line, words = CASES[case]
    spec = tmp_path / f"{case}.yml"
    spec.write_text(textwrap.dedent(body).lstrip())

    code = main(["sweep", "-f", str(spec), "--project", "qa"])

    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    match = LINE.match(lines[0])
    assert match, err
    assert match["file"] == str(spec)
    assert int(match["line"]) == line, err
    assert words in lines[0]
    assert not any(outputs_root.rglob("group.json")), "a rejected spec must not create a group"


@pytest.mark.parametrize("project", ["../x", "UPPER", "x/y"])
def test_project_names_never_leave_the_outputs_root(
    project: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["groups", "--project", project])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "project name" in err
