"""The part of Seldon Core 1.17.1's Python API that model classes import, for the local server.

Only the model server process can import this package (its folder is appended to ``sys.path``
when a model is loaded; a real ``seldon_core`` installed beside the server wins). It provides:

* :mod:`seldon_core.user_model`: ``SeldonComponent``, ``SeldonResponse``,
  ``SeldonNotImplementedError``;
* :mod:`seldon_core.metrics`: ``SeldonResponse``, ``validate_metrics``, ``create_counter``,
  ``create_gauge``, ``create_timer``, ``split_image_tag`` and the metric type names;
* :mod:`seldon_core.flask_utils`: ``SeldonMicroserviceException``.

The server honours them as Seldon does: a ``SeldonResponse``'s runtime tags and metrics join the
reply's ``meta``; a ``SeldonMicroserviceException`` answers its ``status_code`` with its
``to_dict()`` body; a hook raising ``SeldonNotImplementedError`` counts as absent.
"""

SHIM = True  # lets a model (or a test) tell this shim from the real package
