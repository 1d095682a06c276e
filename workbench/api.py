"""The kernel API: what ``import workbench as wb`` offers inside a notebook.

Each function is a thin call into a service; the services hold the logic so the
CLI, the widgets and the server face behave the same. The project is found from
the notebook's working folder, the user from ``WORKBENCH_USER``/git/OS.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench import api_features as features
from workbench import api_outcomes as outcomes
from workbench.core.errors import WorkbenchError
from workbench.core.refs import ModelRef, parse_ref

if TYPE_CHECKING:
    import polars as pl
    import xgboost

    from workbench.governance.approvals import Decision
    from workbench.governance.checks import CheckReport
    from workbench.registry.aliases import AliasMove
    from workbench.registry.model_version import ModelVersion

__all__ = [
    "ModelRef",
    "WorkbenchError",
    "adopt_policy",
    "adopt_roster",
    "approve",
    "check",
    "context",
    "decide",
    "features",
    "get",
    "load",
    "models",
    "monitoring",
    "outcomes",
    "parse_ref",
    "promote",
    "queue",
    "register",
    "reject",
    "report",
    "review",
    "score",
    "set_alias",
    "validate",
    "workspace",
]


def _here(path: str | Path) -> str:
    """A local path relative to the kernel's folder (as open() reads it), made absolute; URLs as given.

    Only the meaning of a relative path is settled here: the service confines every path
    and URL to the project (``workbench.project.paths.resolve_location``).
    """
    from workbench.project.paths import is_url

    text = str(path)
    if is_url(text):
        return text
    absolute = str(Path(text).expanduser().absolute())
    return absolute + "/" if text.endswith("/") and not absolute.endswith("/") else absolute


def workspace(path: str | Path | None = None) -> Any:
    """The project workspace for ``path`` (default: the current folder)."""
    from workbench.project.workspace import open_workspace

    return open_workspace(path)


def context() -> Any:
    """Where this code runs: stage, run id, parameters, whether under papermill."""
    from workbench.pipelines.context import context as current

    return current()


def register(
    model: Any,
    *,
    name: str,
    train: pl.DataFrame,
    valid: pl.DataFrame,
    target: str,
    sensitive: list[str] | tuple[str, ...] = (),
    metrics: dict[str, float] | None = None,
    description: str = "",
    intended_use: str = "",
    keys: list[str] | tuple[str, ...] = (),
    features: list[str] | None = None,
    feature_set: str | None = None,
    contract: str | Path | None = None,
    alias: str | None = None,
    monitor: list[str] | tuple[str, ...] = (),
    explain: str = "exact",
    evidently_report: bool = True,
) -> ModelVersion:
    """Register an XGBoost model as the next immutable version of ``name``."""
    from workbench.registry.register import RegisterOptions
    from workbench.registry.register import register as _register

    ws = workspace()
    version = _register(
        ws,
        model,
        name=name,
        train=train,
        valid=valid,
        target=target,
        sensitive=sensitive,
        metrics=metrics,
        description=description,
        intended_use=intended_use,
        keys=keys,
        features=features,
        feature_set=feature_set,
        contract_file=_here(contract) if contract is not None else None,
        monitor=monitor,
        options=RegisterOptions(explain=explain, evidently_report=evidently_report),
    )
    if alias:
        set_alias(name, alias, version.version, reason="set at registration")
        return get(f"{name}:{version.version}")
    return version


def get(ref: str) -> ModelVersion:
    from workbench.registry.versions import get_version

    return get_version(workspace(), ref)


def models() -> list[Any]:
    from workbench.registry.versions import list_models

    return list_models(workspace())


def load(ref: str) -> xgboost.Booster:
    """The version's booster, verified against its recorded digest."""
    from workbench.registry.versions import load_model

    return load_model(workspace(), ref)


def validate(df: pl.DataFrame, ref: str) -> Any:
    """Per-column report of ``df`` against the version's input contract."""
    from workbench.contracts import InputContract
    from workbench.contracts import validate as _validate

    return _validate(df, InputContract.from_dict(get(ref).contract))


def set_alias(name: str, alias: str, version: int, *, reason: str = "") -> AliasMove:
    from workbench.governance.aliases import set_alias as _set_alias

    return _set_alias(workspace(), name, alias, version, reason=reason)


def check(ref: str, *, policy: str | None = None) -> CheckReport:
    from workbench.governance.checks import run_checks

    return run_checks(workspace(), ref, policy_path=policy)


