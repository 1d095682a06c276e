"""Finding the project's feature sets: every :class:`FeatureSet` at the top level of ``features/*.py``.

The modules are the project's own code (like its notebooks) and are imported from their
files under a private package name, fresh on every call so an edit is seen at once;
nothing else is executed. Modules whose name starts with ``_`` are helpers and are not
searched. Two feature sets with one name are refused, naming both modules.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path

from workbench.features.definition import FeatureSet
from workbench.features.errors import FeatureError, UnknownFeatureSet
from workbench.project.config import Project

__all__ = ["FEATURES_FOLDER", "CatalogEntry", "feature_sets", "get_feature_set"]

#: Where a project's feature modules live, relative to its root.
FEATURES_FOLDER = "features"
_PACKAGE = "workbench_project_features"


@dataclass(frozen=True)
class CatalogEntry:
    feature_set: FeatureSet
    module: str  # the module's path relative to the project root


def _modules(project: Project) -> list[Path]:
    folder = project.root / FEATURES_FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def _load(project: Project, path: Path) -> list[FeatureSet]:
    resolved = project.resolve_inside(path, "feature module")
    name = f"{_PACKAGE}.{resolved.stem}"
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise FeatureError(f"Cannot import the feature module {project.relative(resolved)}.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and typing in the module look themselves up here
    try:
        spec.loader.exec_module(module)
    except FeatureError as exc:
        raise FeatureError(f"{project.relative(resolved)}: {exc.message}", details=exc.details) from exc
    except Exception as exc:
        sys.modules.pop(name, None)
        raise FeatureError(
            f"Importing the feature module {project.relative(resolved)} failed ({type(exc).__name__}: {exc}); "
            "fix the module (run it with python to see the traceback)."
        ) from exc
    return [value for value in vars(module).values() if isinstance(value, FeatureSet)]


def feature_sets(project: Project) -> dict[str, CatalogEntry]:
    """Every feature set the project declares, by name."""
    found: dict[str, CatalogEntry] = {}
    for path in _modules(project):
        where = project.relative(path)
        for feature_set in _load(project, path):
            previous = found.get(feature_set.name)
            if previous is not None and previous.feature_set is not feature_set:
                raise FeatureError(
                    f"Two feature sets are named {feature_set.name!r}: in {previous.module} and in {where}; rename one."
                )
            found[feature_set.name] = CatalogEntry(feature_set, where)
    return found


def get_feature_set(project: Project, name: str) -> FeatureSet:
    """The feature set ``name``, or :class:`UnknownFeatureSet` listing those that exist."""
    entries = feature_sets(project)
    if name in entries:
        return entries[name].feature_set
    known = ", ".join(sorted(entries)) or f"none: {FEATURES_FOLDER}/ holds no feature modules"
    raise UnknownFeatureSet(
        f"No feature set named {name!r} in this project (known: {known}). Declare it in "
        f"{FEATURES_FOLDER}/<module>.py as a FeatureSet (docs/features.md).",
        details={"name": name, "known": sorted(entries)},
    )
