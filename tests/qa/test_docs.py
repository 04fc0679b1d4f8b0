"""The README and the pages in docs/ show commands that the real grammar accepts.

Every ``mlpipe ...`` command in a shell block and every ``%mlpipe``/``%%mlpipe`` line in a
notebook block is parsed with the parser the CLI and the magics use; shell variables,
``{expressions}`` and the placeholders GROUP / EXPERIMENT / ID stand for ids, and literal ids
after a verb that takes one are refused (examples never depend on what ran before). Settings
and the README's shape are checked too.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from jupyter_mlpipe.cli.grammar import VERBS, ArgError, build_parser
from jupyter_mlpipe.magics import notebook_parser
from jupyter_mlpipe.settings import REGISTRY

REPO = Path(__file__).resolve().parents[2]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
FENCE = re.compile(r"^[ \t]*```([a-z]*)[ \t]*\n(.*?)^[ \t]*```", re.M | re.S)
# Verbs whose first argument is a group or experiment id.
ID_VERBS = "experiments|logs|plot|stop|resume|best|ship|package|attach|dashboard"
LITERAL_ID = re.compile(rf"%?mlpipe ({ID_VERBS}) \d")
SEPARATORS = {"|", "||", "&&", ";", "(", ")", "$("}
REDIRECTIONS = {">", ">>", "<", "2>"}
# Reference pages may name an id in capitals; it stands for a number, like a shell variable.
PLACEHOLDERS = {"GROUP", "EXPERIMENT", "ID"}


def _sweep_takes_objective() -> bool:
    try:
        build_parser().parse_args(["sweep", "-f", "x.yml", "--objective", "accuracy:max"])
    except ArgError:
        return False
    return True


def _blocks(page: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(page.read_text(encoding="utf-8"))]


def _shell_commands(code: str) -> list[list[str]]:
    """The argument lists of every ``mlpipe`` command in a shell block."""
    code = code.replace("\\\n", " ")
    found = []
    for line in code.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        segment: list[str] = []
        redirected = False
        for token in [*lexer, ";"]:
            if token in SEPARATORS or token.endswith("=$"):
                if segment[:1] == ["mlpipe"]:
                    found.append(segment[1:])
                segment, redirected = [], False
            elif token in REDIRECTIONS or redirected:  # `> file`: the file is no argument
                redirected = token in REDIRECTIONS
            else:
                segment.append("1" if token.startswith("$") or token in PLACEHOLDERS else token)
    return found


def _magic_commands(code: str) -> list[tuple[str, list[str]]]:
    """``(line, argv)`` of every %mlpipe / %%mlpipe line in a notebook block."""
    found = []
    for line in code.splitlines():
        match = re.match(r"^(?:\w+ = )?%%?mlpipe (.*?)(?:\s+#.*)?$", line.strip())
        if match:
            text = re.sub(r"\{[^}]+\}", "1", match.group(1))
            found.append((line, ["1" if t in PLACEHOLDERS else t for t in shlex.split(text)]))
    return found


def _parses(parser: object, argv: list[str], where: str) -> None:
    if argv[:1] == ["ship"] and "ship" not in VERBS:
        return  # `ship` lands with the ship pipeline; then it is checked like every verb
    if argv[:1] == ["sweep"] and "--objective" in argv and not _sweep_takes_objective():
        at = argv.index("--objective")
        argv = argv[:at] + argv[at + 2 :]
    try:
        parser.parse_args(argv)  # type: ignore[attr-defined]
    except ArgError as exc:
        pytest.fail(f"{where}: `{' '.join(argv)}` does not parse: {exc}")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_command_shown_parses(page: Path) -> None:
    cli, magics = build_parser(), notebook_parser()
    for lang, code in _blocks(page):
        if lang in ("bash", "sh", "console"):
            for argv in _shell_commands(code):
                _parses(cli, argv, page.name)
        for line, argv in _magic_commands(code):
            _parses(magics, argv, f"{page.name}: {line.strip()}")


def test_the_command_finder_sees_what_the_pages_hold() -> None:
    shell = _shell_commands(
        'GROUP=$(mlpipe groups --format json | python3 -c "print(1)")\n'
        'mlpipe best "$GROUP" --metric m && mlpipe cluster manifests \\\n  --nfs-server h > f.yaml'
    )
    assert shell == [
        ["groups", "--format", "json"],
        ["best", "1", "--metric", "m"],
        ["cluster", "manifests", "--nfs-server", "h"],
    ]
    magic = _magic_commands("df = %mlpipe experiments {sweep.group} --sort -a  # note\n")
    assert [argv for _, argv in magic] == [["experiments", "1", "--sort", "-a"]]
    readme = [argv for lang, code in _blocks(REPO / "README.md") for argv in _shell_commands(code)]
    assert {argv[0] for argv in readme} >= {"sweep", "groups", "ship", "best", "package"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_examples_never_hard_code_ids(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for lang, code in _blocks(page):
        if lang in ("bash", "sh", "python", ""):
            assert not LITERAL_ID.search(code), f"{page.name}: {LITERAL_ID.search(code)}"
    inline = re.findall(r"`([^`\n]+)`", FENCE.sub("", text))
    assert not [span for span in inline if LITERAL_ID.search(span)]


def test_every_setting_is_documented() -> None:
    page = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [s.name for s in REGISTRY if f"| `{s.name}` |" not in page]
    assert not missing, f"docs/settings.md has no row for {missing}"


def test_the_readme_is_short_and_starts_with_the_two_commands() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert 150 <= len(text.splitlines()) <= 200
    first = _blocks(REPO / "README.md")[0]
    assert first[1].splitlines() == [
        "make demo   # sweep the example CNN locally, pick the best, package it, serve it,"
        " predict a digit",
        "make test   # install everything the tests need and run the whole suite (what CI runs)",
    ]
