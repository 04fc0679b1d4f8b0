"""The error table: every MlpipeError class has one HTTP status and one exit code.

The tree is walked with ``__subclasses__`` after importing every module of the package, so a
class defined anywhere (the CLI's parse error, the server's bad request, a new one) is checked.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import jupyter_mlpipe
from jupyter_mlpipe import errors
from jupyter_mlpipe.errors import (
    ERROR_TABLE,
    RESERVED_EXIT_CODES,
    Conflict,
    MlpipeError,
    Outcome,
    outcome_of,
)

# The caller's mistakes, decided here independently of the table: asking differently fixes them.
CLIENT_MISTAKES = (
    errors.SpecError,
    errors.ConfigError,
    errors.InvalidArgument,
    errors.InvalidName,
    errors.NotFound,
    errors.Conflict,
    errors.TrackingError,
    errors.PackageError,
)


def _import_everything() -> None:
    for info in pkgutil.walk_packages(jupyter_mlpipe.__path__, "jupyter_mlpipe."):
        if info.name.rsplit(".", 1)[-1] == "__main__":  # importing it would run a program
            continue
        importlib.import_module(info.name)


def _tree(root: type[MlpipeError]) -> list[type[MlpipeError]]:
    found: list[type[MlpipeError]] = []
    todo = [root]
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.append(cls)
            todo.extend(cls.__subclasses__())
    return found


@pytest.fixture(scope="module")
def tree() -> list[type[MlpipeError]]:
    _import_everything()
    classes = _tree(MlpipeError)
    assert len(classes) > len(ERROR_TABLE)  # the walk reached classes defined outside errors.py
    return classes


def _nearest_rows(cls: type[MlpipeError]) -> set[Outcome]:
    """The rows of the listed ancestors no other listed ancestor is more specific than."""
    listed = [k for k in cls.__mro__ if k in ERROR_TABLE]
    nearest = [k for k in listed if not any(o is not k and issubclass(o, k) for o in listed)]
    return {ERROR_TABLE[k] for k in nearest}


def test_every_class_of_errors_py_has_its_own_row() -> None:
    defined = {
        obj
        for obj in vars(errors).values()
        if isinstance(obj, type) and issubclass(obj, MlpipeError)
    }
    assert defined == set(ERROR_TABLE)


def test_every_class_anywhere_has_exactly_one_status_and_exit_code(
    tree: list[type[MlpipeError]],
) -> None:
    for cls in tree:
        rows = _nearest_rows(cls)
        assert len(rows) == 1, f"{cls.__qualname__} inherits conflicting rows {rows} — list it"
        (row,) = rows
        assert outcome_of(cls) == row
        assert 400 <= row.http_status <= 599, cls
        assert 1 <= row.exit_code <= 125 and row.exit_code not in RESERVED_EXIT_CODES, cls


def test_no_client_mistake_is_a_server_error(tree: list[type[MlpipeError]]) -> None:
    mistakes = [cls for cls in tree if issubclass(cls, CLIENT_MISTAKES)]
    assert {c.__name__ for c in mistakes} >= {"ArgError", "BadRequest", "Conflict"}
    for cls in mistakes:
        assert 400 <= outcome_of(cls).http_status < 500, cls


def test_the_server_and_the_cli_read_the_table(tree: list[type[MlpipeError]]) -> None:
    from jupyter_mlpipe.serverext.errors import http_error

    for cls in tree:
        exc = cls.__new__(cls)  # no constructor arguments needed to read the mapping
        status, body = http_error(exc)
        assert status == exc.http_status == outcome_of(cls).http_status
        assert body["error"]["type"] == cls.__name__
        assert exc.exit_code == outcome_of(cls).exit_code


def test_statuses_and_codes_of_the_main_families() -> None:
    assert outcome_of(errors.NotFound) == Outcome(404, 3)
    assert outcome_of(errors.InvalidArgument("x")) == Outcome(400, 2)
    assert outcome_of(Conflict("exists")) == Outcome(409, 5)
    assert outcome_of(errors.StoreError("bad")) == Outcome(500, 1)


def test_an_unexpected_exception_is_a_500_that_hides_internals() -> None:
    from jupyter_mlpipe.serverext.errors import http_error

    status, body = http_error(KeyError("secret/path"))
    assert status == 500 and "secret" not in body["error"]["message"]
    with pytest.raises(TypeError, match="not an MlpipeError"):
        outcome_of(KeyError)


def test_the_table_in_the_docs_matches(tree: list[type[MlpipeError]]) -> None:
    from pathlib import Path

    page = (Path(__file__).resolve().parents[3] / "docs" / "errors.md").read_text()
    for cls, row in ERROR_TABLE.items():
        line = f"| `{cls.__name__}` | {row.http_status} | {row.exit_code} |"
        assert line in page, f"docs/errors.md lacks the row {line!r}"
