"""Checking a function sweep's trial image before any trial Job exists.

A function sweep's trials unpickle the notebook's function: the trial image must run the
notebook's Python ``major.minor`` and cloudpickle version, and have jupyter-mlpipe. Rather than
let every pod of the sweep find a mismatch and fail, :func:`check_function_image` runs the image
probe (:mod:`jupyter_mlpipe.k8s.manifests.probe`, one short pod), reads its report from the pod
log and refuses the sweep with what to change. It follows the pod with list + watch, reports
its progress (``Pending (ContainerCreating)`` …), gives up early on an image that cannot be
pulled, and deletes the probe's Job in every case.

An image named by digest is checked once per process: its content cannot change.
"""

from __future__ import annotations

import json
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ExecutorError, InvalidArgument, KubernetesError
from ..k8s.client import JOB, POD, KubeClient
from ..k8s.manifests import ClusterPaths
from ..k8s.manifests.probe import CONTAINER, REPORT, ImageProbe, render_probe_job
from ..k8s.watch import events
from ..tracking.function_trial import TRIAL_MODULE, mismatch
from .kubernetes_pod import container_state

#: Waiting reasons that mean the image will not start without a change on the user's side.
HOPELESS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName",
                      "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError"})

OnLine = Callable[[str], None]


@dataclass(frozen=True)
class ImageReport:
    """What the probe found in an image: versions, None for what is missing (and why)."""

    python: str
    cloudpickle: str | None
    mlpipe: str | None
    errors: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> ImageReport | None:
        """The report in the probe's log lines, or None when there is none."""
        for line in lines:
            if line.startswith(REPORT):
                try:
                    doc = json.loads(line[len(REPORT):])
                    return cls(python=str(doc["python"]), cloudpickle=doc.get("cloudpickle"),
                               mlpipe=doc.get("mlpipe"),
                               errors={k[:-6]: str(v) for k, v in doc.items()
                                       if k.endswith("_error")})
                except (ValueError, KeyError, TypeError):
                    return None
        return None

    def problems(self, image: str, python: str, cloudpickle: str) -> list[str]:
        """What stops this image from running a function pickled with ``python`` and
        ``cloudpickle`` (empty when nothing does)."""
        out = []
        reason = mismatch((self.python, self.cloudpickle), (python, cloudpickle), f"image {image}")
        if reason is not None:
            out.append(reason + _why("cloudpickle", self.errors))
        if self.mlpipe is None:
            out.append(f"image {image} has no jupyter-mlpipe, which runs the trial (python -m"
                       f" {TRIAL_MODULE}){_why('mlpipe', self.errors)} — add `pip install"
                       " jupyter-mlpipe` to the image (build_steps=[...])")
        return out


def _why(key: str, errors: Mapping[str, str]) -> str:
    return f" ({errors[key]})" if key in errors else ""


_checked: dict[str, ImageReport] = {}


def image_probe(settings: Any, image: str, *, user: str, project: str,
                environment: Mapping[str, Any] | None = None) -> ImageProbe:
    """The probe of ``image`` for a sweep of ``user``'s ``project`` (not yet sent anywhere)."""
    return ImageProbe(image=image, paths=ClusterPaths.from_settings(settings), user=user,
                      project=project, environment=dict(environment or {}),
                      timeout=float(getattr(settings, "image_check_timeout", 600.0)),
                      suffix=secrets.token_hex(3))


def check_function_image(client: KubeClient, probe: ImageProbe, *, python: str,
                         cloudpickle: str, on_line: OnLine | None = None) -> ImageReport:
    """Run ``probe`` and refuse its image unless it can run a function pickled with ``python``
    and ``cloudpickle`` (the notebook's versions).

    Args:
        on_line: receives progress lines (default: standard error, ``trial image: ...``).

    Raises:
        InvalidArgument: the image's Python or cloudpickle differs, or it lacks jupyter-mlpipe.
        ExecutorError: the probe could not run (the image cannot be pulled or has no
            ``python``, the pod failed, or it did not finish within the probe's timeout).
        KubernetesError: the API refused the probe's Job.
    """
    say = on_line or _stderr
    image = probe.image
    report = _checked.get(image)
    if report is None:
        say(f"checking that {image} runs Python {python} and cloudpickle {cloudpickle}"
            f" (Job {probe.name})")
        report = run_probe(client, probe, say)
        if "@sha256:" in image:
            _checked[image] = report
    problems = report.problems(image, python, cloudpickle)
    if problems:
        raise InvalidArgument("; and ".join(problems))
    say(f"{image}: Python {report.python}, cloudpickle {report.cloudpickle},"
        f" jupyter-mlpipe {report.mlpipe}: it can run this notebook's function")
    return report


