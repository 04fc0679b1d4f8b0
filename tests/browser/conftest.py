"""A real JupyterLab with the extension, on a free loopback port with a random token.

The extension is found the way an installed wheel provides it: the built labextension under
``<data dir>/share/jupyter/labextensions/jupyter-mlpipe`` (here a link to the build output in
the source tree) and the server extension switched on by the shipped
``jupyter_server_config.d/jupyter_mlpipe.json``. Everything the server writes goes to tmp folders.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from jupyter_mlpipe import proc

REPO = Path(__file__).resolve().parents[2]
BUILT = REPO / "jupyter_mlpipe" / "labextension"
ARTIFACTS = REPO / "tests" / "artifacts"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the item, so fixtures can tell that the test failed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def jupyter_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Jupyter data and config paths holding this extension exactly as the wheel lays it out."""
    if not (BUILT / "package.json").is_file():
        pytest.fail(
            f"the labextension is not built ({BUILT} is missing) — run `pip install -e .` or "
            "`npm ci && npm run build` in labextension/"
        )
    base = tmp_path_factory.mktemp("jupyter")
    ext = base / "share" / "jupyter" / "labextensions" / "jupyter-mlpipe"
    ext.mkdir(parents=True)
    # the wheel's shared-data: the build output plus install.json, side by side
    for item in BUILT.iterdir():
        (ext / item.name).symlink_to(item, target_is_directory=item.is_dir())
    (ext / "install.json").symlink_to(REPO / "labextension" / "install.json")
    config = base / "etc" / "jupyter"
    shutil.copytree(REPO / "jupyter-config", config)
    user = base / "user"
    return {
        "JUPYTER_PATH": str(base / "share" / "jupyter"),
        "JUPYTER_CONFIG_PATH": str(config),
        "JUPYTER_CONFIG_DIR": str(user / "config"),
        "JUPYTER_DATA_DIR": str(user / "data"),
        "JUPYTER_RUNTIME_DIR": str(user / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(user / "lab-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(user / "lab-workspaces"),
    }


def lab_env(jupyter_dirs: dict[str, str], roots: Path) -> dict[str, str]:
    """The environment of the Jupyter server (and so of the sweeps it starts)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLPIPE_", "JUPYTER"))}
    env.update(jupyter_dirs)
    env.update(
        {
            "MLPIPE_OUTPUTS_ROOT": str(roots / "outputs"),
            "MLPIPE_DEPLOYMENTS_ROOT": str(roots / "deployments"),
            "MLPIPE_DATA_ROOT": str(roots / "data"),
            "MLPIPE_REPOS_ROOT": str(roots / "repos"),
            "MLPIPE_CONFIG": str(roots / "config.yaml"),
            "MLPIPE_STOP_GRACE": "3",
            # the venv's python runs the trials; the source tree is importable even uninstalled
            "PATH": os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", ""),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")])),
        }
    )
    return env


def run_logged(argv: list[str], env: dict[str, str] | None, log: Path, timeout: float) -> str:
    """Run ``argv`` to the end with its output in ``log``; fail with the output if it fails."""
    child = proc.spawn(argv, env=env, stdout_path=log, detached=True)
    try:
        code = child.wait(timeout=timeout)
    except BaseException:
        proc.terminate_group(child.pid, 5.0)
        child.wait(timeout=30)
        raise
    output = log.read_text(errors="replace")
    assert code == 0, f"{argv[:4]} exited {code}:\n{output[-4000:]}"
    return output


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    roots: Path
    env: dict[str, str]

    def api(self, path: str, method: str = "GET") -> object:
        request = urllib.request.Request(
            f"{self.url}mlpipe/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


@pytest.fixture
def lab(
    jupyter_dirs: dict[str, str], tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Lab]:
    roots = tmp_path / "roots"
    (roots / "repos").mkdir(parents=True)
    env = lab_env(jupyter_dirs, roots)
    token, port = secrets.token_hex(16), _free_port()
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--ServerApp.token={token}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.allow_root=True",
        f"--ServerApp.root_dir={roots / 'repos'}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log = tmp_path / "jupyter.log"
    server = proc.spawn(argv, cwd=roots / "repos", env=env, stdout_path=log)
    lab = Lab(url=f"http://127.0.0.1:{port}/", token=token, roots=roots, env=env)
    try:
        _wait_ready(lab, server, log)
        yield lab
    finally:
        _undeploy_all(lab)
        proc.terminate_group(server.pid, 10.0)
        server.wait(timeout=30)
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(log, ARTIFACTS / "failure-jupyter.log")


def _wait_ready(lab: Lab, server: object, log: Path) -> None:
    for _ in range(240):
        if server.poll() is not None:  # type: ignore[attr-defined]
            raise AssertionError(f"jupyter lab exited:\n{log.read_text()[-3000:]}")
        try:
            lab.api("groups")
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.25)
    raise AssertionError(f"jupyter lab did not answer:\n{log.read_text()[-3000:]}")


def _undeploy_all(lab: Lab) -> None:
    """Stop model servers a failed test may have left (they are separate processes)."""
    from jupyter_mlpipe.api import Mlpipe

    api = Mlpipe(
        outputs_root=str(lab.roots / "outputs"), deployments_root=str(lab.roots / "deployments")
    )
    for name in list(api.deployments().index):
        api.undeploy(str(name))
