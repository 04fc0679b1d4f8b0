"""Refusing, at submit, a sweep whose ``run.cmd`` runs a script that is not there.

Without this check a typo in ``python trian.py`` is found only when every experiment exits with
code 2. The rule is deliberately narrow, so it never refuses a command that could work:

- ``python[3[.X]] [options] SCRIPT ...``: ``SCRIPT`` must exist (``-m MODULE``, ``-c CODE`` and
  ``-`` are not scripts; options that take a value, ``-W`` and ``-X``, are skipped with it);
- ``./tool`` or ``dir/tool`` (a relative program path): the program must exist.

Paths are resolved against the folder the trials run in (the spec file's folder, or the current
folder for a spec given as text); absolute paths are taken as written. Programs looked up on
``PATH`` (``bash train.sh`` included) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import SpecError

_PYTHON = re.compile(r"python(\d+(\.\d+)?)?$")
#: Interpreter options whose value is the next argument.
_OPTIONS_WITH_VALUE = {"-W", "-X"}
#: Interpreter options after which no script follows.
_NO_SCRIPT = {"-m", "-c", "-"}


def script_of(argv: Sequence[str]) -> str | None:
    """The file ``argv`` runs, when it names one (see the module doc), else None.

    >>> script_of(["python", "-u", "train.py", "--lr=0.1"])
    'train.py'
    >>> script_of(["python", "-m", "pkg.train"]) is None
    True
    """
    if not argv:
        return None
    program = argv[0]
    if not _PYTHON.match(Path(program).name):
        return program if "/" in program and not program.startswith("/") else None
    args = iter(argv[1:])
    for arg in args:
        if arg in _NO_SCRIPT or arg.startswith(("-m", "-c")) and len(arg) > 2:
            return None
        if arg in _OPTIONS_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def check_scripts(spec: Any, plan: Sequence[dict[str, Any]], project_dir: Path) -> None:
    """Refuse a sweep whose trials would run a missing script (one check per distinct path).

    Args:
        spec: the parsed spec (its ``run`` position locates the error).
        plan: the experiments' params and argv (``{"argv": [...]}`` each).
        project_dir: the folder the trials run in.

    Raises:
        SpecError: at ``run.cmd``, naming the path it looked for.
    """
    seen: set[str] = set()
    for doc in plan:
        script = script_of([str(a) for a in doc.get("argv", ())])
        if script is None or script in seen:
            continue
        seen.add(script)
        path = Path(script) if Path(script).is_absolute() else project_dir / script
        if not path.exists():
            raise SpecError(
                "'run.cmd' runs a script that does not exist",
                str(path),
                f"check the name, or start the sweep where the script is (trials run in"
                f" {project_dir}: the spec file's folder, or the current one for a spec given"
                " as text)",
                file=spec.file,
                line=spec.run.line or None,
                col=spec.run.col or None,
            )
