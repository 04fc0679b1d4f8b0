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


def test_deployments_default_to_the_local_data_folder_wherever_the_process_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("MLPIPE_DEPLOYMENTS_ROOT", "MLPIPE_OUTPUTS_ROOT", "MLPIPE_REPOS_ROOT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data-home"))
    seen = set()
    for folder in (tmp_path / "a", tmp_path / "b"):
        folder.mkdir()
        monkeypatch.chdir(folder)
        loaded = Settings.load()
        assert loaded.sources["deployments_root"] == "default"
        assert loaded.deployments_root.is_absolute()
        assert loaded.deployments_root.parent == loaded.outputs_root.parent  # side by side
        seen.add(loaded.deployments_root)
    assert seen == {tmp_path / "data-home" / "mlpipe" / "deployments"}


def test_deployments_follow_an_explicit_repos_root_but_an_explicit_value_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MLPIPE_DEPLOYMENTS_ROOT", raising=False)
    monkeypatch.delenv("MLPIPE_REPOS_ROOT", raising=False)
    save_setting("repos_root", str(tmp_path / "repos"))  # the repos volume, as in a cluster
    loaded = Settings.load()
    assert loaded.deployments_root == (tmp_path / "repos" / "deployments").resolve()
    assert loaded.sources["deployments_root"] == "default (under repos_root)"
    monkeypatch.setenv("MLPIPE_REPOS_ROOT", str(tmp_path / "mounted"))
    assert Settings.load().deployments_root == (tmp_path / "mounted" / "deployments").resolve()
    # a later replace (the server extension adopting Jupyter's root folder) moves nothing
    replaced = Settings.load().replace(repos_root=str(tmp_path / "x"))
    assert replaced.deployments_root == (tmp_path / "mounted" / "deployments").resolve()
    monkeypatch.setenv("MLPIPE_DEPLOYMENTS_ROOT", str(tmp_path / "mine"))
    assert Settings.load().deployments_root == (tmp_path / "mine").resolve()
