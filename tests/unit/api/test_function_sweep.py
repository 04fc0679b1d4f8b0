"""Function sweeps before any process starts: validation, the generated spec, the trial side."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
import yaml

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.api.functions import check_signature, function_spec
from jupyter_mlpipe.api.scripts import script_of
from jupyter_mlpipe.errors import InvalidArgument, SpecError
from jupyter_mlpipe.spec import parse_spec
from jupyter_mlpipe.tracking import function_trial
from jupyter_mlpipe.tracking.function_trial import FUNCTION_FILE, REASON_FILE

MATRIX = {"lr": {"values": [0.1, 0.2]}}


def train(lr: float, epochs: int = 2) -> dict[str, float]:
    return {"accuracy": 1 - lr, "epochs": epochs}


@pytest.fixture
def api(tmp_path: Path) -> Mlpipe:
    return Mlpipe(outputs_root=str(tmp_path / "out"), user="u", project="fn")


def _no_group(api: Mlpipe) -> None:
    assert api._store().groups() == []


def test_a_function_holding_a_lock_is_refused_before_any_group(api: Mlpipe) -> None:
    lock = threading.Lock()

    def locked(lr: float) -> None:
        with lock:
            pass

    with pytest.raises(InvalidArgument, match=r"locked cannot be sent.*cloudpickle fails with"
                       r" TypeError.*create such objects .* inside the function"):
        api.sweep(locked, matrix=MATRIX)
    _no_group(api)


def test_a_matrix_param_the_function_does_not_take_is_refused(api: Mlpipe) -> None:
    with pytest.raises(InvalidArgument, match=r"train\(lr, epochs=2\) takes no"
                       r" keyword argument 'momentum' — rename the matrix param"):
        api.sweep(train, matrix={**MATRIX, "momentum": {"values": [0.5]}})
    _no_group(api)


def test_a_required_argument_no_param_provides_is_refused(api: Mlpipe) -> None:
    def needs(lr: float, batch: int) -> None:
        return None

    with pytest.raises(InvalidArgument, match=r"needs 'batch', which no param provides"):
        api.sweep(needs, matrix=MATRIX)
    api.sweep(needs, matrix=MATRIX, params={"batch": 8}, dry_run=True)  # a fixed param will do
    _no_group(api)


def test_signature_rules_for_kwargs_and_positional_only() -> None:
    def anything(**kwargs: Any) -> None:
        return None

    def positional(lr: float, /) -> None:
        return None

    check_signature(anything, {"lr", "whatever"})
    with pytest.raises(InvalidArgument, match=r"positional\(lr, /\) takes no keyword"):
        check_signature(positional, {"lr"})
    with pytest.raises(InvalidArgument, match=r"positional\(lr, /\) needs 'lr'"):
        check_signature(positional, set())


def test_a_bad_matrix_is_a_spec_error_and_options_need_a_function(api: Mlpipe) -> None:
    with pytest.raises(SpecError, match="linspace"):
        api.sweep(train, matrix={"lr": {"linspace": "0.1:0.001:5"}})
    with pytest.raises(InvalidArgument, match="matrix apply to a function sweep only"):
        api.sweep(text="version: 1\nkind: experiment\nrun:\n  cmd: python -c pass\n", matrix=MATRIX)
    with pytest.raises(InvalidArgument, match="algorithm must be one of grid, random"):
        api.sweep(train, matrix=MATRIX, algorithm="annealing")
    with pytest.raises(InvalidArgument, match="matrix must map each param"):
        api.sweep(train, matrix={})
    _no_group(api)


def test_the_generated_spec_is_a_polyaxonfile_recording_the_versions() -> None:
    from jupyter_mlpipe.store import Objective

    text = function_spec(
        train,
        {"lr": {"linspace": "0.001:0.1:5"}},
        params={"epochs": 3},
        algorithm="bo",
        concurrency=2,
        search={"n_iterations": 4, "n_initial_trials": 2},
        seed=7,
        objective=Objective("accuracy", "max"),
    )
    spec = parse_spec(text)
    assert spec.algorithm == "bo" and spec.hptuning.concurrency == 2 and spec.hptuning.seed == 7
    assert spec.hptuning.metric is not None and spec.hptuning.metric.name == "accuracy"
    assert spec.declarations == {"epochs": 3}
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert spec.run.cmd == (
        "python -m jupyter_mlpipe.tracking.function_trial"
        f" --python {python} --cloudpickle {cloudpickle.__version__}"
    )
    assert yaml.safe_load(text)["hptuning"]["matrix"] == {"lr": {"linspace": "0.001:0.1:5"}}


def test_dry_run_plans_the_trials_and_creates_nothing(api: Mlpipe) -> None:
    plan = api.sweep(train, matrix=MATRIX, dry_run=True)
    assert [doc["params"] for doc in plan] == [{"lr": 0.1}, {"lr": 0.2}]
    assert plan[0]["argv"][:3] == ["python", "-m", "jupyter_mlpipe.tracking.function_trial"]
    _no_group(api)


def test_kubernetes_dry_run_renders_the_job_of_a_function_sweep(api: Mlpipe) -> None:
    with pytest.raises(InvalidArgument, match="needs image=REF: an image with Python"):
        api.sweep(train, matrix=MATRIX, backend="kubernetes", dry_run=True)
    docs = api.sweep(train, matrix=MATRIX, backend="kubernetes", dry_run=True, image="reg/t:1")
    probe, job, config = docs
    # first, the probe that checks the image runs this Python and cloudpickle
    assert probe["metadata"]["labels"]["mlpipe.io/component"] == "image-probe"
    assert probe["spec"]["template"]["spec"]["containers"][0]["image"] == "reg/t:1"
    assert job["kind"] == "Job" and job["spec"]["completions"] == 2
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "reg/t:1"
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    trial = json.loads(config["data"]["1.json"])
    assert trial["argv"][2] == "jupyter_mlpipe.tracking.function_trial"
    assert "--cloudpickle" in trial["argv"] and trial["params"] == {"lr": 0.2}
    # the pickled function travels on the outputs volume: the trial's folder is on that mount
    assert trial["outputs_path"].startswith(mounts["outputs"])
    _no_group(api)


def test_a_missing_script_is_refused_at_submit_with_the_path(api: Mlpipe, tmp_path: Path) -> None:
    spec = tmp_path / "sweep.yml"
    spec.write_text("version: 1\nkind: experiment\nrun:\n  cmd: python -u trian.py --lr=1\n")
    with pytest.raises(SpecError) as caught:
        api.sweep(spec)
    message = str(caught.value)
    assert message.startswith(f"{spec}:4:8: 'run.cmd' runs a script that does not exist")
    assert str(tmp_path / "trian.py") in message
    _no_group(api)


@pytest.mark.parametrize(
    ("argv", "script"),
    [
        (["python", "train.py"], "train.py"),
        (["python3.11", "-u", "-W", "ignore", "sub/train.py", "--x"], "sub/train.py"),
        (["/usr/bin/python3", "-X", "dev", "t.py"], "t.py"),
        (["python", "-m", "pkg.train"], None),
        (["python", "-mpkg"], None),
        (["python", "-c", "print(1)"], None),
        (["./run.sh", "--x"], "./run.sh"),
        (["bash", "run.sh"], None),
        (["/opt/tool"], None),
        ([], None),
    ],
)
def test_which_argument_is_the_script(argv: list[str], script: str | None) -> None:
    assert script_of(argv) == script


# -- the trial side, in this process ------------------------------------------------------------
@pytest.fixture
def trial_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    group = tmp_path / "groups" / "1"
    folder = group / "1"
    folder.mkdir(parents=True)
    monkeypatch.setenv("MLPIPE_TRIAL_OUTPUTS_PATH", str(folder))
    monkeypatch.setenv("MLPIPE_TRIAL_PARAMS", json.dumps({"lr": 0.25}))
    return folder


def _pickle(folder: Path, function: Any) -> None:
    (folder.parent / FUNCTION_FILE).write_bytes(cloudpickle.dumps(function))


def _versions() -> list[str]:
    return ["--python", function_trial.python_version(), "--cloudpickle", cloudpickle.__version__]


def _lines(folder: Path) -> list[dict[str, Any]]:
    from jupyter_mlpipe import tracking

    tracking.close()
    path = folder / "metrics.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_the_trial_calls_the_function_and_logs_what_it_returns(trial_dir: Path) -> None:
    _pickle(trial_dir, train)
    (trial_dir / REASON_FILE).write_text("left by an earlier attempt\n")
    assert function_trial.main(_versions()) == 0
    assert [line["values"] for line in _lines(trial_dir)] == [{"accuracy": 0.75, "epochs": 2}]
    assert not (trial_dir / REASON_FILE).exists()


def test_an_exception_fails_the_trial_with_its_last_line(
    trial_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(lr: float) -> None:
        raise ValueError(f"lr {lr} is too large\nsecond line")

    _pickle(trial_dir, broken)
    assert function_trial.main(_versions()) == function_trial.FAILED
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "second line" in err
    assert (trial_dir / REASON_FILE).read_text() == "ValueError: lr 0.25 is too large\n"


@pytest.mark.parametrize(
    ("returned", "reason"),
    [
        (0.9, "returned float, not a dict of final metrics"),
        ({"accuracy": "high"}, "returned metrics that cannot be logged"),
    ],
)
def test_a_return_value_that_is_not_metrics_fails_clearly(
    trial_dir: Path, returned: Any, reason: str
) -> None:
    _pickle(trial_dir, lambda lr: returned)
    assert function_trial.main(_versions()) == function_trial.FAILED
    assert reason in (trial_dir / REASON_FILE).read_text()


def test_a_version_mismatch_refuses_to_run(trial_dir: Path) -> None:
    ran: list[float] = []
    _pickle(trial_dir, lambda lr: ran.append(lr))
    code = function_trial.main(["--python", "2.7", "--cloudpickle", "0.1"])
    assert code == function_trial.MISMATCH == 2 and ran == []
    reason = (trial_dir / REASON_FILE).read_text()
    assert reason.startswith("the function was pickled with Python 2.7 and cloudpickle 0.1,")
    assert "pip install cloudpickle==0.1" in reason


def test_a_missing_or_broken_pickle_fails_clearly(trial_dir: Path) -> None:
    assert function_trial.main(_versions()) == function_trial.FAILED
    assert "no pickled function at" in (trial_dir / REASON_FILE).read_text()
    (trial_dir.parent / FUNCTION_FILE).write_bytes(b"not a pickle")
    assert function_trial.main(_versions()) == function_trial.FAILED
    assert "cannot load the function from" in (trial_dir / REASON_FILE).read_text()


def test_an_edited_command_line_is_refused(trial_dir: Path) -> None:
    _pickle(trial_dir, train)
    assert function_trial.main(["--python"]) == function_trial.MISMATCH
    assert "usage: python -m jupyter_mlpipe.tracking.function_trial" in (
        trial_dir / REASON_FILE
    ).read_text()
