"""Build images on this machine with buildah, podman or docker.

Detection order when no tool is named: buildah, podman, docker. buildah and podman build without
a daemon or socket (as root or rootless) and write the pushed manifest digest to a file; a
``docker`` client is often installed with no engine behind it (CI images, this project's own
machines), so it is the last resort. Every command is an argv list run through
:func:`jupyter_mlpipe.proc.run`, its output streamed line by line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path

from .. import proc
from ..errors import BuilderNotFound, BuildError, MlpipeError
from ..packaging.lineage import update_lineage
from .base import Builder, BuildRequest, BuildResult, OnLine
from .dockerfile import read_folder_env, render_dockerfile, write_dockerfile

TOOLS = ("buildah", "podman", "docker")
TAIL = 40
#: ``docker push`` ends with ``<tag>: digest: sha256:<hex> size: <n>``.
_PUSHED_DIGEST = re.compile(r"digest: (sha256:[0-9a-f]{64})")

Runner = Callable[..., proc.CompletedRun]


class LocalBuilder(Builder):
    """Build with a container tool found on PATH.

    Args:
        builder: ``buildah``, ``podman`` or ``docker``; None picks the first found in
            :data:`TOOLS` order.
        env: variables added to the tool's environment (e.g. ``CONTAINERS_STORAGE_CONF``).
        isolation: buildah/podman ``--isolation`` (``chroot`` where no OCI runtime works).
        which: PATH lookup (a seam for tests).
        run: process runner with :func:`jupyter_mlpipe.proc.run`'s signature (a seam for tests).
    """

    name = "local"

    def __init__(
        self,
        builder: str | None = None,
        *,
        env: Mapping[str, str] | None = None,
        isolation: str | None = None,
        which: Callable[[str], str | None] = shutil.which,
        run: Runner = proc.run,
    ) -> None:
        self.builder = builder
        self.env = dict(env or {})
        self.isolation = isolation
        self._which = which
        self._run = run

    def tool(self, request: BuildRequest | None = None) -> str:
        """The tool to use: the request's, this builder's, or the first found.

        Raises:
            BuilderNotFound: the named tool, or every known tool, is missing.
        """
        wanted = (request.builder if request else None) or self.builder
        if wanted is not None:
            if wanted not in TOOLS:
                raise BuildError(f"builder must be one of {TOOLS}, got {wanted!r}")
            if self._which(wanted) is None:
                raise BuilderNotFound(
                    f"{wanted} is not on PATH — install it (apt-get install {wanted}) or leave"
                    " --builder out to use another one; local deployment needs no image"
                )
            return wanted
        for tool in TOOLS:
            if self._which(tool) is not None:
                return tool
        raise BuilderNotFound(
            "no container builder found (looked for buildah, podman, docker on PATH) — install"
            " one, e.g. `apt-get install buildah`; `mlpipe deploy NAME --backend local` serves"
            " the package folder without any image"
        )

    def render(self, request: BuildRequest) -> str:
        """The Dockerfile this request would build (nothing is written)."""
        folder = Path(request.folder)
        if request.mode == "dockerfile":
            return (folder / "Dockerfile").read_text(encoding="utf-8")
        return render_dockerfile(
            read_folder_env(folder), (folder / "requirements.txt").is_file(),
            builder_image=request.builder_image, mode=request.mode,
            labels={"io.mlpipe.package": request.name},
        )

    def commands(self, request: BuildRequest, tool: str, iidfile: Path, digestfile: Path
                 ) -> list[list[str]]:
        """The argv lists a build runs, in order (build, then push when asked)."""
        folder = str(Path(request.folder).resolve())
        dockerfile = str(Path(folder) / "Dockerfile")
        build = [tool, "bud" if tool == "buildah" else "build", "-f", dockerfile,
                 "-t", request.image, "--iidfile", str(iidfile),
                 "--build-arg", f"BUILDER_IMAGE={request.builder_image}"]
        for key, value in request.build_args.items():
            build += ["--build-arg", f"{key}={value}"]
        if tool == "docker":
            if request.mounts:
                raise BuildError(
                    f"docker build cannot bind-mount {list(request.mounts)} into RUN steps — use"
                    " buildah or podman (--builder buildah)"
                )
        else:
            if self.isolation:
                build += ["--isolation", self.isolation]
            for mount in request.mounts:
                build += ["-v", mount]
            if not request.tls_verify:
                build.append("--tls-verify=false")
        build.append(folder)
        commands = [build]
        if request.push:
            if tool == "docker":
                commands.append(["docker", "push", request.image])
            else:
                push = [tool, "push", "--digestfile", str(digestfile)]
                if not request.tls_verify:
                    push.append("--tls-verify=false")
                commands.append(push + [request.image, f"docker://{request.image}"])
        return commands

    def build(self, request: BuildRequest, on_line: OnLine | None = None) -> BuildResult:
        """Write the Dockerfile, build, optionally push, and record image and digest in lineage.

        Raises:
            BuilderNotFound: no usable tool.
            BuildError: a command failed or timed out (the message ends with the output's tail).
        """
        tool = self.tool(request)
        if request.mode == "dockerfile":  # the folder brings its own Dockerfile
            dockerfile = Path(request.folder) / "Dockerfile"
        else:
            dockerfile = write_dockerfile(request.folder, builder_image=request.builder_image,
                                          mode=request.mode,
                                          labels={"io.mlpipe.package": request.name})
        tail: deque[str] = deque(maxlen=TAIL)

        def line(text: str) -> None:
            tail.append(text)
            if on_line is not None:
                on_line(text)

        with tempfile.TemporaryDirectory(prefix="mlpipe-build-") as scratch:
            iidfile, digestfile = Path(scratch) / "iid", Path(scratch) / "digest"
            output = ""
            for argv in self.commands(request, tool, iidfile, digestfile):
                output = self._step(argv, request, line, tail)
            if request.push and tool == "docker":
                digestfile.write_text(self._docker_digest(request, output, line, tail))
            digest = self._digest(tool, request, iidfile, digestfile)
        result = BuildResult(image=request.image, digest=digest, log_tail=tuple(tail),
                             dockerfile_path=str(dockerfile), builder=tool, pushed=request.push)
        if request.mode != "dockerfile":  # a package folder records what was built from it
            update_lineage(request.folder, image=request.image, digest=digest, builder=tool,
                           built=time.time(), pushed=request.push)
        return result

    def _step(self, argv: list[str], request: BuildRequest, line: OnLine, tail: deque[str]
              ) -> str:
        env = {**os.environ, **self.env} if self.env else None
        try:
            done = self._run(argv, cwd=request.folder, env=env, timeout=request.timeout,
                             on_line=line)
        except MlpipeError as exc:
            raise BuildError(f"{argv[0]} {argv[1]} failed: {exc}") from exc
        if done.returncode != 0:
            shown = "\n".join(tail)
            raise BuildError(
                f"`{argv[0]} {argv[1]}` for {request.image} exited with {done.returncode} — see"
                f" the output below, fix the cause and run mlpipe build again:\n{shown}"
            )
        return done.output

    def _docker_digest(self, request: BuildRequest, push_output: str, line: OnLine,
                       tail: deque[str]) -> str:
        """The digest ``docker push`` printed, else the image's RepoDigest for its repository.

        RepoDigests lists every repository the image was ever pushed to, in no useful order, so
        only an entry naming this image's repository counts.
        """
        found = _PUSHED_DIGEST.findall(push_output)
        if found:
            return str(found[-1])
        out = self._step(["docker", "inspect", "--format", "{{json .RepoDigests}}",
                          request.image], request, line, tail)
        repository = _repository(request.image)
        for entry in json.loads(out.strip() or "[]") or []:
            name, _, digest = str(entry).rpartition("@")
            if name == repository and digest:
                return digest
        raise BuildError(f"docker reported no digest for {request.image} after the push")

    def _digest(self, tool: str, request: BuildRequest, iidfile: Path, digestfile: Path) -> str:
        """The pushed manifest digest, or the local image id when nothing was pushed."""
        if request.push and digestfile.is_file():
            return digestfile.read_text().strip()
        if iidfile.is_file():
            ident = iidfile.read_text().strip()
            return ident if ident.startswith("sha256:") else f"sha256:{ident}"
        raise BuildError(f"{tool} reported no image id or digest for {request.image}")


def _repository(image: str) -> str:
    """``registry:5000/name:tag`` → ``registry:5000/name`` (a digest suffix is dropped too)."""
    ref = image.split("@", 1)[0]
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    return ref[:colon] if colon > slash else ref
