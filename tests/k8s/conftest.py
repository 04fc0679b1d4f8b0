"""Fixtures: a running API double and a client pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .double import KubeDouble


@pytest.fixture
def kd() -> Iterator[KubeDouble]:
    with KubeDouble(namespace="team") as double:
        yield double


@pytest.fixture
def kc(kd: KubeDouble) -> Iterator[Any]:
    client = kd.client()
    yield client
    client.close()
