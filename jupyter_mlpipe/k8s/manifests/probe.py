"""The image probe: a one-pod Job that reports what a trial image would run.

A function sweep's trials unpickle the notebook's function, which only works with the notebook's
Python ``major.minor`` and cloudpickle version, and they run ``python -m
jupyter_mlpipe.tracking.function_trial``. Before any trial Job exists, the probe runs the same
``python`` in the trial image, with the trials' scheduling (node selector, tolerations) but
without their resources (it must not hold a GPU), and prints one line: :data:`REPORT` followed
by a JSON object ``{"python": "3.11", "cloudpickle": "3.1.1" | null, "mlpipe": "0.1.0" | null}``.

The script is fixed text (no user value reaches it) and uses the standard library only: the
image may lack everything else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .common import COMPONENT, PROJECT, USER, ClusterPaths, dns_label, label_value, metadata
from .resources import scheduling

#: The prefix of the probe's report line in its pod log.
REPORT = "mlpipe-image-probe:"
#: The probe's container name.
CONTAINER = "probe"

PROBE_SCRIPT = f"""\
import importlib, json, sys
found = {{"python": "%d.%d" % sys.version_info[:2]}}
for key, module in (("cloudpickle", "cloudpickle"), ("mlpipe", "jupyter_mlpipe")):
    try:
        found[key] = str(getattr(importlib.import_module(module), "__version__", "unknown"))
    except Exception as exc:
        found[key] = None
        found[key + "_error"] = "%s: %s" % (type(exc).__name__, exc)
print({REPORT + " "!r} + json.dumps(found), flush=True)
"""


@dataclass(frozen=True)
class ImageProbe:
    """One probe of ``image``.

    Attributes:
        image: the trial image, as the trial pods will name it.
        paths: the namespace and service account (no volume is mounted).
        user, project: identity, written into labels and the name.
        environment: the spec's ``environment`` section (only its scheduling is used).
        timeout: seconds the pod may take, image pull included (``activeDeadlineSeconds``).
        suffix: makes the name unique per probe.
    """

    image: str
    paths: ClusterPaths
    user: str
    project: str
    environment: Mapping[str, Any] = field(default_factory=dict)
    timeout: float = 600.0
    suffix: str = ""

    def labels(self) -> dict[str, str]:
        return {PROJECT: label_value(self.project), USER: label_value(self.user),
                COMPONENT: "image-probe"}

    @property
    def name(self) -> str:
        return dns_label("mlpipe", self.project, "probe", *([self.suffix] if self.suffix else []),
                         limit=52)


def render_probe_job(probe: ImageProbe) -> dict[str, Any]:
    """The probe's Job: one pod, never retried, removed by the caller (or after ten minutes)."""
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": probe.image,
        "command": ["python", "-c", PROBE_SCRIPT],
        "env": [{"name": "PYTHONDONTWRITEBYTECODE", "value": "1"}],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                      "limits": {"memory": "512Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False},
    }
    spec: dict[str, Any] = {
        "backoffLimit": 0,
        "completions": 1,
        "parallelism": 1,
        "activeDeadlineSeconds": max(1, int(probe.timeout)),
        "ttlSecondsAfterFinished": 600,
        "template": {"metadata": {"labels": probe.labels()}, "spec": {
            "restartPolicy": "Never",
            "serviceAccountName": probe.paths.service_account,
            "automountServiceAccountToken": False,
            "containers": [container],
            **scheduling(probe.environment),
        }},
    }
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": metadata(probe.name, probe.paths.namespace, probe.labels()),
            "spec": spec}
