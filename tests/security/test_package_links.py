"""Links planted in an experiment's outputs (or next to the model code) never reach a package.

Anyone who can write to the outputs volume can plant ``leak.dat -> /etc/...`` or a linked
directory; packaging must skip such files (saying so), keep what stays inside, and preserve the
permission bits of what it copies.
"""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest

from jupyter_mlpipe.api import Mlpipe
from jupyter_mlpipe.errors import PackageError
from jupyter_mlpipe.packaging import contained, write_package
from jupyter_mlpipe.settings import Settings
from jupyter_mlpipe.store import Store
from jupyter_mlpipe.store.records import ExperimentStatus, GroupRecord

MODEL = "class Model:\n    def predict(self, X, names=None, meta=None):\n        return X\n"


@pytest.fixture()
def secret(tmp_path: Path) -> Path:
    """A file outside every experiment folder, readable by its owner only (like /etc/shadow)."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    path = folder / "shadow"
    path.write_text("root:secret-hash\n")
    path.chmod(0o600)
    return path


@pytest.fixture()
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "Model.py").write_text(MODEL)
    return folder


def _experiment(tmp_path: Path) -> tuple[Mlpipe, int, Path]:
    settings = Settings.load()
    store = Store(settings.outputs_root, settings.user, settings.project)
    now = time.time()
    gid = store.create_group(lambda gid: GroupRecord(
        id=gid, project=store.project, user=store.user, name="g", created=now, spec_file="",
        project_dir=str(tmp_path / "src"), algorithm="grid", backend="local", concurrency=1,
        planned=1, status="succeeded"), "version: 1\n").id
    (eid,) = store.create_experiments(gid, [{"lr": 0.1}])
    store.write_status(eid, ExperimentStatus(status="succeeded", created=now, started=now,
                                             finished=now, exit_code=0, attempt=1))
    return Mlpipe(settings), eid, store.experiment_dir(eid)


def _package_files(info) -> set[str]:
    folder = Path(info.path)
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_default_checkpoints_skip_a_link_to_a_secret(tmp_path, src, secret, caplog):
    api, eid, outputs = _experiment(tmp_path)
    (outputs / "model.dat").write_bytes(b"weights")
    (outputs / "model.dat").chmod(0o640)
    (outputs / "leak.dat").symlink_to(secret)
    (outputs / "inside.dat").symlink_to(outputs / "model.dat")  # a link that stays inside: fine
    with caplog.at_level(logging.WARNING, logger="jupyter_mlpipe"):
        info = api.package(eid, "leaky", source=src)
    files = _package_files(info)
    assert "leak.dat" not in files and {"model.dat", "inside.dat"} <= files
    assert info.skipped == (str(outputs / "leak.dat"),)
    assert info.to_dict()["skipped"] == [str(outputs / "leak.dat")]
    assert any("leak.dat" in r.getMessage() and "outside" in r.getMessage()
               for r in caplog.records)
    assert "secret-hash" not in "".join(
        p.read_text(errors="replace") for p in Path(info.path).rglob("*") if p.is_file())
    # modes are preserved, never widened
    assert stat.S_IMODE((Path(info.path) / "model.dat").stat().st_mode) == 0o640


def test_explicit_checkpoint_through_a_linked_directory_is_refused(tmp_path, src, secret):
    api, eid, outputs = _experiment(tmp_path)
    (outputs / "etcdir").symlink_to(secret.parent, target_is_directory=True)
    with pytest.raises(PackageError, match="outside the experiment folder"):
        api.package(eid, "leaky", source=src, checkpoints=["etcdir/shadow"])
    assert not (Path(os.environ["MLPIPE_DEPLOYMENTS_ROOT"]) / "leaky").exists()
    (outputs / "model.dat").write_bytes(b"weights")
    info = api.package(eid, "leaky", source=src, checkpoints=["model.dat", "etcdir/shadow"])
    assert _package_files(info) >= {"model.dat"} and "shadow" not in _package_files(info)
    assert info.skipped == (str(outputs / "etcdir" / "shadow"),)


def test_only_links_leave_the_folder(tmp_path, src, secret):
    """A link to a secret planted at every place packaging reads: none of them is followed."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "w.bin").write_bytes(b"w")
    (src / "helper.py").symlink_to(secret)
    (src / "requirements.txt").symlink_to(secret)
    (src / "pkg").symlink_to(secret.parent, target_is_directory=True)
    (secret.parent / "__init__.py").write_text("")
    info = write_package(tmp_path / "d", "m", source=src, checkpoints=[out / "w.bin"],
                         model_class="Model", outputs=out)
    files = _package_files(info)
    assert "helper.py" not in files and not any(f.startswith("pkg/") for f in files)
    assert "secret" not in (Path(info.path) / "requirements.txt").read_text()
    assert set(info.skipped) == {str(src / n) for n in ("helper.py", "pkg", "requirements.txt")}


def test_a_link_swapped_after_the_check_is_caught_on_the_opened_file(tmp_path, secret):
    """The containment check is made on the descriptor, so a swap between check and copy fails."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "w.bin").write_bytes(b"w")
    contained.check_inside(out / "w.bin", out)
    (out / "w.bin").unlink()
    (out / "w.bin").symlink_to(secret)
    with pytest.raises(contained.Escapes, match="outside"):
        contained.open_inside(out / "w.bin", out)
    os.mkfifo(out / "pipe")  # a FIFO is never opened for a blocking read
    with pytest.raises(contained.Escapes, match="not a regular file"):
        contained.open_inside(out / "pipe", out)


def test_explicit_absolute_file_outside_the_experiment_is_the_callers_choice(tmp_path, src):
    api, eid, _ = _experiment(tmp_path)
    mine = tmp_path / "mine.pt"
    mine.write_bytes(b"m")
    info = api.package(eid, "mine", source=src, checkpoints=[mine])
    assert "mine.pt" in _package_files(info) and info.skipped == ()


def test_relative_chained_and_looping_links(tmp_path, src, secret):
    """Cases in the manner of tarfile's data filter: relative '..' links, a chain that leaves on
    its last hop, a loop, a link back to the folder itself."""
    api, eid, outputs = _experiment(tmp_path)
    (outputs / "model.dat").write_bytes(b"weights")
    (outputs / "up.dat").symlink_to(os.path.relpath(secret, outputs))  # ../../..
    (outputs / "hop2.dat").symlink_to(secret)
    (outputs / "hop1.dat").symlink_to("hop2.dat")  # inside, then outside
    (outputs / "loop1.dat").symlink_to("loop2.dat")
    (outputs / "loop2.dat").symlink_to("loop1.dat")
    (outputs / "self").symlink_to(outputs, target_is_directory=True)
    info = api.package(eid, "chains", source=src)
    assert _package_files(info) == {"model.dat", "lineage.json", "requirements.txt",
                                    ".s2i/environment", "Model.py"}
    assert set(info.skipped) == {str(outputs / n) for n in ("up.dat", "hop1.dat", "hop2.dat")}
    with pytest.raises(PackageError, match="does not exist"):
        api.package(eid, "loops", source=src, checkpoints=["loop1.dat"])
    inside = api.package(eid, "through-self", source=src, checkpoints=["self/model.dat"])
    assert "model.dat" in _package_files(inside) and inside.skipped == ()