def _stderr(line: str) -> None:
    print(f"trial image: {line}", file=sys.stderr, flush=True)


def run_probe(client: KubeClient, probe: ImageProbe, say: OnLine) -> ImageReport:
    """Create the probe's Job, wait for its pod, read its report; always delete the Job.

    Raises:
        ExecutorError: the pod cannot start, failed, printed no report, or took too long.
        KubernetesError: the API refused a call.
    """
    name = client.create(render_probe_job(probe))["metadata"]["name"]
    try:
        pod = _wait_for_pod(client, name, probe, say)
        try:
            lines = list(client.pod_log(pod["metadata"]["name"], container=CONTAINER))
        except KubernetesError:
            if (pod.get("status") or {}).get("phase") == "Succeeded":
                raise
            lines = []  # a container that never started may have no log to read
    finally:
        try:
            client.delete(JOB, name, propagation="Background")
        except KubernetesError as exc:  # it expires by itself (ttlSecondsAfterFinished)
            say(f"could not delete the probe's Job {name}: {exc}")
    report = ImageReport.from_lines(lines)
    if report is not None:
        return report
    if (pod.get("status") or {}).get("reason") == "DeadlineExceeded":
        raise _too_long(probe, "DeadlineExceeded")
    state = container_state(pod, CONTAINER, "terminated")
    detail = state.get("message") or state.get("reason") or (pod.get("status") or {}).get(
        "message") or "no message"
    tail = "\n".join(lines[-10:])
    if state.get("exitCode") in (127, 128) or "executable file not found" in detail:
        raise ExecutorError(f"image {probe.image} cannot run `python` ({detail}) — function"
                            " trials run `python -m ...`: use an image with Python on its PATH")
    raise ExecutorError(f"the probe of image {probe.image} ended without a report (pod"
                        f" {pod['metadata']['name']}: {detail}, exit code"
                        f" {state.get('exitCode')})" + (f"; its log ends:\n{tail}" if tail else ""))


def _wait_for_pod(client: KubeClient, job: str, probe: ImageProbe, say: OnLine
                  ) -> dict[str, Any]:
    """The probe's pod once it has ended (Succeeded or Failed)."""
    # the Job's own deadline (activeDeadlineSeconds) should end it first
    deadline = time.monotonic() + probe.timeout + min(30.0, probe.timeout)
    shown = ""
    for etype, pod in events(client, POD, selector=f"job-name={job}", timeout=30,
                             deadline=deadline):
        if etype == "DELETED":
            continue
        status = pod.get("status") or {}
        phase = status.get("phase") or "Pending"
        if phase in ("Succeeded", "Failed"):
            return pod
        waiting = container_state(pod, CONTAINER, "waiting")
        now = f"{phase} ({waiting.get('reason')})" if waiting.get("reason") else phase
        if now != shown:
            shown = now
            say(f"probe pod {pod['metadata']['name']}: {now}")
        if waiting.get("reason") in HOPELESS:
            raise ExecutorError(
                f"image {probe.image} cannot start: {waiting['reason']}"
                f" ({waiting.get('message') or 'no message'}) — check the image's name and that"
                " the cluster can pull it (an imagePullSecret on the service account"
                f" {probe.paths.service_account})")
    raise _too_long(probe, shown or "no pod yet")


def _too_long(probe: ImageProbe, last: str) -> ExecutorError:
    return ExecutorError(f"the probe of image {probe.image} did not finish within"
                         f" {probe.timeout:.0f} s (last seen: {last}) — a large image may need"
                         " longer: mlpipe config image_check_timeout=SECONDS")
