"""What each verb says about itself: a one-line summary, a description and one example.

Declared once here, used by :mod:`.grammar` (``mlpipe VERB --help``), by the overview that
``mlpipe`` alone prints, and by a test that checks every verb has all three.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VerbHelp:
    """The help of one verb.

    Attributes:
        summary: one line for the verb list (``mlpipe --help``).
        description: what the verb does and what it prints, for ``mlpipe VERB --help``.
        example: one command line that works as written (after a sweep exists).
        stage: the step of the workflow the overview lists the verb under.
    """

    summary: str
    description: str
    example: str
    stage: str


_TRAIN, _PICK, _SERVE, _ADMIN = "train and watch", "pick the best", "serve", "settings"

HELP: dict[str, VerbHelp] = {
    "sweep": VerbHelp(
        "validate a polyaxonfile and start its experiments",
        "Validate the polyaxonfile (errors point at file:line:col), create a group and start its"
        " experiments under a detached supervisor that outlives this command.",
        "mlpipe sweep notebooks/mnist/polyaxonfile_hyperparams.yml --wait",
        _TRAIN,
    ),
    "resume": VerbHelp(
        "restart a group whose supervisor died",
        "Start a new supervisor for a group whose supervisor died (a reboot, a kill): it runs the"
        " experiments that had not started; finished ones are kept.",
        "mlpipe resume 3",
        _TRAIN,
    ),
    "groups": VerbHelp(
        "list sweeps with status counts",
        "One row per group of the project: name, status, objective, and how many experiments are"
        " in each state.",
        "mlpipe groups --format json",
        _TRAIN,
    ),
    "experiments": VerbHelp(
        "one row per experiment of a group",
        "One row per experiment: by default what you compare (the params that vary, the"
        " objective, the other metrics' last values, status, duration, the reason of a failure);"
        " --all adds every column (attempt, times, constant params, metric min/max).",
        "mlpipe experiments 3 --sort -accuracy",
        _TRAIN,
    ),
    "logs": VerbHelp(
        "an experiment's output",
        "Print what the experiment's process wrote; --follow keeps printing until it ends.",
        "mlpipe logs 12 --follow",
        _TRAIN,
    ),
    "plot": VerbHelp(
        "metric curves of a group (a PNG in a terminal, live in a notebook)",
        "Draw one line per experiment for each metric. In a terminal it writes a PNG"
        " (--save, default group-N.png); in a notebook the plot updates live.",
        "mlpipe plot 3 --metric loss --save loss.png",
        _TRAIN,
    ),
    "stop": VerbHelp(
        "stop a group, or one experiment with --experiment",
        "Stop running work (SIGTERM, a grace period, then SIGKILL); what was written stays.",
        "mlpipe stop 3",
        _TRAIN,
    ),
    "best": VerbHelp(
        "the winning experiment of a group (by its objective)",
        "The succeeded experiment with the best last value of the group's objective (or of"
        " --metric with --mode). Nothing guesses a direction: without an objective, say --mode.",
        "mlpipe best 3 --format json",
        _PICK,
    ),
    "objective": VerbHelp(
        "show or set what a group optimises (METRIC:min|max)",
        "Show the group's objective, or set it; best, plots, the dashboard and ship default to it.",
        "mlpipe objective 3 accuracy:max",
        _PICK,
    ),
    "package": VerbHelp(
        "write the Seldon s2i folder for an experiment",
        "Copy the experiment's checkpoint and the model class into a Seldon s2i source folder"
        " (or an MLServer one with --layout mlserver), with a lineage record.",
        "mlpipe package 12 --name mnist-best",
        _SERVE,
    ),
    "build": VerbHelp(
        "build (and push) the serving image of a package",
        "Build the package's serving image with a local builder (docker, podman, buildah) or on"
        " the cluster with an Argo Workflow; build output streams as it comes.",
        "mlpipe build mnist-best --image registry:5000/mnist:v1 --push",
        _SERVE,
    ),
    "deploy": VerbHelp(
        "serve a package",
        "Serve a package: a local model server process speaking the Seldon protocol, or a"
        " SeldonDeployment on the cluster (--backend seldon).",
        "mlpipe deploy mnist-best",
        _SERVE,
    ),
    "predict": VerbHelp(
        "query a deployment",
        "Send an input to a deployment and print the answer: the class and the top"
        " probabilities for a classifier.",
        "mlpipe predict mnist-best digit.png",
        _SERVE,
    ),
    "deployments": VerbHelp(
        "list deployments with health",
        "One row per deployment: backend, live health, where it answers, what it serves.",
        "mlpipe deployments",
        _SERVE,
    ),
    "undeploy": VerbHelp(
        "stop and remove a deployment",
        "Stop serving the deployment and forget it; its package folder stays.",
        "mlpipe undeploy mnist-best",
        _SERVE,
    ),
    "ship": VerbHelp(
        "best → package → build (when needed) → deploy, as one recorded operation",
        "Ship a group's best experiment (by its objective, or --metric/--mode) or the one given"
        " with --experiment: package it, build its image when the deploy backend needs one (or"
        " --image is given), and deploy it. Progress goes to stderr; the operation stays"
        " readable with `mlpipe operations`.",
        "mlpipe ship 3",
        _SERVE,
    ),
    "operations": VerbHelp(
        "recorded operations (ship), newest first, or one",
        "List recorded operations with their steps, newest first, or show one by id.",
        "mlpipe operations --limit 5",
        _SERVE,
    ),
    "config": VerbHelp(
        "show settings and their sources, or set one",
        "Without arguments, every setting in force and where it came from; with KEY, that one;"
        " with KEY VALUE, save it in the config file.",
        "mlpipe config project mnist",
        _ADMIN,
    ),
    "cluster": VerbHelp(
        "cluster set-up manifests",
        "Print the Kubernetes manifests that set a cluster up for mlpipe (namespace, NFS"
        " volumes, RBAC, JupyterLab).",
        "mlpipe cluster manifests --nfs-server 10.0.0.5 > cluster.yaml",
        _ADMIN,
    ),
}

STAGES = (_TRAIN, _PICK, _SERVE, _ADMIN)


def epilog(verb: str) -> str:
    """The example block at the end of ``mlpipe VERB --help``."""
    return f"example:\n  {HELP[verb].example}"


def overview(version: str, prog: str = "mlpipe") -> str:
    """What ``mlpipe`` alone and ``mlpipe --version`` print: the version and the verbs."""
    import shutil
    import textwrap

    width = max(60, min(shutil.get_terminal_size((80, 24)).columns, 100))
    lines = textwrap.wrap(
        f"{prog} {version} — from notebook to production: sweep, watch, pick, package, build,"
        " deploy, predict",
        width,
    )
    lines.append("")
    for stage in STAGES:
        lines.append(f"{stage}:")
        for verb, text in HELP.items():
            if text.stage == stage:
                lines += textwrap.wrap(
                    text.summary, width, initial_indent=f"  {verb:12} ", subsequent_indent=" " * 15
                )
    lines += [
        "",
        f"`{prog} VERB --help` explains a verb, with an example. Start with:",
        f"  {prog} sweep notebooks/mnist/polyaxonfile_hyperparams.yml --objective accuracy:max"
        " --wait",
    ]
    return "\n".join(lines)
