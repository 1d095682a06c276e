"""``wb.review(REF)``: an ipywidgets panel to review, approve, reject and promote.

The panel holds no governance logic: it renders
:func:`workbench.governance.review.review_state` and its buttons call the same
service functions as the CLI and the JupyterLab sidebar, then re-render. Under the
header, a chip per service level of the policy shows the version's status over the
policy's window (:func:`workbench.postmarket.slo.evaluate_slos`, which records nothing).
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

import ipywidgets as widgets

from workbench.core.errors import WorkbenchError
from workbench.governance.approvals import decide
from workbench.governance.gate import promote
from workbench.governance.review import ReviewState, review_state
from workbench.postmarket.slo import SloStatus, evaluate_slos, objectives_of, policy_of
from workbench.project.workspace import Workspace

__all__ = ["ReviewPanel", "drift_report_url", "server_base_url", "slo_chips"]


def server_base_url() -> str:
    """The base URL of the Jupyter server this kernel runs under (``/`` when it cannot tell).

    JupyterHub names it in ``JUPYTERHUB_SERVICE_PREFIX``; a plain server writes it to its
    runtime file ``jpserver-PID.json``, and the kernel knows that PID as ``JPY_PARENT_PID``.
    """
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if not prefix and os.environ.get("JPY_PARENT_PID", "").isdigit():
        from jupyter_core.paths import jupyter_runtime_dir

        info = Path(jupyter_runtime_dir()) / f"jpserver-{os.environ['JPY_PARENT_PID']}.json"
        try:
            prefix = json.loads(info.read_text(encoding="utf-8")).get("base_url")
        except (OSError, ValueError, AttributeError):
            prefix = None
    prefix = prefix if isinstance(prefix, str) and prefix.startswith("/") else "/"
    return prefix if prefix.endswith("/") else prefix + "/"


def drift_report_url(name: str, version: int) -> str:
    """The server's drift-report endpoint for a version: the report verified against its digest
    and served with a sandboxing Content-Security-Policy (its scripts cannot call the server)."""
    return f"{server_base_url()}workbench/api/models/{quote(name, safe='')}/versions/{int(version)}/drift-report"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="wb-table"><tr>{head}</tr>{body}</table>'


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "" if value is None else str(value)


_CHIP_COLORS = {"met": "#2e7d32", "breached": "#c62828", "no_data": "#757575"}


def _chip(objective: str, status: str, observed: float | None) -> str:
    value = "" if observed is None else f" ({observed:.4g})"
    return (
        f'<span class="wb-slo wb-slo-{status}" style="display:inline-block;margin:0 4px 4px 0;padding:1px 8px;'
        f'border-radius:10px;color:white;background:{_CHIP_COLORS[status]}">'
        f"{html.escape(objective)}: {status.replace('_', ' ')}{html.escape(value)}</span>"
    )


def slo_chips(workspace: Workspace, name: str, version: int) -> str:
    """One chip per objective of the governing policy (met, breached, no data) for ``name``'s ``version``
    over the policy's window, as HTML. Evaluating records nothing: ``workbench slo check`` records breaches."""
    try:
        check = evaluate_slos(workspace, name)
        mine: list[SloStatus] = [s for s in check.statuses if s.version == version]
        chips = [_chip(s.objective, s.status, s.observed) for s in mine]
        if not chips:  # no decisions of this version in the window: every objective has no data
            policy = policy_of(workspace, name)
            chips = [_chip(str(o), "no_data", None) for o in (objectives_of(policy) if policy else ())]
    except WorkbenchError as error:
        return f'<p class="wb-slos">Service levels could not be evaluated: {html.escape(error.message)}</p>'
    if not chips:
        return '<p class="wb-slos">Service levels: the policy declares none (<code>monitoring.slos</code>).</p>'
    return f'<div class="wb-slos">Service levels ({html.escape(check.window)}): {"".join(chips)}</div>'


