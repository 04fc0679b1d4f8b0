"""IPython magics: ``%load_ext jupyter_mlpipe`` registers ``%mlpipe`` and ``%%mlpipe``.

Only this package (with :mod:`jupyter_mlpipe.widgets` and :mod:`jupyter_mlpipe.plots`) imports
IPython.
"""

from __future__ import annotations

from typing import Any

from ..errors import require_extra

require_extra("IPython", "notebook", "the %mlpipe magics")

from .complete import mlpipe_matcher  # noqa: E402 - after the check, on purpose
from .core import MlpipeMagics, notebook_parser  # noqa: E402

__all__ = ["MlpipeMagics", "notebook_parser", "register"]


def register(ipython: Any, api: Any = None) -> MlpipeMagics:
    """Register the magics, their ``%config`` section and tab completion on ``ipython``.

    Args:
        ipython: the shell (``get_ipython()``).
        api: an API object to use instead of building one from the settings.

    Returns:
        The registered :class:`MlpipeMagics` instance.
    """
    magics = MlpipeMagics(ipython, api=api)
    ipython.register_magics(magics)
    if magics.config_object not in ipython.configurables:
        ipython.configurables.append(magics.config_object)

    completer = getattr(ipython, "Completer", None)
    if completer is not None and hasattr(completer, "custom_matchers"):
        completer.custom_matchers.append(mlpipe_matcher(magics.completer))
    return magics
