"""Trial environment: MLPIPE_TRIAL_* wins over POLYAXON_*, bad JSON is explained, local fallback."""

from __future__ import annotations

import json
import os
import signal

import pytest

from jupyter_mlpipe import tracking
from jupyter_mlpipe.errors import TrackingError
from jupyter_mlpipe.tracking import _env

ALL_NAMES = [name for names in _env.NAMES.values() for name in names]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in ALL_NAMES:
        monkeypatch.delenv(name, raising=False)
    yield
    tracking.close()


def test_mlpipe_names_win_over_polyaxon_names(monkeypatch, tmp_path):
    monkeypatch.setenv("POLYAXON_RUN_OUTPUTS_PATH", str(tmp_path / "plx"))
    monkeypatch.setenv("MLPIPE_TRIAL_OUTPUTS_PATH", str(tmp_path / "mlpipe"))
    monkeypatch.setenv("POLYAXON_PARAMS", json.dumps({"lr": 1}))
    monkeypatch.setenv("MLPIPE_TRIAL_PARAMS", json.dumps({"lr": 0.02575}))
    monkeypatch.setenv("POLYAXON_EXPERIMENT_INFO", json.dumps({"experiment": 1}))
    monkeypatch.setenv("MLPIPE_TRIAL_INFO", json.dumps({"experiment": 2}))
    monkeypatch.setenv("POLYAXON_RUN_DATA_PATHS", json.dumps({"mnist": "/plx"}))
    monkeypatch.setenv("MLPIPE_TRIAL_DATA_PATHS", json.dumps({"mnist": "/data/mnist"}))
    monkeypatch.setenv("POLYAXON_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("MLPIPE_TRIAL_LOG_LEVEL", "INFO")
    assert tracking.in_trial()
    assert tracking.get_outputs_path() == str(tmp_path / "mlpipe")
    assert tracking.get_params() == {"lr": 0.02575}
    assert tracking.get_experiment_info() == {"experiment": 2}
    assert tracking.get_data_paths() == {"mnist": "/data/mnist"}
    assert tracking.get_log_level() == "INFO"


@pytest.mark.parametrize(
    ("name", "getter"),
    [
        ("POLYAXON_RUN_OUTPUTS_PATH", tracking.get_outputs_path),
        ("POLYAXON_OUTPUTS_PATH", tracking.get_outputs_path),
    ],
)
def test_polyaxon_outputs_names_are_fallbacks(monkeypatch, tmp_path, name, getter):
    monkeypatch.setenv(name, str(tmp_path))
    assert getter() == str(tmp_path)


def test_params_fall_back_to_params_then_declarations(monkeypatch):
    monkeypatch.setenv("POLYAXON_DECLARATIONS", json.dumps({"batch_size": 64}))
    assert tracking.get_params() == {"batch_size": 64}
    monkeypatch.setenv("POLYAXON_PARAMS", json.dumps({"batch_size": 128}))
    assert tracking.get_params() == {"batch_size": 128}


def test_polyaxon_json_encoded_log_level_is_decoded(monkeypatch):
    monkeypatch.setenv("POLYAXON_LOG_LEVEL", '"WARNING"')
    assert tracking.get_log_level() == "WARNING"


def test_nothing_set_means_empty_answers():
    assert tracking.get_params() == {}
    assert tracking.get_data_paths() == {}
    assert tracking.get_experiment_info() == {}
    assert tracking.get_log_level() is None
    assert not tracking.in_trial()


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"lr"'])
def test_garbled_json_names_the_variable(monkeypatch, text):
    monkeypatch.setenv("MLPIPE_TRIAL_PARAMS", text)
    with pytest.raises(TrackingError, match="MLPIPE_TRIAL_PARAMS must hold a JSON object"):
        tracking.get_params()


def test_outside_a_trial_metrics_go_to_a_local_folder(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_env, "_warned_local", False)
    handler_before = signal.getsignal(signal.SIGTERM)
    tracking.log_metrics(step=1, loss=0.5)
    tracking.log_metrics(step=2, loss=0.25)
    tracking.flush()
    local = tmp_path / "mlpipe-outputs"
    assert tracking.get_outputs_path() == str(local)
    lines = (local / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["values"]["loss"] for line in lines] == [0.5, 0.25]
    assert capsys.readouterr().err.count("not running as a trial") == 1
    # No signal handler is installed for a script run by hand (or for this test process).
    assert signal.getsignal(signal.SIGTERM) is handler_before


def test_close_resolves_the_outputs_path_again(monkeypatch, tmp_path):
    monkeypatch.setenv("MLPIPE_TRIAL_OUTPUTS_PATH", str(tmp_path / "a"))
    monkeypatch.setattr(tracking._lifecycle, "install_sigterm_handler", lambda: True)
    tracking.log_metrics(step=1, loss=1.0)
    tracking.close()
    monkeypatch.setenv("MLPIPE_TRIAL_OUTPUTS_PATH", str(tmp_path / "b"))
    tracking.log_metrics(step=2, loss=2.0)
    tracking.close()
    assert os.path.getsize(tmp_path / "a" / "metrics.jsonl") > 0
    assert json.loads((tmp_path / "b" / "metrics.jsonl").read_text())["step"] == 2


def test_logging_nothing_creates_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("MLPIPE_TRIAL_OUTPUTS_PATH", str(tmp_path / "x"))
    tracking.log_metrics(step=1)
    tracking.flush()
    assert not (tmp_path / "x").exists()


def test_compat_path_holds_the_shim():
    assert os.path.isfile(os.path.join(tracking.compat_path(), "polyaxon_helper.py"))
