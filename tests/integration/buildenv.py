"""A container build environment for tests on a machine with no Docker engine and no pulls.

Pieces, each cached where the machine keeps them (``~/.cache/mlpipe-test/``, or
``MLPIPE_TEST_CACHE``):

* containers configuration (storage, engine, registries) in files named by
  ``CONTAINERS_STORAGE_CONF`` / ``CONTAINERS_CONF`` / ``CONTAINERS_REGISTRIES_CONF`` — nothing is
  written under /etc; image storage lives in the cache folder;
* a Debian rootfs tarball made with ``mmdebstrap --variant=minbase`` plus python3, pip and venv,
  keyed by a hash of the recipe, imported as a base image (``FROM scratch`` + ``ADD``);
* a stand-in for Seldon's python builder image: the base plus ``seldon-core==1.17.1`` in a venv
  and minimal ``/s2i/bin/assemble`` and ``/s2i/bin/run`` scripts honouring the same contract;
* a loopback registry: Debian's ``docker-registry`` with a config of our own (no auth,
  127.0.0.1:<free port>, storage in a temporary folder), stopped by the caller.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from jupyter_mlpipe import proc

TOOLS = ("buildah", "podman", "skopeo", "docker-registry", "mmdebstrap", "runc")
APT_HINT = "apt-get install -y buildah podman skopeo docker-registry runc mmdebstrap"
SUITE = "bookworm"
ROOTFS_PACKAGES = ("python3", "python3-pip", "python3-venv", "ca-certificates")
SELDON_PIP = ("seldon-core==1.17.1", "setuptools<82")
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
ULIMITS = ("--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096")

_ASSEMBLE = """#!/bin/sh
# Stand-in for Seldon's assemble: same inputs (/tmp/src, MODEL_NAME, SERVICE_TYPE), same result.
set -eu
: "${MODEL_NAME:?MODEL_NAME is required}"
: "${SERVICE_TYPE:?SERVICE_TYPE is required}"
: "${PERSISTENCE:?PERSISTENCE is required}"
cd /microservice
echo "---> Installing application source..."
cp -Rf /tmp/src/. ./
if [ -f requirements.txt ]; then
    echo "---> Installing dependencies ..."
    pip install --no-cache-dir -r requirements.txt