class ReviewPanel(widgets.VBox):
    """A live review panel for one version and one protected alias."""

    def __init__(self, workspace: Workspace, ref: str, *, alias: str = "production") -> None:
        self.workspace = workspace
        self.ref = ref
        self.alias = alias
        self.header = widgets.HTML()
        self.slos = widgets.HTML()
        self.checks = widgets.HTML()
        self.metrics = widgets.HTML()
        self.features = widgets.Image(format="png", layout=widgets.Layout(max_width="560px"))
        self.drift = widgets.HTML()
        self.fairness = widgets.HTML()
        self.approvals = widgets.HTML()
        self.comment = widgets.Textarea(placeholder="Comment (required to reject)", layout=widgets.Layout(width="100%"))
        self.approve_button = widgets.Button(description="Approve", button_style="success", icon="check")
        self.reject_button = widgets.Button(description="Reject", button_style="danger", icon="times")
        self.promote_button = widgets.Button(description=f"Promote to {alias}", button_style="primary", icon="arrow-up")
        self.status = widgets.HTML()
        self.approve_button.on_click(lambda _b: self.approve())
        self.reject_button.on_click(lambda _b: self.reject())
        self.promote_button.on_click(lambda _b: self.promote())
        tabs = widgets.Tab(
            children=[
                self.checks,
                self.metrics,
                widgets.VBox([self.features]),
                self.drift,
                self.fairness,
                self.approvals,
            ]
        )
        for index, title in enumerate(["Checks", "Metrics", "Top features", "Drift", "Fairness", "Approvals"]):
            tabs.set_title(index, title)
        buttons = widgets.HBox([self.approve_button, self.reject_button, self.promote_button])
        super().__init__([self.header, self.slos, tabs, self.comment, buttons, self.status])
        self.state: ReviewState | None = None
        self.refresh()

    def refresh(self) -> ReviewState:
        state = review_state(self.workspace, self.ref, self.alias)
        self.state = state
        v = state.version
        gate = state.gate or {}
        self.header.value = (
            f"<h3>{html.escape(v.ref)} <small>by {html.escape(v.author)}; "
            f"reviewing as {html.escape(state.user)}</small></h3>"
            f"<p>{html.escape(v.description)}</p>"
            f"<p>Approvals {gate.get('approvals', 0)}/{gate.get('approvals_required', '?')} · "
            f"aliases: {html.escape(', '.join(v.aliases) or 'none')}</p>"
        )
        self.slos.value = slo_chips(self.workspace, v.name, v.version)
        self.checks.value = (
            _table(
                ["check", "status", "value", "limit"],
                [[c["check"], c["status"], c["observed"], c["limit"]] for c in v.checks],
            )
            if v.checks
            else f"<p>No checks yet: run <code>workbench check {html.escape(v.ref)}</code>.</p>"
        )
        self.metrics.value = _table(
            ["metric", "value"], [[k, val] for k, val in v.metrics.items() if isinstance(val, (int, float))]
        )
        if "shap_bar_png" in v.artifacts:
            ref = v.artifact("shap_bar_png")
            self.features.value = self.workspace.artifacts.get_bytes(ref.digest, name=ref.name)
        summary = v.drift.get("summary", {})
        link = self._drift_link()
        self.drift.value = (
            f"<p>{summary.get('n_drifted')}/{summary.get('n_columns')} columns drifted (share "
            f"{_fmt(summary.get('drift_share'))}) between train and valid.</p>"
            + _table(
                ["column", "test", "score", "drifted"],
                [[c["column"], c["stattest"], c["score"], c["drifted"]] for c in v.drift.get("columns", [])],
            )
            + link
        )
        self.fairness.value = (
            "".join(
                f"<h4>{html.escape(col)}</h4>"
                + _table(
                    ["group", "count", "selection rate", "TPR", "FPR"],
                    [[g["group"], g["count"], g["selection_rate"], g["tpr"], g["fpr"]] for g in f.get("groups", [])],
                )
                + f"<p>DP difference {_fmt(f.get('demographic_parity_difference'))}, "
                f"EO difference {_fmt(f.get('equalized_odds_difference'))}</p>"
                for col, f in v.fairness.items()
            )
            or "<p>No sensitive columns declared.</p>"
        )
        self.approvals.value = (
            _table(
                ["who", "decision", "comment", "time"],
                [[d["actor"], d["decision"], d["comment"], d["time"]] for d in v.decisions],
            )
            if v.decisions
            else "<p>No approvals yet.</p>"
        )
        for button, allowed, reason in (
            (self.approve_button, state.can_approve, state.approve_reason),
            (self.reject_button, state.can_reject, state.reject_reason),
            (self.promote_button, state.can_promote, state.promote_reason),
        ):
            button.disabled = not allowed
            button.tooltip = reason
        reasons = [r for r in {state.approve_reason, state.promote_reason} if r]
        self.status.value = "".join(f'<div class="wb-reason">{html.escape(r)}</div>' for r in reasons)
        return state

    def _drift_link(self) -> str:
        v = self.state.version if self.state else None
        if v is None or "drift_report" not in v.artifacts:
            return ""
        href = drift_report_url(v.name, v.version)
        return (
            f'<p><a href="{html.escape(href)}" target="_blank" rel="noopener">Open the Evidently drift report</a> '
            "(served by the Jupyter server, verified against its digest, in a sandbox)</p>"
        )

    def _act(self, action: Any, done: str) -> None:
        try:
            action()
        except WorkbenchError as error:
            self.refresh()
            details = error.details if isinstance(error.details, list) else []
            self.status.value = f'<div class="wb-error">{html.escape(error.message)}</div>' + "".join(
                f"<div>- {html.escape(str(d))}</div>" for d in details
            )
            return
        self.comment.value = ""
        self.refresh()
        self.status.value = f'<div class="wb-ok">{html.escape(done)}</div>' + self.status.value

    def approve(self) -> None:
        self._act(lambda: decide(self.workspace, self.ref, "approve", self.comment.value), "Approved.")

    def reject(self) -> None:
        self._act(lambda: decide(self.workspace, self.ref, "reject", self.comment.value), "Rejected.")

    def promote(self) -> None:
        self._act(
            lambda: promote(self.workspace, self.ref, self.alias, reason=self.comment.value),
            f"Promoted to {self.alias}.",
        )
