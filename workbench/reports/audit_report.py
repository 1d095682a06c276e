"""The auditor's report: one self-contained HTML file per model version.

Sections follow the EU AI Act's Annex IV (technical documentation). Everything
is inline: CSS, images as data URIs, Evidently's report inside an ``iframe`` whose
``srcdoc`` carries the whole document. Every user-supplied string goes through
Jinja's autoescaping. The file is written atomically.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

from workbench._version import __version__
from workbench.core.clock import isoformat, utcnow
from workbench.core.errors import NotFound
from workbench.core.refs import ModelRef
from workbench.project.workspace import Workspace
from workbench.registry.aliases import alias_history_of
from workbench.registry.model_version import ModelVersion
from workbench.registry.versions import get_version
from workbench.reports.feature_skew import feature_skew
from workbench.reports.monitoring_section import monitoring_section
from workbench.reports.operations import report_jobs
from workbench.reports.rollout_section import rollout_section
from workbench.reports.scored_drift import scored_drift
from workbench.reports.signatures import collect_signatures, signatures_json
from workbench.store.audit import list_events
from workbench.store.files import atomic_write_text

__all__ = ["SECTIONS", "build_context", "offline", "render_report", "write_report"]

SECTIONS = (
    ("description", "1. Description and intended use"),
    ("data", "2. Data and lineage"),
    ("performance", "3. Performance metrics"),
    ("fairness", "4. Fairness"),
    ("explanations", "5. Explanations"),
    ("drift", "6. Drift"),
    ("oversight", "7. Human oversight"),
    ("aliases", "8. Change history of aliases"),
    ("monitoring", "9. Post-market monitoring"),
    ("audit", "10. Audit trail"),
)


def _data_uri(workspace: Workspace, version: ModelVersion, key: str) -> str | None:
    if key not in version.artifacts:
        return None
    ref = version.artifact(key)
    data = workspace.artifacts.get_bytes(ref.digest, name=f"{version.ref} {ref.name}")
    return f"data:{ref.media_type};base64,{base64.b64encode(data).decode('ascii')}"


# XML namespace identifiers are names, never fetched; every other address is neutralised.
_EXTERNAL_URL = re.compile(r"https?://(?!www\.w3\.org/)")


def offline(html_text: str) -> str:
    """Make addresses in embedded third-party HTML inert, so opening the report fetches nothing.

    Evidently's bundle carries plotly's default topojson CDN address and links in
    library error messages; none is needed to draw a drift report.
    """
    return _EXTERNAL_URL.sub("about:invalid#", html_text)


def _evidently_html(workspace: Workspace, version: ModelVersion) -> str | None:
    if "drift_report" not in version.artifacts:
        return None
    ref = version.artifact("drift_report")
    return offline(workspace.artifacts.get_bytes(ref.digest, name=f"{version.ref} drift report").decode("utf-8"))


def build_context(workspace: Workspace, ref: str | ModelRef) -> dict[str, Any]:
    """Everything the template shows, gathered through the services."""
    from workbench.governance.adoption import governing_policy
    from workbench.governance.gate import gate_status

    version = get_version(workspace, ref)
    try:
        with workspace.read() as conn:
            policy = governing_policy(conn, workspace.project, version.name)
        alias = "production" if "production" in policy.protects else policy.protects[0]
        gate = gate_status(workspace, version.ref, alias)
        policy_info: dict[str, Any] | None = {**policy.to_dict(), "path": workspace.project.relative(policy.path)}
    except NotFound:
        gate, policy_info = None, None
    chain = workspace.verify_audit()
    with workspace.read() as conn:
        events = list_events(conn, subject_prefix=f"model:{version.name}")
        events = [
            e
            for e in events
            if e.subject in (f"model:{version.ref}",) or e.subject.startswith(f"model:{version.name}@")
        ]
        operations = report_jobs(conn, version.name, version.version)
        skew = feature_skew(conn, version.name, version.version, version.lineage)
    scored = scored_drift(workspace, version)
    monitoring = monitoring_section(workspace, version, policy_info)
    signatures = collect_signatures(workspace, version, policy_info["name"] if policy_info else None)
    return {
        "v": version,
        "generated_at": isoformat(utcnow()),
        "workbench_version": __version__,
        "sections": SECTIONS,
        "policy": policy_info,
        "gate": gate,
        "chain": chain,
        "events": events,
        "alias_moves": alias_history_of(workspace, version.name),
        "shap_summary": _data_uri(workspace, version, "shap_summary_png"),
        "shap_bar": _data_uri(workspace, version, "shap_bar_png"),
        "evidently": _evidently_html(workspace, version),
        "operations": operations,
        "scored": scored,
        "feature_skew": skew,
        "monitoring": monitoring,
        "rollout": rollout_section(workspace, version.name),
        "project": workspace.project.root.name,
        "signatures": signatures,
        "signatures_json": signatures_json(signatures),
        "verify_script": _verify_script(),
    }


def _verify_script() -> str:
    """The report's offline signature check (WebCrypto), inlined so the report stays one file."""
    from importlib.resources import files

    return (files("workbench.reports") / "templates" / "verify_signatures.js").read_text(encoding="utf-8")


def _fmt(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _fmt_missing(value: Any, digits: int = 4) -> str:
    """Like ``fmt``, with a dash for a value the job did not record."""
    return "–" if value is None else _fmt(value, digits)


def _b64text(value: str) -> str:
    """Signed bytes as text for the reader (they are JSON under a one-line header)."""
    import base64

    return base64.b64decode(value).decode("utf-8", errors="replace")


def _yes_no(value: bool | None) -> str:
    return "–" if value is None else ("yes" if value else "no")


def render_report(workspace: Workspace, ref: str | ModelRef) -> str:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("workbench.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["fmt"] = _fmt
    environment.filters["fmt_missing"] = _fmt_missing
    environment.filters["yes_no"] = _yes_no
    environment.filters["b64text"] = _b64text
    return environment.get_template("audit_report.html.j2").render(**build_context(workspace, ref))


def write_report(workspace: Workspace, ref: str | ModelRef, output: str | Path) -> Path:
    html_text = render_report(workspace, ref)
    target = Path(output)
    atomic_write_text(target, html_text)
    version = get_version(workspace, ref)
    workspace.record(
        "report.generate",
        f"model:{version.ref}",
        {"path": workspace.project.relative(target) if _inside(workspace, target) else str(target)},
    )
    return target


def _inside(workspace: Workspace, path: Path) -> bool:
    try:
        workspace.project.relative(path)
    except Exception:
        return False
    return True
