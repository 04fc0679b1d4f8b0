"""Executors under contract: every implementation is plugged in here.

A factory takes a Store and returns a ready executor. The Kubernetes executor joins through
``tests/k8s`` (it runs against the loopback API double) when that package is importable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from jupyter_mlpipe.executors.local import LocalExecutor
from jupyter_mlpipe.store import Store


def _local(store: Store) -> Iterator[LocalExecutor]:
    executor = LocalExecutor(store, stop_grace=2.0)
    yield executor
    executor.stop(None)
    executor.close()


FACTORIES: dict[str, Callable[[Store], Iterator[Any]]] = {"local": _local}

try:  # the Kubernetes executor against the API double, when its test kit is present
    from tests.k8s.contract_kit import kubernetes_executor as _kubernetes

    FACTORIES["kubernetes"] = _kubernetes
except ImportError:  # pragma: no cover - the kit is part of the repository
    pass


@pytest.fixture(params=sorted(FACTORIES))
def make_executor(request: pytest.FixtureRequest) -> Iterator[Callable[[Store], Any]]:
    made: list[Iterator[Any]] = []

    def make(store: Store) -> Any:
        gen = FACTORIES[request.param](store)
        made.append(gen)
        return next(gen)

    yield make
    for gen in made:
        for _ in gen:
            pass
