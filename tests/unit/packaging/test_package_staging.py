"""Copy-with-hash and the temporary-sibling rules behind atomic landing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from jupyter_mlpipe.packaging import copying, staging


@pytest.mark.parametrize("size", [0, 1, copying.CHUNK - 1, copying.SMALL, copying.SMALL + 1,
                                  3 * copying.CHUNK + 12345])
def test_copy_hashed_matches_hashlib(tmp_path, size):
    src = tmp_path / "src.bin"
    data = os.urandom(size)
    src.write_bytes(data)
    digest, copied = copying.copy_hashed(src, tmp_path / "dst.bin")
    assert (digest, copied) == (hashlib.sha256(data).hexdigest(), size)
    assert (tmp_path / "dst.bin").read_bytes() == data
    assert copying.sha256_file(tmp_path / "dst.bin") == digest


def test_copy_hashed_never_overwrites(tmp_path):
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "b").write_bytes(b"b")
    with pytest.raises(FileExistsError):
        copying.copy_hashed(tmp_path / "a", tmp_path / "b")
    assert (tmp_path / "b").read_bytes() == b"b"


def test_buffered_copy_write_error_propagates(tmp_path, monkeypatch):
    src = tmp_path / "src.bin"
    src.write_bytes(os.urandom(copying.SMALL + 10))

    def broken(fd, view):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(copying, "KERNEL_COPY", False)
    monkeypatch.setattr(copying, "_write_all", broken)
    with pytest.raises(OSError, match="No space"):
        copying.copy_hashed(src, tmp_path / "dst.bin")


@pytest.mark.parametrize("kernel", [True, False])
def test_both_large_file_paths_hash_what_landed(tmp_path, monkeypatch, kernel):
    monkeypatch.setattr(copying, "KERNEL_COPY", kernel)
    data = os.urandom(5 * copying.CHUNK + 7)
    (tmp_path / "src.bin").write_bytes(data)
    digest, size = copying.copy_hashed(tmp_path / "src.bin", tmp_path / "dst.bin")
    assert (digest, size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert (tmp_path / "dst.bin").read_bytes() == data


def test_kernel_copy_falls_back_and_reports_enospc(tmp_path, monkeypatch):
    data = os.urandom(copying.SMALL + 10)
    (tmp_path / "src.bin").write_bytes(data)

    def cross_device(*args):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(copying, "_copy_range", cross_device)
    digest, _ = copying.copy_hashed(tmp_path / "src.bin", tmp_path / "a.bin")
    assert digest == hashlib.sha256(data).hexdigest()
    real = os.copy_file_range
    calls = []

    def full(src, dst, count, offset_src, offset_dst):
        calls.append(offset_src)
        if len(calls) > 1:
            raise OSError(28, "No space left on device")
        return real(src, dst, count, offset_src, offset_dst)

    monkeypatch.setattr(copying, "_copy_range", full)
    with pytest.raises(OSError, match="No space"):
        copying.copy_hashed(tmp_path / "src.bin", tmp_path / "b.bin")


def _dead_pid() -> int:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_clean_stale_removes_dead_owners_only(tmp_path):
    dead, host = _dead_pid(), staging.host_tag()
    (tmp_path / "keep").mkdir()
    (tmp_path / f".keep.tmp-{host}-{dead}-abcd0123").mkdir()
    (tmp_path / f".live.tmp-{host}-{os.getpid()}-abcd0123").mkdir()
    (tmp_path / ".unrelated").mkdir()
    (tmp_path / f".gone.old-{host}-{dead}-beef0123").mkdir()
    (tmp_path / f".gone.old-{host}-{dead}-beef0123" / "model.dat").write_text("old")
    (tmp_path / f".keep.old-{host}-{dead}-01234567").mkdir()
    fresh = tmp_path / f".keep.tmp-other-host-{dead}-abcd0123"
    fresh.mkdir()
    old = tmp_path / f".keep.tmp-other-host-{dead}-ffff0000"
    old.mkdir()
    os.utime(old, (0, 0))  # another host's leftover, untouched for ages
    removed = staging.clean_stale(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f".keep.tmp-other-host-{dead}-abcd0123",
                     f".live.tmp-{host}-{os.getpid()}-abcd0123", ".unrelated", "gone", "keep"]
    assert (tmp_path / "gone" / "model.dat").read_text() == "old"  # put back: never landed
    assert len(removed) == 3


def test_sibling_names_round_trip():
    path = staging.sibling(Path("/r"), "my-model", "tmp")
    match = staging._SIBLING.match(path.name)
    assert match and match["name"] == "my-model" and match["host"] == staging.host_tag()
    assert int(match["pid"]) == os.getpid()


def test_land_refuses_existing_and_replaces_atomically(tmp_path):
    final = tmp_path / "pkg"
    final.mkdir()
    (final / "v").write_text("1")
    new = staging.sibling(tmp_path, "pkg", "tmp")
    new.mkdir()
    (new / "v").write_text("2")
    with pytest.raises(FileExistsError):
        staging.land(new, final, replace=False)
    staging.land(new, final, replace=True)
    assert (final / "v").read_text() == "2"
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]


def test_land_without_exchange_support(tmp_path, monkeypatch):
    monkeypatch.setattr(staging, "_libc_exchange", lambda a, b: False)
    final = tmp_path / "pkg"
    final.mkdir()
    new = staging.sibling(tmp_path, "pkg", "tmp")
    new.mkdir()
    (new / "v").write_text("2")
    staging.land(new, final, replace=True)
    assert (final / "v").read_text() == "2"
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]


def test_source_rule_skips_subfolders_hidden_and_checkpoints(tmp_path):
    from jupyter_mlpipe.packaging.source import infer_requirements, select_sources

    (tmp_path / "A.py").write_text("import sklearn.linear_model\nimport B\nfrom . import c\n")
    (tmp_path / "B.py").write_text("from PIL import Image\nimport json\n")
    (tmp_path / "big.txt").write_bytes(b"x" * (2 << 20))
    (tmp_path / "w.pt").write_bytes(b"w")
    (tmp_path / ".env.py").write_text("")
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("import scipy\n")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("from pkg import x\n")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "x.py").write_text("")
    (tmp_path / "data").mkdir()  # not a package
    (tmp_path / "data" / "x.py").write_text("")
    chosen = select_sources(Path(tmp_path))
    assert [p.relative_to(tmp_path).as_posix() for p in chosen.files] == [
        "A.py", "B.py", "pkg/__init__.py", "pkg/sub/__init__.py"]
    assert infer_requirements(chosen.files, tmp_path, "A") == ["pillow", "scikit-learn"]
    (tmp_path / "A.py").write_text("import pkg.sub\nimport jupyter_mlpipe\n")
    assert infer_requirements(chosen.files, tmp_path, "A") == ["scipy"]  # through pkg/__init__
    assert infer_requirements(chosen.files, tmp_path, "B") == ["pillow"]


def test_land_never_replaces_even_an_empty_folder(tmp_path, monkeypatch):
    final = tmp_path / "pkg"
    final.mkdir()  # appeared between the existence check and the rename
    new = staging.sibling(tmp_path, "pkg", "tmp")
    new.mkdir()
    with pytest.raises(FileExistsError):
        staging.land(new, final, replace=False)
    monkeypatch.setattr(staging, "_renameat2", lambda a, b, flags: False)
    with pytest.raises(FileExistsError):
        staging.land(new, final, replace=False)
    assert new.exists() and final.exists()
