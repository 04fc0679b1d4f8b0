"""``%config Mlpipe.<setting> = value``: session overrides of the settings, as traitlets.

IPython's ``%config`` magic finds configurables by class name, so the class is named ``Mlpipe``
(like the API it configures). It has one trait per setting of
:data:`jupyter_mlpipe.settings.REGISTRY`, ``None`` meaning "not overridden"; values are parsed and
checked by :class:`~jupyter_mlpipe.settings.Settings` when the API is rebuilt. ``project`` is
the exception that is also saved in the config file (see ``MlpipeMagics._keep_project``), so a
notebook keeps its project across a kernel restart.
"""

from __future__ import annotations

from typing import Any

from traitlets import Unicode
from traitlets.config import Configurable

from ..settings import REGISTRY


def _traits() -> dict[str, Any]:
    return {
        s.name: Unicode(None, allow_none=True, help=f"{s.help} ({s.env_var})").tag(config=True)
        for s in REGISTRY
    }


#: The configurable whose traits are the setting overrides of the notebook session.
Mlpipe: Any = type(
    "Mlpipe",
    (Configurable,),
    {
        "__doc__": "Settings of jupyter-mlpipe for this notebook session (None: not overridden).",
        "__module__": __name__,
        **_traits(),
    },
)


def overrides(config: Configurable) -> dict[str, str]:
    """The settings the session overrides: ``{name: text}`` for every trait that is set."""
    return {
        s.name: getattr(config, s.name) for s in REGISTRY if getattr(config, s.name) is not None
    }


SETTING_NAMES: tuple[str, ...] = tuple(s.name for s in REGISTRY)
