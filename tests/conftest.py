"""Shared fixtures: every test gets its own outputs, data and deployments roots and config file."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_SCHEMAS = REPO.parent / "shared" / "schemas"


@pytest.fixture(autouse=True)
def _isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the user's real roots or config file."""
    base = tmp_path_factory.mktemp("mlpipe")
    monkeypatch.setenv("MLPIPE_OUTPUTS_ROOT", str(base / "outputs"))
    monkeypatch.setenv("MLPIPE_DATA_ROOT", str(base / "data"))
    monkeypatch.setenv("MLPIPE_DEPLOYMENTS_ROOT", str(base / "deployments"))
    monkeypatch.setenv("MLPIPE_CONFIG", str(base / "config.yaml"))
    monkeypatch.setenv("MLPIPE_STOP_GRACE", "3")


@pytest.fixture
def outputs_root() -> Path:
    import os

    return Path(os.environ["MLPIPE_OUTPUTS_ROOT"])
