"""Feature sets defined once, for training and scoring (issue 17; docs/features.md).

The public surface: :class:`FeatureSet` and :class:`Source` to declare feature sets in a
project's ``features/`` modules, and the errors. The services (point-in-time training
sets, materialization, online lookups, the record a model version keeps) live in their
own modules and are reached from the faces (``wb.features``, ``workbench features``).
"""

from __future__ import annotations

from workbench.features.definition import FeatureSet, Source
from workbench.features.errors import FeatureDefinitionChanged, FeatureError, UnknownFeatureSet

__all__ = ["FeatureDefinitionChanged", "FeatureError", "FeatureSet", "Source", "UnknownFeatureSet"]
