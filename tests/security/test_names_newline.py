"""Names and values with a trailing newline are refused by every validator.

``re.match(r"^...$")`` accepts ``"nl\\n"`` because ``$`` also matches before a final newline; a
name like that became a folder, a record and a SeldonDeployment. Each validator is walked with
trailing-newline (and other near-miss) values, and a static check keeps ``$``-anchored patterns
out of the modules that validate names.
"""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

import jupyter_mlpipe
from jupyter_mlpipe.errors import DeployError, InvalidName
from jupyter_mlpipe.k8s.manifests.seldon import parse_canary
from jupyter_mlpipe.packaging import staging
from jupyter_mlpipe.serverext import requests as rq
from jupyter_mlpipe.serverext.errors import BadRequest
from jupyter_mlpipe.store.names import is_id, validate_name

PACKAGE = Path(jupyter_mlpipe.__file__).parent

VALID = {
    "name": "mnist",
    "metric": "val/accuracy",
    "identifier": "pkg.MnistModel",
    "image": "registry.local/mnist:0.1",
    "requirement": "numpy>=1.24",
}

VALIDATORS = {
    "name": lambda v: validate_name(v, "deployment"),
    "metric": rq.metric,
    "identifier": lambda v: rq.identifier(v, "model_class"),
    "image": rq.image,
    "requirement": lambda v: rq.requirements([v]),
}


@pytest.mark.parametrize("kind", sorted(VALIDATORS))
@pytest.mark.parametrize("suffix", ["\n", "\r\n", "\n\n", " \n", "\x00"])
def test_every_validator_refuses_a_trailing_newline(kind: str, suffix: str) -> None:
    validator = VALIDATORS[kind]
    validator(VALID[kind])  # the clean value passes
    with pytest.raises((InvalidName, BadRequest)):
        validator(VALID[kind] + suffix)
    with pytest.raises((InvalidName, BadRequest)):
        validator(suffix + VALID[kind])


@pytest.mark.parametrize("text", ["1\n", "\n1", "²", "١٢", "1²", "", "-1", "0x1", "1 "])
def test_ids_are_ascii_digits_only(text: str) -> None:
    assert not is_id(text)
    with pytest.raises(BadRequest):
        rq.parse_id(text, "group")
    with pytest.raises(BadRequest):
        rq.parse_int(text or "x", "tail", 1, 0, 10)


def test_canary_percent_and_cursor_refuse_newlines() -> None:
    assert parse_canary("mnist-v2:10") == ("mnist-v2", 10)
    for text in ("mnist-v2:10\n", "mnist-v2:١٠", "mnist-v2:²"):
        with pytest.raises(DeployError):
            parse_canary(text)
    with pytest.raises(BadRequest):
        rq.cursor("abc\n")


def test_store_listings_ignore_folders_named_with_other_digits(tmp_path: Path) -> None:
    """A folder named ``²`` (isdigit, but int() fails) planted in the groups folder is ignored."""
    from jupyter_mlpipe.store import Store
    from jupyter_mlpipe.store.records import GroupRecord

    store = Store(tmp_path, "u", "p")
    store.create_group(lambda gid: GroupRecord(
        id=gid, project="p", user="u", name="g", created=time.time(), spec_file="",
        project_dir=str(tmp_path), algorithm="grid", backend="local", concurrency=1,
        planned=0, status="succeeded"), "")
    for planted in ("²", "٣", "7\n"):
        (store.groups_dir / planted).mkdir()
    assert [g.id for g in store.groups()] == [1]


def test_stale_sibling_names_with_a_newline_are_left_alone(tmp_path: Path) -> None:
    name = f".m.tmp-{staging.host_tag()}-999999999-0123abcd"
    (tmp_path / (name + "\n")).mkdir()
    assert staging.clean_stale(tmp_path) == []
    assert (tmp_path / (name + "\n")).is_dir()


AREAS = ["store", "serverext/requests.py", "serverext/handlers.py", "packaging", "builders", "k8s",
         "settings.py"]


def _patterns(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                and node.func.attr in {"compile", "match", "fullmatch", "search"}
                and node.args and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return found


def test_no_dollar_anchored_validation_pattern_in_the_name_checking_modules() -> None:
    offenders = []
    for area in AREAS:
        root = PACKAGE / area
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in files:
            offenders += [f"{path.relative_to(PACKAGE)}:{line}: {pattern!r}"
                          for line, pattern in _patterns(path) if pattern.endswith("$")]
    assert offenders == [], "use fullmatch (or \\Z) instead of $: " + "; ".join(offenders)
