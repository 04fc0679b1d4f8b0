"""Real kernel restarts under nbval: the cells tagged ``restart-kernel`` end their kernel.

A notebook here may show that work survives a restart: a cell tagged ``restart-kernel`` ends its
kernel process (``os._exit(0)``). In JupyterLab the server's restarter notices the dead kernel
and starts a fresh one with the same connection file, as *Kernel → Restart Kernel* does. nbval
runs a notebook's cells in one kernel and knows no restart, so this plugin (pytest loads it when
nbval runs a notebook in this folder, as ``make test`` does through
``tests/notebook/test_notebooks.py``) runs the tagged cells the way the server handles them:

1. execute the cell's source;
2. wait until the kernel process has exited: a tagged cell that raises, or that leaves its kernel
   running after ``--restart-kernel-timeout`` seconds, fails;
3. drop what the dead kernel left in the client's channels: nbval picks replies by message id,
   but ``wait_for_ready`` takes any iopub message as the sign that iopub is connected;
4. restart the kernel (``KernelManager.restart_kernel(now=True)``, the restarter's call) and wait
   until it is ready; the new process must not be the old one.

The terminal summary lists each restart with the old and the new kernel's process id.
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Any

import pytest
from nbval.plugin import IPyNbCell

TAG = "restart-kernel"
RESTARTS = pytest.StashKey[list[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--restart-kernel-timeout",
        type=float,
        default=60.0,
        help="seconds a cell tagged restart-kernel has to end its kernel process (default 60)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if isinstance(item, IPyNbCell) and TAG in item.cell.metadata.get("tags", []):
            item.runtest = _restart_runner(item)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    restarts = config.stash.get(RESTARTS, [])
    if restarts:
        terminalreporter.write_sep("-", f"kernel restarts: {len(restarts)}")
        for line in restarts:
            terminalreporter.write_line(line)


def _kernel_pid(km: Any) -> int | None:
    """The kernel's process id (a local kernel's; None for other provisioners)."""
    pid = getattr(km.provisioner, "pid", None)
    return pid if isinstance(pid, int) else None


def _drain(kc: Any) -> None:
    """Drop every message already waiting on the client's shell and iopub channels."""
    for get in (kc.get_shell_msg, kc.get_iopub_msg):
        while True:
            try:
                get(timeout=0)
            except Empty:
                break


def _restart_runner(item: IPyNbCell) -> Any:
    def runtest() -> None:
        if item.options["skip"]:
            pytest.skip()
        kernel = item.parent.kernel
        km, kc = kernel.km, kernel.kc
        if not kernel.is_alive():
            raise RuntimeError("Kernel dead on test start")
        old_pid = _kernel_pid(km)
        timeout = float(item.config.getoption("restart_kernel_timeout"))
        msg_id = kernel.execute_cell_input(item.cell.source, allow_stdin=False)

        deadline = time.monotonic() + timeout
        while km.is_alive():
            if time.monotonic() > deadline:
                item.raise_cell_error(
                    f"The kernel (process {old_pid}) still runs {timeout:g} s after this cell "
                    f"tagged {TAG!r} was sent: such a cell must end its kernel process, as "
                    "os._exit(0) does"
                )
            try:
                msg = kc.get_shell_msg(timeout=0.1)
            except Empty:
                continue
            content = msg["content"]
            if msg["parent_header"].get("msg_id") == msg_id and content["status"] == "error":
                item.raise_cell_error(
                    f"The cell tagged {TAG!r} raised instead of ending its kernel",
                    "\n" + "\n".join(content["traceback"]),
                )
        exit_code = getattr(getattr(km.provisioner, "process", None), "returncode", None)

        _drain(kc)
        kernel.restart()
        try:
            kc.wait_for_ready(timeout=item.config.option.nbval_kernel_startup_timeout)
        except RuntimeError as error:
            item.raise_cell_error(f"The kernel did not come back after the restart: {error}")
        _drain(kc)

        new_pid = _kernel_pid(km)
        if new_pid is not None and new_pid == old_pid:
            item.raise_cell_error(f"The kernel was not restarted: process {old_pid} still runs")
        item.config.stash.setdefault(RESTARTS, []).append(
            f"{item.nodeid}: kernel process {old_pid} ended (exit code {exit_code}); "
            f"new kernel process {new_pid} is ready"
        )

    return runtest
