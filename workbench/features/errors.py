"""The feature-set errors, all inside workbench's one tree (:mod:`workbench.core.errors`).

::

    ValidationError
    └── FeatureError                a definition, source or entity frame that cannot be used (400)
    NotFound
    └── UnknownFeatureSet           no feature set of that name in the project's features/ (404)
    Conflict
    └── FeatureDefinitionChanged    the definition differs from the one a model or store recorded (409)
"""

from __future__ import annotations

from workbench.core.errors import Conflict, NotFound, ValidationError

__all__ = ["FeatureDefinitionChanged", "FeatureError", "UnknownFeatureSet"]


class FeatureError(ValidationError):
    """A feature set, one of its sources or an entity frame that cannot be used as given."""


class UnknownFeatureSet(NotFound):
    """No feature set of that name is declared in the project."""


class FeatureDefinitionChanged(Conflict):
    """The feature set's current definition is not the one a model version or the online store recorded."""
