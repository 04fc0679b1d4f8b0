"""Shell-shaped command lines read as a list of steps, run later without any shell.

Polyaxon v0.x ran ``run.cmd`` through ``bash -c``; published files rely on a few shapes of it.
This module reads those shapes into :class:`Step` records (argument templates, environment
assignments, a working folder) so that nothing ever reaches a shell:

| written | meaning here |
|---|---|
| ``a && b`` | run ``b`` only when ``a`` succeeded |
| ``a; b`` (or a new line in a ``|`` block) | run ``b`` after ``a`` whatever ``a`` returned |
| ``export V=x && cmd`` / ``V=x && cmd`` | ``V`` is set for every later step |
| ``V=x cmd`` | ``V`` is set for ``cmd`` only |
| ``cd dir && cmd`` | later steps run in ``dir`` (relative to the previous folder) |
| ``# text`` | a comment, up to the end of the line |
| ``\\`` + newline | the line continues |

Quoting follows POSIX: single quotes keep everything, double quotes keep everything but ``\\``
escapes of ``$ \\` " \\``, a backslash outside quotes keeps the next character. Jinja blocks
(``{{ ... }}``, ``{% ... %}``, ``{# ... #}``) are shielded before reading, so operators inside
an expression are never taken for the shell's.

What needs a real shell is refused (:class:`CommandError`, turned into a located
:class:`~jupyter_mlpipe.errors.SpecError` by the caller, with the alternative): pipes ``|``,
``||``, background ``&``, subshells ``( )``, redirections ``< >``, unquoted globs ``* ?``,
tilde expansion, and substitutions ``$VAR``, ``${VAR}``, ``$(...)`` and backquotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BLOCK = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_CONTINUATION = re.compile(r"\\[ \t]*\r?\n")
_TRAILING = re.compile(r"(?<!\\)(\\\\)*\\\s*\Z")  # an odd run of backslashes ending the text
_SHIELDED = re.compile("\x00(\\d+)\x00")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = ("&&", "||", ";;", "|&", "&>", ">>", "<<", "&", "|", ";", "<", ">", "(", ")")
_OPERATOR_CHARS = frozenset("&|;<>()")

#: Alternatives named by the errors, per kind of construct.
FIXES = {
    "pipe": "put the pipeline in a script (e.g. run.sh) and run `bash run.sh`; `a && b`, "
    "`a; b`, `V=x cmd` and `cd dir && cmd` work as written",
    "redirection": "drop it: the output is already kept in the experiment's log; to write a "
    "file, write it from the program or a script",
    "glob": "quote the argument, list the files, or expand the pattern in the program",
    "substitution": "declare the value under 'declarations' and write `{{ name }}`; compute "
    "`$(...)` in the program or a script",
    "tilde": "write the full path, or declare it under 'declarations' and write `{{ name }}`",
    "syntax": "write one command per step, joined by `&&` or `;`",
}


class CommandError(ValueError):
    """A construct that cannot run without a shell; ``kind`` keys :data:`FIXES`."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Word:
    """One argument template after quote removal; ``name`` is set for an ``V=x`` assignment."""

    text: str
    name: str | None = None


@dataclass(frozen=True)
class Step:
    """One program run: argument templates, its own assignments, the folder, when to run.

    Attributes:
        argv: argument templates (rendered one by one, so a value stays one argument).
        env: ``(NAME, value template)`` pairs in force for this step (exports included).
        cwd: ``cd`` targets (templates) in order; later ones are relative to earlier ones.
        always: run even if the previous step failed (it followed ``;``).
    """

    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    cwd: tuple[str, ...] = ()
    always: bool = False


def parse_commands(lines: tuple[str, ...] | list[str]) -> list[Step]:
    """Read command lines (``run.cmd`` as one string or a list, joined by ``&&``) into steps.

    Raises:
        CommandError: a construct that needs a shell, or an empty command.
        ValueError: unbalanced quotes.
    """
    steps: list[Step] = []
    exports: list[tuple[str, str]] = []
    folders: list[str] = []
    for line in lines:
        always = False
        for op, words in _segments(_tokens(line)):
            if not words:
                continue
            step = _step(words, exports, folders, always or op == ";" and bool(steps))
            always = False
            if step is not None:
                steps.append(step)
            elif op == ";":
                always = True  # `a; cd x && b`: b's dependency is on a, through the cd
    if not steps:
        raise CommandError("syntax", "the command holds no program to run")
    return steps


def _step(
    words: list[Word], exports: list[tuple[str, str]], folders: list[str], always: bool
) -> Step | None:
    """One segment: assignments, ``export``, ``cd`` or a program (None when no program)."""
    own = []
    while words and words[0].name is not None:
        own.append((words[0].name, words[0].text))
        words = words[1:]
    if not words:
        exports.extend(own)  # `V=x && cmd`: a variable for the steps that follow
        return None
    first = words[0].text
    if first == "export":
        for word in words[1:]:
            if word.name is None:
                raise CommandError("syntax", f"'export' takes NAME=value, got {word.text!r}")
            exports.append((word.name, word.text))
        return None
    if first == "cd":
        if len(words) != 2 or own:
            raise CommandError("syntax", "'cd' takes exactly one folder")
        folders.append(words[1].text)
        return None
    if first in ("source", ".", "set", "alias", "eval", "exec"):
        raise CommandError("pipe", f"{first!r} is a shell built-in")
    env = tuple(dict([*exports, *own]).items())
    return Step(tuple(w.text for w in words), env, tuple(folders), always)


