"""Loading model folders as Seldon's wrapper does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jupyter_mlpipe.errors import DeployError
from jupyter_mlpipe.serving.loader import (
    inspect_folder,
    load_model,
    parse_environment,
    parse_parameters,
)

pytestmark = pytest.mark.usefixtures("restore_process_state")


def test_parse_environment() -> None:
    text = "# comment\nMODEL_NAME=MnistModel\n\nSERVICE_TYPE = MODEL\nX='a b'\nY=\"c\"\n"
    assert parse_environment(text) == {"MODEL_NAME": "MnistModel", "SERVICE_TYPE": "MODEL",
                                       "X": "a b", "Y": "c"}
    with pytest.raises(DeployError, match=":2: expected KEY=VALUE"):
        parse_environment("A=1\nnot a line\n")


def test_parse_parameters() -> None:
    params = parse_parameters(
        '[{"name": "a", "value": "3", "type": "INT"}, {"name": "b", "value": "0.5",'
        ' "type": "FLOAT"}, {"name": "c", "value": "true", "type": "BOOL"},'
        ' {"name": "d", "value": "x", "type": "STRING"}]')
    assert params == {"a": 3, "b": 0.5, "c": True, "d": "x"}
    with pytest.raises(DeployError, match="not a valid INT"):
        parse_parameters('[{"name": "a", "value": "x", "type": "INT"}]')
    with pytest.raises(DeployError, match="unknown type"):
        parse_parameters('[{"name": "a", "value": "x", "type": "DATE"}]')
    with pytest.raises(DeployError, match="not JSON"):
        parse_parameters("[")


def test_inspect_s2i_folder(models_dir: Path) -> None:
    spec = inspect_folder(models_dir / "rich", environ={})
    assert (spec.layout, spec.module, spec.class_name) == ("seldon", "RichModel", "RichModel")
    assert spec.environment["SERVICE_TYPE"] == "MODEL"
    spec = inspect_folder(models_dir / "rich", environ={
        "PREDICTIVE_UNIT_PARAMETERS": '[{"name": "scale", "value": "2", "type": "FLOAT"}]'})
    assert spec.parameters == {"scale": 2.0}


def test_inspect_mlserver_folder(models_dir: Path) -> None:
    spec = inspect_folder(models_dir / "mlserver", environ={})
    assert (spec.layout, spec.module, spec.class_name) == ("mlserver", "runtime", "EchoRuntime")
    assert spec.model_name == "echo-v2"
    assert spec.parameters == {"offset": 0.5}  # MLServer's own "uri" is not passed on


@pytest.mark.parametrize("files, fragment", [
    ({}, "neither"),
    ({".s2i/environment": "SERVICE_TYPE=MODEL\n"}, "MODEL_NAME is missing"),
    ({".s2i/environment": "MODEL_NAME=M\nSERVICE_TYPE=ROUTER\n"}, "not served locally"),
    ({".s2i/environment": "MODEL_NAME=a-b\n"}, "not a Python module.Class"),
    ({"model-settings.json": "{"}, "not valid JSON"),
    ({"model-settings.json": "{}"}, "implementation"),
])
def test_inspect_rejects_bad_folders(tmp_path: Path, files: dict[str, str],
                                     fragment: str) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    with pytest.raises(DeployError, match=fragment):
        inspect_folder(tmp_path, environ={})


def test_inspect_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="does not exist"):
        inspect_folder(tmp_path / "nope")


def test_load_runs_constructor_and_load_in_the_folder(models_dir: Path) -> None:
    spec = inspect_folder(models_dir / "rich", environ={})
    model = load_model(spec)
    assert type(model).__name__ == "RichModel" and model.loaded
    assert Path(os.getcwd()) == spec.folder
    assert os.environ["MODEL_NAME"] == "RichModel"  # s2i variables are exported


def test_load_async_load_and_parameters(models_dir: Path) -> None:
    model = load_model(inspect_folder(models_dir / "mlserver", environ={}))
    assert model.offset == 0.5


def _folder(tmp_path: Path, source: str, name: str = "Broken") -> Path:
    (tmp_path / ".s2i").mkdir()
    (tmp_path / ".s2i" / "environment").write_text(f"MODEL_NAME={name}\nSERVICE_TYPE=MODEL\n")
    (tmp_path / f"{name.split('.')[0]}.py").write_text(source)
    return tmp_path


@pytest.mark.parametrize("source, fragment", [
    ("raise RuntimeError('boom at import')\n", "cannot import"),
    ("class Other:\n    pass\n", "no class 'Broken'"),
    ("class Broken:\n    def __init__(self):\n        raise ValueError('ctor')\n", "constructor"),
    ("class Broken:\n    def load(self):\n        open('missing.dat')\n", "load\\(\\) failed"),
])
def test_load_failures_are_deploy_errors(tmp_path: Path, source: str, fragment: str) -> None:
    with pytest.raises(DeployError, match=fragment):
        load_model(inspect_folder(_folder(tmp_path, source), environ={}))


def test_module_dot_class_reference(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "class Impl:\n    def predict(self, X, names):\n        return X\n",
                     name="pkgmod.Impl")
    assert type(load_model(inspect_folder(folder, environ={}))).__name__ == "Impl"


def test_folder_modules_win_over_installed_ones(tmp_path: Path) -> None:
    # A helper module named like an installed package must still come from the folder.
    (tmp_path / "json_helpers.py").write_text("VALUE = 'folder'\n")
    folder = _folder(tmp_path, "import json_helpers\nclass Broken:\n"
                     "    value = json_helpers.VALUE\n")
    assert load_model(inspect_folder(folder, environ={})).value == "folder"


def test_dual_layout_folder_uses_the_s2i_class_and_the_mlserver_name(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "class Broken:\n    pass\n")
    (folder / "model-settings.json").write_text(
        '{"name": "digits", "implementation": "mlpipe_runtime.BrokenRuntime"}')
    spec = inspect_folder(folder, environ={})
    assert (spec.layout, spec.class_name, spec.model_name) == ("seldon", "Broken", "digits")