fi
"""

_RUN = """#!/bin/sh
# Stand-in for Seldon's run script.
set -eu
cd /microservice
echo "starting microservice"
exec seldon-core-microservice "$MODEL_NAME" --service-type "$SERVICE_TYPE"
"""

_BUILDER = f"""ARG BASE_IMAGE
FROM ${{BASE_IMAGE}}
# The host's CA bundle, so pip inside builds trusts what the host trusts (test image only).
COPY ca-certificates.crt {CA_BUNDLE}
RUN python3 -m venv /opt/seldon && /opt/seldon/bin/pip install --no-cache-dir \
{" ".join(repr(p) for p in SELDON_PIP)}
ENV PATH=/opt/seldon/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_CERT={CA_BUNDLE}
COPY s2i/ /s2i/bin/
RUN chmod 0755 /s2i/bin/assemble /s2i/bin/run && mkdir -p /microservice
WORKDIR /microservice
EXPOSE 9000
CMD ["/s2i/bin/run"]
"""


def missing_tools() -> list[str]:
    """The required programs not on PATH."""
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def rootfs_key() -> str:
    """A short hash of what defines the rootfs and base image (changes rarely)."""
    return hashlib.sha256(json.dumps([SUITE, ROOTFS_PACKAGES]).encode()).hexdigest()[:12]


def recipe_key() -> str:
    """A short hash of everything that defines the stand-in builder image."""
    bundle = Path(CA_BUNDLE)
    ca = hashlib.sha256(bundle.read_bytes()).hexdigest() if bundle.exists() else ""
    recipe = json.dumps([SUITE, ROOTFS_PACKAGES, SELDON_PIP, _ASSEMBLE, _RUN, _BUILDER, ca])
    return hashlib.sha256(recipe.encode()).hexdigest()[:12]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(argv: list[str], env: dict[str, str], log: list[str], timeout: float = 900) -> str:
    """Run a command, keep its output in ``log``, fail loudly with the tail on error."""
    done = proc.run(argv, env=env, timeout=timeout, on_line=log.append)
    if done.returncode != 0:
        tail = "\n".join(log[-40:])
        raise RuntimeError(f"{' '.join(argv[:3])} ... exited {done.returncode}:\n{tail}")
    return done.output


@dataclass
class BuildEnv:
    """A ready build environment.

    Attributes:
        cache: the cache folder.
        env: the process environment for buildah/podman (containers config variables set).
        builder_image: the stand-in Seldon builder image reference (local storage).
        timings: seconds per preparation step (0 when it came from the cache).
        base_image: the plain Debian + python3 base (local storage), e.g. a trial image's FROM.
    """

    cache: Path
    env: dict[str, str]
    builder_image: str
    timings: dict[str, float]
    base_image: str = ""


def _write_config(cache: Path) -> dict[str, str]:
    conf = cache / "containers"
    conf.mkdir(parents=True, exist_ok=True)
    driver = os.environ.get("MLPIPE_TEST_STORAGE_DRIVER", "overlay")
    (conf / "storage.conf").write_text(
        f'[storage]\ndriver = "{driver}"\ngraphroot = "{conf / "storage"}"\n'
        f'runroot = "{conf / "run"}"\n'
    )
    # runc, not crun (crun fails on this cgroup setup); lower ulimits than the host's defaults.
    (conf / "containers.conf").write_text(
        '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]\n'
        'netns = "host"\n\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\n'
        'events_logger = "file"\n'
    )
    (conf / "registries.conf").write_text("unqualified-search-registries = []\n")
    return {
        **os.environ,
        "CONTAINERS_STORAGE_CONF": str(conf / "storage.conf"),
        "CONTAINERS_CONF": str(conf / "containers.conf"),
        "CONTAINERS_REGISTRIES_CONF": str(conf / "registries.conf"),
    }


def _image_exists(ref: str, env: dict[str, str]) -> bool:
    done = proc.run(["buildah", "inspect", "--type", "image", "--format", "{{.FromImageID}}", ref],
                    env=env, timeout=60)
    return done.returncode == 0


def _rootfs(cache: Path, key: str, env: dict[str, str], log: list[str]) -> Path:
    tarball = cache / f"rootfs-{SUITE}-{key}.tar"
    if tarball.is_file():
        return tarball
    partial = cache / f".rootfs-{key}.{os.getpid()}.tar"
    run(["mmdebstrap", "--variant=minbase", "--mode=root", "--include=" + ",".join(ROOTFS_PACKAGES),
         SUITE, str(partial)], env, log)
    os.replace(partial, tarball)
    return tarball


def _bud(context: Path, tag: str, env: dict[str, str], log: list[str], *extra: str) -> None:
    run(["buildah", "bud", "--isolation", "chroot", "-t", tag, *extra, str(context)], env, log)


def prepare(log: list[str]) -> BuildEnv:
    """Make (or reuse) the rootfs, base image and stand-in builder image."""
    cache = Path(os.environ.get("MLPIPE_TEST_CACHE", "~/.cache/mlpipe-test")).expanduser()
    cache.mkdir(parents=True, exist_ok=True)
    env = _write_config(cache)
    key, base_key = recipe_key(), rootfs_key()
    base = f"localhost/mlpipe-test-base:{base_key}"
    builder = f"localhost/mlpipe-test-seldon:{key}"
    timings = {"rootfs": 0.0, "base": 0.0, "builder": 0.0}
    if not _image_exists(builder, env):
        ctx = cache / f"ctx-{key}"
        shutil.rmtree(ctx, ignore_errors=True)
        (ctx / "s2i").mkdir(parents=True)
        if not _image_exists(base, env):
            started = time.monotonic()
            _rootfs(cache, base_key, env, log)
            timings["rootfs"] = time.monotonic() - started
            started = time.monotonic()
            _base(cache, base, base_key, env, log)
            timings["base"] = time.monotonic() - started
        started = time.monotonic()
        (ctx / "s2i" / "assemble").write_text(_ASSEMBLE)
        (ctx / "s2i" / "run").write_text(_RUN)
        (ctx / "Containerfile").write_text(_BUILDER)
        shutil.copyfile(CA_BUNDLE, ctx / "ca-certificates.crt")
        _bud(ctx, builder, env, log, "-f", str(ctx / "Containerfile"),
             "--build-arg", f"BASE_IMAGE={base}")
        timings["builder"] = time.monotonic() - started
        shutil.rmtree(ctx, ignore_errors=True)
    if not _image_exists(base, env):  # the builder came from the cache, its base did not
        started = time.monotonic()
        _base(cache, base, base_key, env, log)
        timings["base"] = time.monotonic() - started
    return BuildEnv(cache=cache, env=env, builder_image=builder, timings=timings,
                    base_image=base)


def _base(cache: Path, base: str, key: str, env: dict[str, str], log: list[str]) -> None:
    """Import the rootfs tarball as the base image (``FROM scratch`` + ``ADD``)."""
    ctx = cache / f"ctx-base-{key}"
    shutil.rmtree(ctx, ignore_errors=True)
    ctx.mkdir(parents=True)
    os.link(_rootfs(cache, key, env, log), ctx / "rootfs.tar")
    (ctx / "Containerfile").write_text('FROM scratch\nADD rootfs.tar /\nCMD ["/bin/bash"]\n')
    _bud(ctx, base, env, log, "-f", str(ctx / "Containerfile"))
    shutil.rmtree(ctx, ignore_errors=True)


class Registry:
    """Debian's docker-registry on 127.0.0.1:<free port>, storage in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process = None
        self.registries_conf = folder / "registries.conf"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        config = self.folder / "registry.yml"
        (self.folder / "data").mkdir(parents=True, exist_ok=True)
        config.write_text(
            "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
            f"    rootdirectory: {self.folder / 'data'}\nhttp:\n  addr: {self.address}\n"
            "  secret: mlpipe-test-only\n"
        )
        # Clients reach it over plain HTTP: an insecure-registry entry instead of flags.
        self.registries_conf.write_text(
            "unqualified-search-registries = []\n\n[[registry]]\n"
            f'location = "{self.address}"\ninsecure = true\n'
        )
        self.process = proc.spawn(["docker-registry", "serve", str(config)],
                                  stdout_path=self.folder / "registry.log")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://{self.address}/v2/", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"registry did not answer on {self.address}: "
                           f"{(self.folder / 'registry.log').read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is not None:
            proc.terminate_group(self.process.pid, 5.0)
            self.process.wait(timeout=10)
            self.process = None
