"""Jupyter server extension: the REST API the JupyterLab sidebar talks to.

Enabled on install by ``etc/jupyter/jupyter_server_config.d/jupyter_mlpipe.json``. Loading it
creates one :class:`~jupyter_mlpipe.api.Mlpipe` (settings from the server's environment, as for
the CLI; the repos root defaults to the server's root folder; long work such as ship runs in the
API's own background threads) and registers the handlers of :mod:`.handlers` under
``<base_url>/mlpipe/api/``. The routes are described in ``openapi.yaml`` (served at
``mlpipe/api/openapi.json``).
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_mlpipe.serverext"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Create the API object and register the handlers on the server's web application."""
    from ..api import Mlpipe
    from .handlers import setup_handlers

    api = Mlpipe(_settings(server_app))
    settings = api.settings
    setup_handlers(server_app.web_app, api)
    server_app.log.info(
        "jupyter-mlpipe API at %smlpipe/api/ (outputs root %s, user %s)",
        server_app.web_app.settings.get("base_url", "/"),
        settings.outputs_root,
        settings.user,
    )


def _settings(server_app: Any) -> Any:
    """The settings in force, with the repos root defaulting to the server's root folder.

    Paths typed in the sidebar (a spec file, a model folder) are then relative to the folder the
    JupyterLab file browser shows, unless ``MLPIPE_REPOS_ROOT`` (or the config file) says
    otherwise.
    """
    from pathlib import Path

    from ..settings import Settings

    settings = Settings.load()
    if settings.sources.get("repos_root") == "default" and getattr(server_app, "root_dir", None):
        settings = settings.replace(repos_root=str(Path(server_app.root_dir).resolve()))
    return settings


# jupyter_server calls this name for extensions loaded by module path as well.
load_jupyter_server_extension = _load_jupyter_server_extension
