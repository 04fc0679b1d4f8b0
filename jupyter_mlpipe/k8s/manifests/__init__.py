"""Pure renderers for every object jupyter-mlpipe creates on a cluster.

Each function takes plain values and returns manifest dictionaries; nothing here talks to a
cluster or imports the ``kubernetes`` client. ``--dry-run -o yaml`` prints their output with
:func:`dry_run_documents`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .cluster import ClusterSetup, render_cluster
from .common import ClusterPaths, dns_label, label_value
from .jobs import (
    SweepPod,
    TrialEntry,
    job_name,
    render_indexed_job,
    render_params_configmap,
    render_trial_job,
)
from .seldon import Predictor, SeldonModel, parse_canary, render_seldon_deployment
from .workflow import WorkflowBuild, render_build_workflow
from .yaml import dump_documents

__all__ = [
    "ClusterPaths", "ClusterSetup", "Predictor", "SeldonModel", "SweepPod", "TrialEntry",
    "WorkflowBuild", "dns_label", "dry_run_documents", "job_name", "label_value",
    "parse_canary", "render_build_workflow", "render_cluster", "render_indexed_job",
    "render_params_configmap", "render_seldon_deployment", "render_trial_job",
]


def dry_run_documents(objects: Iterable[Mapping[str, Any]]) -> str:
    """The YAML ``--dry-run -o yaml`` prints for ``objects`` (sweep, build, deploy or cluster)."""
    return dump_documents(objects)
