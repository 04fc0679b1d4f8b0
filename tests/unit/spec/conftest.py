"""Helpers for spec tests: build small group specs around a matrix."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jupyter_mlpipe.spec import Spec, parse_spec

HEADER = "version: 1\nkind: group\nrun:\n  cmd: python train.py\n"


def group_text(matrix: str, hptuning: str = "", extra: str = "") -> str:
    """A group spec: ``hptuning`` lines (2-space indented) then ``matrix`` lines (4 spaces)."""
    return HEADER + extra + "hptuning:\n" + hptuning + "  matrix:\n" + matrix


@pytest.fixture
def group() -> Callable[..., Spec]:
    def build(matrix: str, hptuning: str = "", extra: str = "") -> Spec:
        return parse_spec(group_text(matrix, hptuning, extra), file="sweep.yml")

    return build
