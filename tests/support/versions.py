"""More versions of a registered model, fast: copies of one version's evidence through the
registry's real insert path (its row and its ``model.register`` audit event)."""

from __future__ import annotations

from workbench.project.workspace import Workspace
from workbench.registry.store_version import insert_version
from workbench.registry.versions import get_version

__all__ = ["register_copies"]

_EVIDENCE = (
    "description",
    "intended_use",
    "artifacts",
    "contract",
    "lineage",
    "metrics",
    "explanation",
    "drift",
    "fairness",
)


def register_copies(workspace: Workspace, count: int, ref: str = "admissions:1") -> list[str]:
    """Register ``count`` more versions of ``ref``'s model with ``ref``'s evidence, as ``workspace``'s user."""
    source = get_version(workspace, ref)
    evidence = {field: getattr(source, field) for field in _EVIDENCE}
    return [insert_version(workspace, name=source.name, task=source.task, **evidence).ref for _ in range(count)]
