"""workbench: governed, reproducible ML automation for JupyterLab.

``import workbench as wb`` is cheap: the kernel API in :mod:`workbench.api` is
loaded on first attribute access (PEP 562), and heavy libraries (xgboost, shap,
evidently, dask, matplotlib) only inside the functions that need them.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from workbench._version import __version__

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    # import_module, not `from workbench import api`: the latter asks this module for
    # the attribute `api` first, which would land back here.
    api = importlib.import_module("workbench.api")
    try:
        return getattr(api, name)
    except AttributeError:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    api = importlib.import_module("workbench.api")
    return sorted(set(globals()) | set(getattr(api, "__all__", ())))


class _Workbench(types.ModuleType):
    """``wb.features`` is the kernel API's feature-set namespace (:mod:`workbench.api_features`), never
    the :mod:`workbench.features` package, which Python binds as this module's attribute once anything
    imports it (registering or scoring with a feature set does): without this property, every
    ``wb.features.get(...)`` after the first would find the package instead. The package stays in
    ``sys.modules``, where ``import workbench.features.pit`` and ``from workbench.features import ...``
    find it."""

    @property
    def features(self) -> Any:
        return importlib.import_module("workbench.api_features")

    @features.setter
    def features(self, package: Any) -> None:
        # The import system binding the subpackage here: sys.modules already holds it.
        return None


sys.modules[__name__].__class__ = _Workbench


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "workbench"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    # Imported here, not at the top: only a Jupyter server calls this, and
    # `import workbench` must not pull in jupyter_server.
    from workbench.server.extension import WorkbenchApp

    return [{"module": "workbench.server", "app": WorkbenchApp}]
