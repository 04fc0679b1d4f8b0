"""Jupyter server extension: the REST API the JupyterLab sidebar talks to.

Enabled on install by ``etc/jupyter/jupyter_server_config.d/jupyter_mlpipe.json``. Loading it
creates one :class:`~jupyter_mlpipe.api.Mlpipe` (settings from the server's environment, as for
the CLI) and one :class:`.operations.Operations` runner, and registers the handlers of
:mod:`.handlers` under ``<base_url>/mlpipe/api/``. The routes are described in ``openapi.yaml``
(served at ``mlpipe/api/openapi.json``).
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_mlpipe.serverext"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Create the API object and register the handlers on the server's web application."""
    from ..api import Mlpipe
    from .handlers import setup_handlers
    from .operations import Operations, OperationStore

    api = Mlpipe()
    settings = api.settings
    operations = Operations(api, OperationStore(settings.outputs_root, settings.user))
    setup_handlers(server_app.web_app, api, operations)
    server_app.log.info(
        "jupyter-mlpipe API at %smlpipe/api/ (outputs root %s, user %s)",
        server_app.web_app.settings.get("base_url", "/"),
        settings.outputs_root,
        settings.user,
    )


# jupyter_server calls this name for extensions loaded by module path as well.
load_jupyter_server_extension = _load_jupyter_server_extension
