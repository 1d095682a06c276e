"""The :class:`ModelVersion` value and its notebook display."""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from workbench.artifacts.store import ArtifactRef

__all__ = ["ModelSummary", "ModelVersion"]


@dataclass(frozen=True)
class ModelSummary:
    name: str
    latest_version: int
    versions: int
    aliases: dict[str, int]
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ModelVersion:
    """One immutable registered version, with the evidence recorded for it."""

    name: str
    version: int
    author: str
    created_at: datetime
    task: str
    description: str
    intended_use: str
    artifacts: dict[str, dict[str, Any]]
    contract: dict[str, Any]
    lineage: dict[str, Any]
    metrics: dict[str, Any]
    explanation: dict[str, Any]
    drift: dict[str, Any]
    fairness: dict[str, Any]
    retrain_recommended: bool = False
    aliases: tuple[str, ...] = ()
    checks: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    decisions: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def ref(self) -> str:
        return f"{self.name}:{self.version}"

    def artifact(self, name: str) -> ArtifactRef:
        return ArtifactRef.from_dict(self.artifacts[name])

    @property
    def digests(self) -> dict[str, str]:
        return {name: entry["digest"] for name, entry in sorted(self.artifacts.items())}

    @property
    def top_features(self) -> list[tuple[str, float]]:
        return [(row["feature"], row["mean_abs_shap"]) for row in self.explanation.get("global", [])[:10]]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["aliases"] = list(self.aliases)
        data["checks"] = list(self.checks)
        data["decisions"] = list(self.decisions)
        data["ref"] = self.ref
        return data

    def _repr_html_(self) -> str:
        esc = html.escape
        metric_rows = "".join(
            f"<tr><td>{esc(k)}</td><td>{v:.4f}</td></tr>"
            for k, v in self.metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        )
        if self.checks:
            check_rows = "".join(
                f"<tr><td>{esc(str(c['check']))}</td><td>{esc(str(c['status']))}</td>"
                f"<td>{esc(str(c.get('observed')))}</td><td>{esc(str(c.get('limit')))}</td></tr>"
                for c in self.checks
            )
            checks = f"<table><tr><th>check</th><th>status</th><th>value</th><th>limit</th></tr>{check_rows}</table>"
        else:
            checks = f"<p>No checks run yet: <code>workbench check {esc(self.ref)}</code>.</p>"
        features = "".join(f"<li>{esc(f)} ({v:.4f})</li>" for f, v in self.top_features[:5])
        aliases = ", ".join(esc(a) for a in self.aliases) or "none"
        drift = self.drift.get("summary", {})
        drift_line = (
            f"{drift.get('n_drifted', 0)}/{drift.get('n_columns', 0)} columns drifted (train vs valid)"
            if drift
            else "not computed"
        )
        return (
            f'<div class="workbench-model-version"><h4>{esc(self.ref)} '
            f"<small>by {esc(self.author)}, aliases: {aliases}</small></h4>"
            f"<p>{esc(self.description)}</p>"
            f"<b>Checks</b>{checks}<b>Metrics</b><table>{metric_rows}</table>"
            f"<b>Top features</b><ol>{features}</ol><b>Drift</b><p>{esc(drift_line)}</p></div>"
        )
