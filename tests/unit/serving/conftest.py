"""Fixtures for the serving unit tests: model folders and an in-process ASGI caller."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

MODELS = Path(__file__).resolve().parents[2] / "fixtures" / "models"


@pytest.fixture
def models_dir() -> Path:
    return MODELS


@pytest.fixture
def restore_process_state() -> Iterator[None]:
    """Loading a model changes cwd, sys.path and sys.modules; put them back."""
    cwd, path, modules, environ = os.getcwd(), list(sys.path), set(sys.modules), dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    sys.path[:] = path
    package = str(Path(__file__).resolve().parents[3] / "jupyter_mlpipe")
    keep = (sys.prefix, sys.base_prefix, package)
    for name in set(sys.modules) - modules:
        # Only the model folders' modules: a library imported meanwhile must stay loaded.
        origin = getattr(sys.modules[name], "__file__", None) or ""
        if origin and not origin.startswith(keep):
            del sys.modules[name]