def _segments(tokens: list[Word | str]) -> list[tuple[str, list[Word]]]:
    """Split tokens at ``&&`` and ``;``: ``(operator before, words)`` pairs."""
    out: list[tuple[str, list[Word]]] = []
    op, words = "", []
    for token in tokens:
        if isinstance(token, Word):
            words.append(token)
            continue
        if token == "&&" and not words or op == "&&" and not words:
            raise CommandError("syntax", "'&&' needs a command on each side")
        out.append((op, words))
        op, words = token, []
    if op == "&&" and not words:
        raise CommandError("syntax", "'&&' needs a command on each side")
    out.append((op, words))
    return out


def _tokens(line: str) -> list[Word | str]:
    """Words and the operators ``&&`` / ``;`` of one command line (see the module doc)."""
    blocks: list[str] = []

    def shield(match: re.Match[str]) -> str:
        blocks.append(match.group(0))
        return f"\x00{len(blocks) - 1}\x00"

    line = _CONTINUATION.sub(" ", line)
    line = _TRAILING.sub(lambda m: m.group(0)[: len(m.group(0).rstrip()) - 1], line)
    reader = _Reader(_BLOCK.sub(shield, line))
    out: list[Word | str] = []
    for token in reader.read():
        if isinstance(token, str):
            out.append(token)
            continue
        text, name = token
        restored = _SHIELDED.sub(lambda m: blocks[int(m.group(1))], text)
        if name is not None:
            out.append(Word(restored[len(name) + 1 :], name))
        else:
            out.append(Word(restored))
    return out


def _length(chunks: list[str]) -> int:
    return sum(len(chunk) for chunk in chunks)


def _assignment(word: str, quoted_at: int | None) -> tuple[str, str | None]:
    """``(word, NAME)`` when the word's unquoted start is ``NAME=``, else ``(word, None)``."""
    head = word[:quoted_at] if quoted_at is not None else word
    name = head.partition("=")[0] if "=" in head else None
    return word, name if name is not None and _NAME.fullmatch(name) else None


class _Reader:
    """A POSIX-style word reader that refuses what only a shell could do."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def read(self) -> list[tuple[str, str | None] | str]:
        """Words as ``(text, assigned name or None)`` and the operators ``&&`` / ``;``."""
        out: list[tuple[str, str | None] | str] = []
        buf: list[str] = []
        quoted_at: int | None = None  # offset of the word's first quoted character
        started = False

        def end_word() -> None:
            nonlocal buf, started, quoted_at
            if started:
                out.append(_assignment("".join(buf), quoted_at))
            buf, started, quoted_at = [], False, None

        text = self.text
        while self.i < len(text):
            ch = text[self.i]
            if ch in " \t\r\n":
                end_word()
                out.extend(";" if ch == "\n" else ())
                self.i += 1
            elif ch == "#" and not started:
                newline = text.find("\n", self.i)
                self.i = len(text) if newline < 0 else newline
            elif ch in "\\'\"":
                quoted_at = _length(buf) if quoted_at is None else quoted_at
                buf.append(self._quoted(ch))
                started = True
            elif ch in _OPERATOR_CHARS:
                end_word()
                out.append(self._operator())
            else:
                self._plain(ch, started)
                buf.append(ch)
                started = True
                self.i += 1
        end_word()
        return out

    def _quoted(self, ch: str) -> str:
        """The literal text of a backslash escape or a quoted part starting at ``ch``."""
        text = self.text
        if ch == "\\":
            self.i += 2
            return text[self.i - 1 : self.i]
        if ch == '"':
            return self._double()
        end = text.find("'", self.i + 1)
        if end < 0:
            raise ValueError("No closing quotation")
        chunk = text[self.i + 1 : end]
        self.i = end + 1
        return chunk

    def _plain(self, ch: str, started: bool) -> None:
        if ch in "*?":
            raise CommandError("glob", f"the unquoted pattern character {ch!r} is a glob")
        if ch == "~" and not started:
            raise CommandError("tilde", "'~' is expanded by a shell only")
        self._dollar(ch)

    def _dollar(self, ch: str) -> None:
        nxt = self.text[self.i + 1 : self.i + 2]
        if ch == "`":
            raise CommandError("substitution", "backquotes are a command substitution")
        if ch == "$" and (nxt in "({" and nxt or _NAME.fullmatch(nxt) or nxt.isdigit()):
            shown = "$(...)" if nxt == "(" else "${...}" if nxt == "{" else f"${nxt}..."
            raise CommandError("substitution", f"{shown} is a shell substitution")

    def _double(self) -> str:
        text, out = self.text, list[str]()
        self.i += 1
        while self.i < len(text):
            ch = text[self.i]
            if ch == '"':
                self.i += 1
                return "".join(out)
            if ch == "\\" and text[self.i + 1 : self.i + 2] in ('"', "\\", "$", "`", "\n"):
                if text[self.i + 1] != "\n":
                    out.append(text[self.i + 1])
                self.i += 2
                continue
            self._dollar(ch)
            out.append(ch)
            self.i += 1
        raise ValueError("No closing quotation")

    def _operator(self) -> str:
        for op in _OPERATORS:
            if self.text.startswith(op, self.i):
                self.i += len(op)
                if op in ("&&", ";"):
                    return op
                kind = "redirection" if op[-1] in "<>" or op == "&>" else "pipe"
                raise CommandError(kind, f"{op!r} needs a shell")
        raise AssertionError("unreachable: every operator character starts an operator")
