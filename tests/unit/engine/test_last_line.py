"""A failed trial's one-line reason: the last line its process wrote."""

from __future__ import annotations

from pathlib import Path

from jupyter_mlpipe.executors.local import exit_message
from jupyter_mlpipe.executors.logs import last_line


def test_the_last_written_line_is_the_reason(tmp_path: Path) -> None:
    log = tmp_path / "output.log"
    log.write_text("--- attempt 1: python train.py\nepoch 1\nValueError: lr too large\n\n  \n")
    assert last_line(log) == "ValueError: lr too large"


def test_nothing_written_gives_no_reason(tmp_path: Path) -> None:
    log = tmp_path / "output.log"
    log.write_text("--- attempt 2: python train.py\n")
    assert last_line(log) == ""
    assert last_line(tmp_path / "missing.log") == ""


def test_a_long_line_is_cut_and_bytes_that_are_not_text_are_replaced(tmp_path: Path) -> None:
    log = tmp_path / "output.log"
    log.write_bytes(b"x" * 20000 + b"\n" + b"\xff" * 300 + b"\n")
    line = last_line(log)
    assert len(line) == 160 and line.endswith("…") and line.startswith("\ufffd")


def test_exit_messages_name_signals() -> None:
    assert exit_message(1) == "exited with code 1" and exit_message(-9) == "killed by SIGKILL"
