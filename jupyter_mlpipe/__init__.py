"""jupyter-mlpipe: from a notebook to a served model.

Sweep hyper-parameters (polyaxonfile YAML), watch metrics live, pick the best experiment,
package it as a Seldon s2i folder, build an image, deploy it and query it — locally by default,
on Kubernetes when you outgrow one machine.

Importing this package is cheap: heavy parts (pandas, torch, kubernetes, tornado, ipywidgets,
matplotlib) load only when a feature that needs them is used.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "MlpipeError"]

from .errors import MlpipeError


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext jupyter_mlpipe``: register the ``%mlpipe`` / ``%%mlpipe`` magics."""
    from .magics import register

    register(ipython)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_mlpipe.serverext"}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyter-mlpipe"}]
