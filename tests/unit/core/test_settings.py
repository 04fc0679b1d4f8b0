"""Settings: one registry, precedence override > environment > config file > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_mlpipe.errors import ConfigError
from jupyter_mlpipe.settings import REGISTRY, Settings, config_file, save_setting


def test_every_setting_is_declared_once_with_help() -> None:
    names = [s.name for s in REGISTRY]
    assert len(names) == len(set(names))
    assert all(s.help and s.env_var.startswith("MLPIPE_") for s in REGISTRY)


def test_precedence_and_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MLPIPE_PROJECT", raising=False)
    assert Settings.load().sources["project"] == "default"
    save_setting("project", "from-file")
    loaded = Settings.load()
    assert loaded.project == "from-file" and "config file" in loaded.sources["project"]
    monkeypatch.setenv("MLPIPE_PROJECT", "from-env")
    assert Settings.load().project == "from-env"
    over = Settings.load(overrides={"project": "from-flag"})
    assert over.project == "from-flag" and over.sources["project"] == "override"
    assert config_file().read_text().strip() == "project: from-file"


def test_bad_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLPIPE_BACKEND", "cloud")
    with pytest.raises(ConfigError, match="MLPIPE_BACKEND: bad value for backend"):
        Settings.load()
    monkeypatch.delenv("MLPIPE_BACKEND")
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.load(overrides={"colour": "blue"})
    with pytest.raises(ConfigError, match="bad value for stop_grace"):
        save_setting("stop_grace", "soon")


def test_broken_config_file_is_a_clear_error(tmp_path: Path) -> None:
    config_file().parent.mkdir(parents=True, exist_ok=True)
    config_file().write_text("backend: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        Settings.load()
    config_file().write_text("colour: blue\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.load()


def test_explain_lists_every_setting() -> None:
    rows = Settings.load().explain()
    assert [r["name"] for r in rows] == [s.name for s in REGISTRY]
    assert all({"value", "source", "env", "help"} <= set(r) for r in rows)
