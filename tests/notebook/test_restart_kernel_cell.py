"""notebooks/conftest.py: under nbval, a cell tagged ``restart-kernel`` really restarts the kernel.

Each test writes a small notebook and the plugin (a copy of notebooks/conftest.py) into a
temporary folder and runs nbval on it in a separate pytest, as test_notebooks.py does.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from jupyter_mlpipe.proc import CompletedRun, run

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PLUGIN = Path(__file__).resolve().parents[2] / "notebooks" / "conftest.py"
RESTARTED = re.compile(r"kernel process (\d+) ended \(exit code 0\); new kernel process (\d+)")

BEFORE = """\
import os
from pathlib import Path

answer = 42
Path("kernel-pid").write_text(str(os.getpid()))"""


def _checked(source: str, printed: str) -> nbformat.NotebookNode:
    """A cell whose output nbval compares with ``printed``."""
    cell = new_code_cell(
        "# NBVAL_CHECK_OUTPUT\n" + source,
        outputs=[new_output("stream", name="stdout", text=printed)],
    )
    cell.execution_count = 1
    return cell


def _run_nbval(
    folder: Path, restart_source: str, *after: nbformat.NotebookNode, timeout: float = 60
) -> CompletedRun:
    """Run nbval on [BEFORE, a cell tagged restart-kernel with ``restart_source``, *after].

    ``timeout`` is the plugin's --restart-kernel-timeout: how long the tagged cell has to end
    its kernel.
    """
    restart = new_code_cell(restart_source, metadata={"tags": ["restart-kernel"]})
    notebook = new_notebook(cells=[new_code_cell(BEFORE), restart, *after])
    nbformat.write(notebook, folder / "restart.ipynb")
    shutil.copy(PLUGIN, folder / "conftest.py")
    (folder / "pytest.ini").write_text("[pytest]\n")
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "--nbval-lax",
        "--nbval-current-env",
        "--restart-kernel-timeout",
        str(timeout),
        "-p",
        "no:cacheprovider",
        "-v",
        "-c",
        str(folder / "pytest.ini"),
        str(folder / "restart.ipynb"),
    ]
    return run(argv, cwd=folder, timeout=600)


def test_the_tagged_cell_ends_the_kernel_and_a_new_one_runs_the_rest(tmp_path: Path) -> None:
    done = _run_nbval(
        tmp_path,
        "import os\n\nos._exit(0)",
        _checked('print("answer" in globals())', "False\n"),
        _checked(
            "import os\nfrom pathlib import Path\n\n"
            'print(os.getpid() != int(Path("kernel-pid").read_text()))',
            "True\n",
        ),
    )
    assert done.returncode == 0, done.output[-4000:]
    assert "4 passed" in done.output, done.output[-4000:]
    restarts = RESTARTED.findall(done.output)
    assert len(restarts) == 1, done.output[-4000:]
    old, new = (int(pid) for pid in restarts[0])
    assert old == int((tmp_path / "kernel-pid").read_text())  # the process the cells ran in
    assert new != old


@pytest.mark.parametrize(
    ("source", "timeout", "message"),
    [
        ("ended = False", 3, "still runs 3 s after this cell tagged 'restart-kernel' was sent"),
        ("1 / 0", 60, "The cell tagged 'restart-kernel' raised instead of ending its kernel"),
    ],
    ids=["runs-on", "raises"],
)
def test_a_tagged_cell_that_leaves_its_kernel_running_fails(
    tmp_path: Path, source: str, timeout: float, message: str
) -> None:
    done = _run_nbval(tmp_path, source, timeout=timeout)
    assert done.returncode != 0, done.output[-4000:]
    assert "1 failed, 1 passed" in done.output, done.output[-4000:]
    assert message in done.output, done.output[-4000:]
    assert not RESTARTED.search(done.output)
