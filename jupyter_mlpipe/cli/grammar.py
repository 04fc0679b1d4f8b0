"""The command grammar shared by the ``mlpipe`` CLI and the ``%mlpipe`` magics.

One parser, declared once: :func:`build_parser` returns it, and :data:`VERBS` names its verbs
(the magics complete them). Parsing never exits the process: errors raise :class:`ArgError`.
"""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

from ..errors import InvalidArgument


class ArgError(InvalidArgument):
    """The command line does not parse; the message is argparse's, with the usage line."""


class HelpShown(Exception):
    """``--help`` was asked for; ``text`` holds the help (the CLI prints it, magics too)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


#: Options whose value may start with '-' (``--sort -loss`` means descending by loss).
_DASH_VALUES = ("--sort",)


class _Parser(argparse.ArgumentParser):
    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        return super().parse_known_args(_glue_dash_values(args), namespace)

    def error(self, message: str) -> NoReturn:
        raise ArgError(f"{self.format_usage().strip()}\n{self.prog}: error: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise ArgError(message or f"{self.prog}: exited with {status}")

    def print_help(self, file: Any = None) -> None:
        raise HelpShown(self.format_help())


def _glue_dash_values(args: Any) -> Any:
    if args is None:
        return None
    out, items = [], list(args)
    while items:
        item = items.pop(0)
        if item in _DASH_VALUES and items and items[0].startswith("-"):
            item = f"{item}={items.pop(0)}"
        out.append(item)
    return out


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--project", "-p", help="project (default: the `project` setting)")


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
    p = sub.add_parser("sweep", help="validate a polyaxonfile and start its experiments")
    p.add_argument("-f", "--file", help="the polyaxonfile (in a %%%%mlpipe cell: the cell body)")
    p.add_argument("--name", help="a name for the group")
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
    _dry(p)
    p = sub.add_parser("resume", help="restart a group whose supervisor died")
    p.add_argument("group", type=int)
    _common(p)
    p = sub.add_parser("groups", help="list sweeps with status counts")
    _common(p)
    _format(p)
    p = sub.add_parser("experiments", help="one row per experiment of a group")
    p.add_argument("group", type=int)
    p.add_argument("--sort", help="column to sort by, '-' for descending (e.g. -accuracy)")
    _common(p)
    _format(p)
    p = sub.add_parser("logs", help="an experiment's output")
    p.add_argument("experiment", type=int)
    p.add_argument("--follow", "-F", action="store_true", help="keep printing until it ends")
    _common(p)
    p = sub.add_parser("plot", help="metric curves of a group (live in a notebook)")
    p.add_argument("group", type=int)
    p.add_argument("--metric", "-m", action="append", required=True, help="repeat for several")
    p.add_argument("--save", help="write a PNG to this path (CLI)")
    _common(p)
    p = sub.add_parser("stop", help="stop a group, or one experiment with --experiment")
    p.add_argument("group", type=int, nargs="?")
    p.add_argument("--experiment", "-e", type=int, help="stop this experiment only")
    _common(p)
    p = sub.add_parser("best", help="the winning experiment of a group (by its objective)")
    p.add_argument("group", type=int)
    p.add_argument("--metric", "-m", help="rank by this metric (default: the group's objective)")
    p.add_argument(
        "--mode", choices=["min", "max"], help="min or max (default: the objective's direction)"
    )
    _common(p)
    p = sub.add_parser("objective", help="show or set what a group optimises (METRIC:min|max)")
    p.add_argument("group", type=int)
    p.add_argument("objective", nargs="?", help="e.g. accuracy:max or loss:min (omit to show)")
    _common(p)


def _format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")


def _package_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", help="folder with the model class (default: the project folder)")
    p.add_argument("--checkpoint", action="append", help="file to copy (repeatable)")
    p.add_argument("--model-class", help="the model class (CLASS.py defines class CLASS)")
    p.add_argument("--requirements", help="requirements file for the serving image")


def _model_verbs(sub: Any) -> None:
    p = sub.add_parser("package", help="write the Seldon s2i folder for an experiment")
    p.add_argument("experiment", type=int)
    p.add_argument("--name", required=True, help="package name (a DNS-1123 label)")
    _package_options(p)
    p.add_argument("--format", choices=["seldon", "mlserver"], default="seldon")
    p.add_argument("--force", action="store_true", help="replace an existing package")
    _common(p)
    p = sub.add_parser("build", help="build (and push) the serving image of a package")
    p.add_argument("name")
    p.add_argument("--image", help="image reference, e.g. registry:5000/mnist:v1")
    p.add_argument("--push", action="store_true")
    p.add_argument("--backend", choices=["local", "argo"])
    p.add_argument(
        "--builder", help="docker, podman or buildah (local); kaniko or s2i-docker (argo)"
    )
    _dry(p)
    p = sub.add_parser("deploy", help="serve a package")
    p.add_argument("name")
    p.add_argument("--backend", choices=["local", "seldon"])
    p.add_argument("--port", type=int, help="local port (default: a free one)")
    p.add_argument("--replicas", type=int, default=1)
    p.add_argument("--image", help="serving image (default: the one `build` recorded)")
    p.add_argument("--canary", help="OTHER:PERCENT — send PERCENT of traffic to package OTHER")
    p.add_argument("--shadow", help="OTHER — mirror traffic to package OTHER")
    _dry(p)
    p = sub.add_parser("predict", help="query a deployment")
    p.add_argument("name")
    p.add_argument("input", help="image (png/jpg), .npy, JSON file, or inline JSON")
    sub.add_parser("deployments", help="list deployments with health")
    p = sub.add_parser("undeploy", help="stop and remove a deployment")
    p.add_argument("name")


def _ship_verbs(sub: Any) -> None:
    p = sub.add_parser(
        "ship",
        help="best → package → build (when needed) → deploy, as one recorded operation",
        description="Ship a group's best experiment (by its objective, or --metric/--mode) or"
        " the one given with --experiment: package it, build its image when the deploy backend"
        " needs one (or --image is given), and deploy it. Progress goes to stderr; the"
        " operation stays readable with `mlpipe operations`.",
    )
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
    p.add_argument("--format", choices=["table", "json"], default="table")
    _common(p)
    p = sub.add_parser("operations", help="recorded operations (ship), newest first, or one")
    p.add_argument("id", nargs="?", help="one operation's id")
    p.add_argument("--limit", type=int, default=20, help="how many to list (default: 20)")
    p.add_argument("--format", choices=["table", "json"], default="table")


def _admin_verbs(sub: Any) -> None:
    p = sub.add_parser("config", help="show settings and their sources, or set one")
    p.add_argument("key", nargs="?")
    p.add_argument("value", nargs="?")
    p = sub.add_parser("cluster", help="cluster set-up manifests")
    p.add_argument("action", choices=["manifests"])
    p.add_argument("--nfs-server", required=True)
    p.add_argument("--namespace")
    p.add_argument("--nfs-path", default="/", help="export root on the NFS server")
    p.add_argument("--jupyter-image", default="jupyter-mlpipe/lab:latest")
    p.add_argument("-o", "--output", choices=["yaml", "json"], default="yaml")


def build_parser(prog: str = "mlpipe") -> argparse.ArgumentParser:
    """The parser of every verb (raises ArgError / HelpShown instead of exiting)."""
    parser = _Parser(
        prog=prog,
        description="From notebook to production: sweep, watch, pick, "
        "package, build, deploy (or all three: ship), predict.",
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)
    sub.required = True
    _sweep_verbs(sub)
    _model_verbs(sub)
    _ship_verbs(sub)
    _admin_verbs(sub)
    return parser


def _verbs() -> tuple[str, ...]:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return tuple(action.choices)
    return ()


#: Every verb, in declaration order (what the magics complete).
VERBS: tuple[str, ...] = _verbs()
