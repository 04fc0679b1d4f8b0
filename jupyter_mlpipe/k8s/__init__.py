"""Kubernetes support: pure renderers (:mod:`.manifests`) and the one API seam (:mod:`.client`).

Only this package and the Kubernetes backends (``executors/kubernetes.py``, ``builders/argo.py``,
``deployers/seldon.py``) import the ``kubernetes`` client, and they import it lazily, so importing
the renderers costs nothing beyond the standard library.
"""

from __future__ import annotations
