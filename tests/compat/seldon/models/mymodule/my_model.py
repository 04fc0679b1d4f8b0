"""seldon-core v1.17.1's ``model-template-app2``: the template class, loaded through a submodule."""

from MyModel import MyModel

__all__ = ["MyModel"]
