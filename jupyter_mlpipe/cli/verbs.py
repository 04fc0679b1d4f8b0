"""The verbs of the grammar and their arguments, each with a one-line help.

:func:`add_verbs` declares every verb on a subparsers action; its summary, description and
example come from :mod:`.helptext`.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

from .helptext import HELP, epilog

_GROUP = "the group id (`mlpipe groups` lists them)"
_EXPERIMENT = "the experiment id (`mlpipe experiments GROUP` lists them)"
_PACKAGE = "the package name (as given to `mlpipe package --name`)"
_DEPLOYMENT = "the deployment name (`mlpipe deployments` lists them)"


def _verb(sub: Any, name: str) -> argparse.ArgumentParser:
    text = HELP[name]
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=text.summary,
        description=textwrap.fill(text.description, 78),
        epilog=epilog(name),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", "-p", help="project (default: the `project` setting)")


def _format(p: argparse.ArgumentParser, *extra: str) -> None:
    choices = ["table", *extra, "json"]
    p.add_argument(
        "--format",
        choices=choices,
        default="table",
        help=f"how to print the answer: {', '.join(choices)} (default: table)",
    )


def _wide(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wide", action="store_true", help="print every column, even past the terminal's width"
    )


def _dry(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dry-run", action="store_true", help="print what would be done, do nothing")
    p.add_argument(
        "-o",
        "--output",
        choices=["yaml", "json"],
        default="yaml",
        help="format of the --dry-run rendering (default: yaml)",
    )


def _function_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "function sweeps (notebook)",
        "sweep a function of the notebook instead of a polyaxonfile: each experiment calls it"
        " with its params as keyword arguments (in a %%%%mlpipe cell, the body is the matrix)",
    )
    g.add_argument("--function", help="the name of the notebook's function to sweep")
    g.add_argument(
        "--matrix",
        help="param → polyaxonfile option, as JSON or YAML: '{\"lr\": {\"values\": [0.01, 0.1]}}'",
    )
    g.add_argument("--params", help="fixed keyword arguments of every call, as JSON or YAML")
    g.add_argument(
        "--algorithm", choices=["grid", "random", "hyperband", "bo"], help="search (default grid)"
    )
    g.add_argument("--concurrency", type=int, help="experiments at once (default 1)")
    g.add_argument("--n-experiments", type=int, help="how many to run (random search: required)")
    g.add_argument("--image", help="the trial image (kubernetes backend)")


def _sweep_verbs(sub: Any) -> None:
    p = _verb(sub, "sweep")
    p.add_argument("spec", nargs="?", metavar="FILE", help="the polyaxonfile (YAML)")
    p.add_argument("-f", "--file", help="the polyaxonfile, as an option (same as FILE)")
    p.add_argument("--name", help="a name for the group (default: the file's name)")
    p.add_argument("--backend", choices=["local", "kubernetes"], help="where experiments run")
    p.add_argument("--wait", action="store_true", help="wait for the group, showing progress")
    p.add_argument("--retries", type=int, default=0, help="re-runs of a failed experiment")
    p.add_argument(
        "--objective",
        help="what the sweep optimises, METRIC:min|max (default: the spec's hptuning metric)",
    )
    p.add_argument("--timeout", type=float, help="seconds before an experiment is timed out")
    _function_options(p)
    _common(p)
    _format(p)
    _dry(p)
    p = _verb(sub, "resume")
    p.add_argument("group", type=int, help=_GROUP)
    _common(p)
    p = _verb(sub, "groups")
    _common(p)
    _format(p, "csv")
    _wide(p)
    p = _verb(sub, "experiments")
    p.add_argument("group", type=int, help=_GROUP)
    p.add_argument("--sort", help="column to sort by, '-' for descending (e.g. -accuracy)")
    p.add_argument(
        "--all", action="store_true", help="every column: attempt, times, constants, min/max"
    )
    _common(p)
    _format(p, "csv")
    _wide(p)
    p = _verb(sub, "logs")
    p.add_argument("experiment", type=int, help=_EXPERIMENT)
    p.add_argument("--follow", "-F", action="store_true", help="keep printing until it ends")
    _common(p)
    p = _verb(sub, "plot")
    p.add_argument("group", type=int, help=_GROUP)
    p.add_argument("--metric", "-m", action="append", required=True, help="repeat for several")
    p.add_argument("--save", help="write a PNG to this path (default: group-N.png)")
    _common(p)
    p = _verb(sub, "stop")
    p.add_argument("group", type=int, nargs="?", help=f"{_GROUP}; omit with --experiment")
    p.add_argument("--experiment", "-e", type=int, help="stop this experiment only")
    _common(p)
    _format(p)
    _pick_verbs(sub)


def _pick_verbs(sub: Any) -> None:
    p = _verb(sub, "best")
    p.add_argument("group", type=int, help=_GROUP)
    p.add_argument("--metric", "-m", help="rank by this metric (default: the group's objective)")
    p.add_argument(
        "--mode", choices=["min", "max"], help="min or max (default: the objective's direction)"
    )
    _common(p)
    _format(p)
    p = _verb(sub, "objective")
    p.add_argument("group", type=int, help=_GROUP)
    p.add_argument("objective", nargs="?", help="e.g. accuracy:max or loss:min (omit to show)")
    _common(p)
    _format(p)


def _package_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", help="folder with the model class (default: the project folder)")
    p.add_argument("--checkpoint", action="append", help="file to copy (repeatable)")
    p.add_argument("--model-class", help="the model class (CLASS.py defines class CLASS)")
    p.add_argument("--requirements", help="requirements file for the serving image")


def _model_verbs(sub: Any) -> None:
    p = _verb(sub, "package")
    p.add_argument("experiment", type=int, help=_EXPERIMENT)
    p.add_argument("--name", required=True, help="package name (a DNS-1123 label)")
    _package_options(p)
    p.add_argument(
        "--layout",
        choices=["seldon", "mlserver"],
        default="seldon",
        help="folder layout: a Seldon s2i source (default) or an MLServer runtime",
    )
    p.add_argument("--force", action="store_true", help="replace an existing package")
    _common(p)
    _format(p)
    p = _verb(sub, "build")
    p.add_argument("name", help=_PACKAGE)
    p.add_argument("--image", help="image reference, e.g. registry:5000/mnist:v1")
    p.add_argument("--push", action="store_true", help="push the image to its registry")
    p.add_argument("--backend", choices=["local", "argo"], help="build here or on the cluster")
    p.add_argument(
        "--builder", help="docker, podman or buildah (local); kaniko or s2i-docker (argo)"
    )
    _format(p)
    _dry(p)
    p = _verb(sub, "deploy")
    p.add_argument("name", help=_PACKAGE)
    p.add_argument("--backend", choices=["local", "seldon"], help="serve here or on the cluster")
    p.add_argument("--port", type=int, help="local port (default: a free one)")
    p.add_argument("--replicas", type=int, default=1, help="serving pods (seldon)")
    p.add_argument("--image", help="serving image (default: the one `build` recorded)")
    p.add_argument("--canary", help="OTHER:PERCENT — send PERCENT of traffic to package OTHER")
    p.add_argument("--shadow", help="OTHER — mirror traffic to package OTHER")
    _format(p)
    _dry(p)
    p = _verb(sub, "predict")
    p.add_argument("name", help=_DEPLOYMENT)
    p.add_argument("input", help="image (png/jpg), .npy, JSON file, or inline JSON")
    _format(p)
    p = _verb(sub, "deployments")
    _format(p, "csv")
    _wide(p)
    p = _verb(sub, "undeploy")
    p.add_argument("name", help=_DEPLOYMENT)
    _format(p)


def _ship_verbs(sub: Any) -> None:
    p = _verb(sub, "ship")
    p.add_argument("group", type=int, nargs="?", help="ship this group's best experiment")
    p.add_argument("--experiment", "-e", type=int, help="ship this experiment instead")
    p.add_argument("--name", help="package and deployment name (default: PROJECT-gG-eE)")
    p.add_argument("--metric", "-m", help="rank by this metric (default: the group's objective)")
    p.add_argument("--mode", choices=["min", "max"], help="best is the smallest or largest")
    p.add_argument("--image", help="build this image (default: only when the backend needs one)")
    p.add_argument("--backend", choices=["local", "seldon"], help="where to deploy")
    _package_options(p)
    p.add_argument(
        "--force", action="store_true", help="replace an existing package (never a served one)"
    )
    _format(p)
    _common(p)
    p = _verb(sub, "operations")
    p.add_argument("id", nargs="?", help="one operation's id (omit to list)")
    p.add_argument("--limit", type=int, default=20, help="how many to list (default: 20)")
    _format(p)


def _admin_verbs(sub: Any) -> None:
    p = _verb(sub, "config")
    p.add_argument("key", nargs="?", help="one setting's name (omit for all)")
    p.add_argument("value", nargs="?", help="a value to save for KEY in the config file")
    _format(p)
    p = _verb(sub, "cluster")
    p.add_argument("action", choices=["manifests"], help="what to produce: manifests")
    p.add_argument("--nfs-server", required=True, help="host name or IP of the NFS server")
    p.add_argument("--namespace", help="namespace (default: the `namespace` setting)")
    p.add_argument("--nfs-path", default="/", help="export root on the NFS server")
    p.add_argument(
        "--jupyter-image", default="jupyter-mlpipe/lab:latest", help="the JupyterLab image"
    )
    p.add_argument("-o", "--output", choices=["yaml", "json"], default="yaml", help="format")


def add_verbs(sub: Any) -> None:
    """Declare every verb of the grammar on ``sub`` (an argparse subparsers action)."""
    _sweep_verbs(sub)
    _model_verbs(sub)
    _ship_verbs(sub)
    _admin_verbs(sub)
