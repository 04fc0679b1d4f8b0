"""Trial logs stay under their cap and log reads are bounded by bytes, whatever the trial wrote."""

from __future__ import annotations

import errno
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jupyter_mlpipe.executors.logs import CappedLog, follow_file, open_pump
from jupyter_mlpipe.settings import Settings
from jupyter_mlpipe.store.files import tail_lines

CAP = 256 << 10


def test_a_flood_of_lines_keeps_the_head_line_and_the_newest_tail(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    path.write_bytes(b"--- attempt 1: python trial.py\n")
    log = CappedLog(path, CAP)
    for i in range(60_000):  # ~1.1 MB in small writes: several cuts
        log.write(f"metric line {i:06d}\n".encode())
    log.close()
    data = path.read_bytes()
    assert len(data) <= CAP + 200
    lines = data.split(b"\n")
    assert lines[0] == b"--- attempt 1: python trial.py"
    assert lines[1].startswith(b"--- ") and b"bytes of output dropped" in lines[1]
    assert lines[-2] == b"metric line 059999"
    assert all(line.startswith(b"metric line ") for line in lines[2:-1])  # whole lines only
    dropped = int(lines[1].split()[1])
    kept = sum(len(line) + 1 for line in lines[2:-1])
    assert dropped + kept == 60_000 * len(b"metric line 000000\n")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_one_endless_line_is_capped_too(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    log = CappedLog(path, CAP)
    chunk = b"x" * (1 << 16)
    for _ in range(100):  # 6.5 MB without a newline
        log.write(chunk)
    log.write(b"END")
    log.close()
    assert path.stat().st_size <= CAP + 200
    assert path.read_bytes().endswith(b"xEND")


def test_no_cap_means_no_cut(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    log = CappedLog(path, 0)
    for _ in range(10):
        log.write(b"y" * CAP)
    log.close()
    assert path.stat().st_size == 10 * CAP


def test_a_full_disk_drops_output_without_raising(tmp_path: Path) -> None:
    """/dev/full answers every write with ENOSPC: the writer counts, never raises or blocks."""
    log = CappedLog(Path("/dev/full"), 0)
    log.write(b"lost line\n")
    assert log.lost == len(b"lost line\n")
    assert os.strerror(errno.ENOSPC) in log._error
    log.close()


def test_the_pump_drains_a_pipe_into_the_capped_log(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    write_end, pump = open_pump(path, CAP)
    with os.fdopen(write_end, "wb") as out:
        for i in range(50_000):
            out.write(f"{i}\n".encode())
    assert pump.join(timeout=60)
    assert path.read_bytes().endswith(b"49999\n")


def test_following_a_log_survives_a_cut(tmp_path: Path) -> None:
    path = tmp_path / "output.log"
    log = CappedLog(path, CAP)
    log.write(b"first\n")
    state = {"done": False}
    lines = follow_file(path, lambda: state["done"], interval=0.0)
    assert next(lines) == "first\n"
    for i in range(40_000):
        log.write(f"line {i}\n".encode())
    log.close()
    state["done"] = True
    rest = list(lines)
    assert rest[-1] == "line 39999\n" and any("dropped" in line for line in rest)


def _one_line_log(path: Path, megabytes: int, byte: bytes) -> Path:
    with open(path, "wb") as fh:
        for _ in range(16 * megabytes):
            fh.write(byte * (1 << 16))
    return path


def _peak_memory(fn: Callable[[], Any]) -> tuple[Any, int]:
    """``fn()`` and the peak of Python allocations while it ran."""
    tracemalloc.start()
    try:
        return fn(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_tail_reads_at_most_max_bytes_of_a_single_line_log(tmp_path: Path) -> None:
    path = _one_line_log(tmp_path / "output.log", 8, b"z")
    lines, peak = _peak_memory(lambda: tail_lines(path, 5, 1 << 20))
    assert len(lines) == 1 and len(lines[0]) == 1 << 20
    assert peak < 4 << 20


@pytest.mark.parametrize(
    "text,lines,expected",
    [
        ("a\nb\nc\n", 2, ["b", "c"]),
        ("a\nb\nc", 2, ["b", "c"]),
        ("a\nb\nc\n", 10, ["a", "b", "c"]),
        ("", 3, []),
        ("only\n", 1, ["only"]),
    ],
)
def test_tail_lines(tmp_path: Path, text: str, lines: int, expected: list[str]) -> None:
    path = tmp_path / "log"
    path.write_text(text)
    assert tail_lines(path, lines, 1 << 20) == expected


def test_tail_is_exact_across_block_boundaries(tmp_path: Path) -> None:
    path = tmp_path / "log"
    all_lines = [f"{i}" * (i % 97) for i in range(20_000)]
    path.write_text("\n".join(all_lines) + "\n")
    assert tail_lines(path, 1000, 1 << 30) == all_lines[-1000:]
    bounded = tail_lines(path, 20_000, 4096)
    assert sum(len(line) + 1 for line in bounded) <= 4096 + 1
    assert bounded[1:] == all_lines[-len(bounded) + 1:]
    assert all_lines[-len(bounded)].endswith(bounded[0])  # the first may be cut by the bound


def test_log_max_bytes_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings.load().log_max_bytes == 50 << 20
    monkeypatch.setenv("MLPIPE_LOG_MAX_BYTES", "1M")
    assert Settings.load().log_max_bytes == 1 << 20
    monkeypatch.setenv("MLPIPE_LOG_MAX_BYTES", "12")
    from jupyter_mlpipe.errors import ConfigError

    with pytest.raises(ConfigError, match="log_max_bytes"):
        Settings.load()


def test_following_a_huge_single_line_stays_bounded(tmp_path: Path) -> None:
    path = _one_line_log(tmp_path / "output.log", 4, b"w")
    pieces, peak = _peak_memory(lambda: list(follow_file(path, lambda: True, interval=0.0)))
    assert "".join(pieces) == "w" * (4 << 20)
    assert max(len(p) for p in pieces) <= 1 << 20 and peak < 16 << 20
