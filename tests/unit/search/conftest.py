"""Helpers for search tests: small specs built from hptuning lines."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from jupyter_mlpipe.spec import Spec, parse_spec


@pytest.fixture
def spec_of() -> Callable[..., Spec]:
    def build(hptuning: str, matrix: str) -> Spec:
        text = (
            "version: 1\nkind: group\nrun:\n  cmd: python train.py\nhptuning:\n"
            + hptuning
            + "  matrix:\n"
            + matrix
        )
        return parse_spec(text, file="sweep.yml")

    return build
