"""The audit report's rollout subsection: the model's shadow or canary compared, as ``workbench rollout report``.

Shown under post-market monitoring when the model has online decisions from a rollout, a
batch job's shadow, or rollout events (a stop, a promotion, an automatic rollback naming
its guard). The numbers are :func:`workbench.serving.report.rollout_report`'s.
"""

from __future__ import annotations

from typing import Any

from workbench.project.workspace import Workspace

__all__ = ["rollout_section"]


def rollout_section(workspace: Workspace, name: str) -> dict[str, Any] | None:
    """What the template shows, or None when the model never rolled anything out."""
    from workbench.serving.report import format_report, rollout_report

    report = rollout_report(workspace, name)
    if report.get("mode") is None and not report.get("events"):
        return None
    rollbacks = [e for e in report["events"] if e["action"] == "rollout.rollback"]
    return {"mode": report.get("mode"), "text": format_report(report), "rollbacks": rollbacks}