def approve(ref: str, comment: str = "") -> Decision:
    from workbench.governance.approvals import approve as _approve

    return _approve(workspace(), ref, comment)


def reject(ref: str, comment: str) -> Decision:
    from workbench.governance.approvals import reject as _reject

    return _reject(workspace(), ref, comment)


def promote(ref: str, alias: str = "production", *, reason: str = "") -> AliasMove:
    """Move a protected alias through the gate; raises ``PromotionBlocked`` with every unmet condition."""
    from workbench.governance.gate import promote as _promote

    return _promote(workspace(), ref, alias, reason=reason)


def adopt_policy(file: str | Path, comment: str = "") -> Any:
    """Sign a policy file for adoption with your key (``workbench policy adopt``); it governs once
    enough policy admins signed the same content. Returns the adoption's state."""
    from workbench.governance.adoption import adopt_policy as _adopt

    return _adopt(workspace(), file, comment=comment)


def adopt_roster(comment: str = "") -> Any:
    """Sign the project's roster for adoption with your policy-admin key (``workbench roster adopt``)."""
    from workbench.governance.adoption import adopt_roster as _adopt

    return _adopt(workspace(), comment=comment)


def review(ref: str, alias: str = "production") -> Any:
    """An ipywidgets panel to review, approve, reject and promote ``ref``."""
    from workbench.widgets.review import ReviewPanel

    return ReviewPanel(workspace(), ref, alias=alias)


def report(ref: str, output: str | Path) -> Path:
    """Write the self-contained HTML audit report of ``ref``."""
    from workbench.reports.audit_report import write_report

    ws = workspace()
    return write_report(ws, ref, ws.project.resolve_inside(_here(output), "report path"))


def score(ref: str, input: str | Path, output: str | Path, **options: Any) -> Any:
    """Score ``input`` into ``output`` as a tracked job, with a progress bar in the notebook.

    ``options`` are those of :func:`workbench.jobs.score` (a :class:`~workbench.jobs.request.ScoreRequest`'s
    fields by name, e.g. ``explain="exact"``, ``keep=["applicant_id"]``) and ``detach``.
    Returns the finished :class:`~workbench.jobs.values.Job`.
    """
    from workbench.jobs.request import ScoreRequest
    from workbench.widgets.progress import score_with_progress

    detach = bool(options.pop("detach", False))
    request = ScoreRequest.build(ref, _here(input), _here(output), **options)
    return score_with_progress(workspace(), request, detach=detach)


def queue(
    *,
    job: str | None = None,
    status: str | None = "open",
    model: str | None = None,
    version: int | None = None,
    limit: int | None = 100,
) -> Any:
    """The human review queue (open items by default) as a polars DataFrame, filtered by ``job``
    (id or prefix), ``model`` and ``version``. When ``limit`` leaves items out, a warning gives
    the true total (``workbench.jobs.review_queue.count_review_items`` counts it alone)."""
    import warnings

    import polars as pl

    from workbench.jobs.review_queue import ReviewFilters, count_review_items, list_review_items

    ws = workspace()
    filters: ReviewFilters = {"job": job, "status": status, "model": model, "version": version}
    items = [item.to_dict() for item in list_review_items(ws, **filters, limit=limit)]
    if limit is not None and len(items) == limit:
        total = count_review_items(ws, **filters)
        if total > limit:
            what = f"{status} review items" if status else "review items"
            warnings.warn(
                f"Showing {limit:,} of {total:,} {what}; pass limit=None for all.",
                stacklevel=2,
            )
    # Every row decides the columns: an item with a `detail` may come after many without one.
    return pl.DataFrame(items, infer_schema_length=None) if items else pl.DataFrame()


def decide(item: int, decision: str, comment: str = "") -> Any:
    """Decide one review item (``accept`` or ``decline``); an override of the model is flagged."""
    from workbench.jobs.decide import decide_review_item

    return decide_review_item(workspace(), item, decision, comment)


def monitoring(model: str, *, window: str | None = None) -> Any:
    """Realized performance, fairness, rates, drift, latency and cost of ``model`` per version and window
    (``7d``, ``30d``, ``job``; default the policy's ``monitoring.window``, else 30d): ``frame, chart =
    wb.monitoring("admissions")``; shown in a notebook it draws the chart. Outcomes: ``wb.outcomes.add``."""
    from workbench.postmarket.view import monitoring_view

    return monitoring_view(workspace(), model, window=window)
