"""The grammar as a newcomer meets it: overview, version, suggestions, help, positional files."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from jupyter_mlpipe import __version__
from jupyter_mlpipe.cli import VERBS, main
from jupyter_mlpipe.cli.commands import spec_file
from jupyter_mlpipe.cli.grammar import ArgError, HelpShown, build_parser
from jupyter_mlpipe.cli.helptext import HELP
from jupyter_mlpipe.errors import InvalidArgument

#: The verbs that answer with data: each takes --format json.
DATA_VERBS = {
    "sweep": ["f.yml"],
    "groups": [],
    "experiments": ["1"],
    "stop": ["1"],
    "best": ["1"],
    "objective": ["1"],
    "package": ["1", "--name", "n"],
    "build": ["n"],
    "deploy": ["n"],
    "predict": ["n", "[1]"],
    "deployments": [],
    "undeploy": ["n"],
    "ship": ["1"],
    "operations": [],
    "config": [],
}


@pytest.mark.parametrize("argv", [[], ["--version"]])
def test_bare_command_and_version_print_the_version_and_the_verbs(
    argv: list[str], capsys: Any
) -> None:
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"mlpipe {__version__}")
    for verb in VERBS:
        assert f"  {verb} " in out, verb
    assert "mlpipe VERB --help" in out


@pytest.mark.parametrize(
    ("typed", "meant"), [("swep", "sweep"), ("deplyo", "deploy"), ("experiment", "experiments")]
)
def test_a_mistyped_verb_names_the_closest(typed: str, meant: str, capsys: Any) -> None:
    assert main([typed, "1"]) == 2
    err = capsys.readouterr().err
    assert f"unknown verb {typed!r} — did you mean {meant!r}?" in err


def test_a_mistyped_choice_names_the_closest() -> None:
    with pytest.raises(ArgError, match="unknown choice 'locl' — did you mean 'local'"):
        build_parser().parse_args(["deploy", "m", "--backend", "locl"])


def test_nothing_close_lists_the_verbs(capsys: Any) -> None:
    assert main(["zzzz"]) == 2
    assert "one of: sweep, resume" in capsys.readouterr().err


def _help(verb: str) -> str:
    with pytest.raises(HelpShown) as shown:
        build_parser().parse_args([verb, "--help"])
    return shown.value.text


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_a_description_argument_help_and_an_example(verb: str) -> None:
    text = HELP[verb]
    assert text.summary and text.description and text.example.startswith(f"mlpipe {verb}")
    shown = _help(verb)
    assert f"example:\n  {text.example}" in shown
    assert text.description.split()[0] in shown
    parser = next(
        a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)
    ).choices[verb]
    for action in parser._actions:
        assert action.help, f"{verb}: {action.dest} has no help"


@pytest.mark.parametrize("verb", VERBS)
def test_every_example_parses(verb: str) -> None:
    argv = HELP[verb].example.split(">")[0].split()[1:]
    assert build_parser().parse_args(argv).verb == verb


@pytest.mark.parametrize(("verb", "rest"), DATA_VERBS.items())
def test_every_verb_that_returns_data_takes_format_json(verb: str, rest: list[str]) -> None:
    assert build_parser().parse_args([verb, *rest, "--format", "json"]).format == "json"


def test_sweep_takes_the_file_as_a_positional_or_with_f() -> None:
    parse = build_parser().parse_args
    assert spec_file(parse(["sweep", "a.yml"])) == "a.yml"
    assert spec_file(parse(["sweep", "-f", "a.yml"])) == "a.yml"
    assert spec_file(parse(["sweep", "a.yml", "-f", "a.yml"])) == "a.yml"
    with pytest.raises(InvalidArgument, match="two files"):
        spec_file(parse(["sweep", "a.yml", "-f", "b.yml"]))


def test_package_layout_is_its_own_option() -> None:
    args = build_parser().parse_args(["package", "3", "--name", "m", "--layout", "mlserver"])
    assert (args.layout, args.format) == ("mlserver", "table")
