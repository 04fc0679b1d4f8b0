"""The local model server (Seldon v1 and Open Inference V2 REST protocols) and its client.

Modules: :mod:`.loader` (folder → model object, as Seldon's wrapper loads it), :mod:`.model`
(optional-hook rules), :mod:`.seldon_protocol` and :mod:`.v2_protocol` (pure codecs),
:mod:`.handlers` and :mod:`.app` (the ASGI app), :mod:`.server` (uvicorn), :mod:`.client`
(``build_payload`` / ``predict``). Run a server with ``python -m jupyter_mlpipe.serving``.

Nothing heavy is imported here; numpy, orjson and uvicorn load with the modules that use them.
"""

from __future__ import annotations
