"""Handlers behind the model page and the pickers of JupyterLab's forms.

- a version's artifacts, verified against their digests: PNG charts and HTML reports
  shown in place (HTML only in a sandbox, like the drift report), the rest downloaded;
- every version's numeric metrics and the model's key metric (the first metric the
  policy checks), for the version rows and the comparison;
- the model page's charts, declared with Altair in :mod:`workbench.charts`;
- the project's files of one kind (Parquet inputs for the job form);
- a run's executed notebook, which lives under the hidden ``.workbench/runs/`` that
  JupyterLab will not open: as HTML (nbconvert) for a sandboxed tab, or the ``.ipynb``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized

from workbench.core.errors import NotFound, ValidationError, WorkbenchError
from workbench.pipelines.runs import get_run
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version, list_versions
from workbench.server.base import WorkbenchHandler
from workbench.server.model_handlers import REPORT_CSP

__all__ = ["page_routes"]

MAX_FILES = 500
FILE_SUFFIXES = (".parquet", ".csv", ".ipynb")
MAX_JOBS_CHARTED = 5
# Metrics a model page leads with when the policy checks none.
PREFERRED_METRICS = ("auc", "accuracy", "f1", "r2", "rmse", "log_loss")


def _ref(name: str, version: str) -> str:
    return f"{name}:{int(version)}"


def numeric_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The top-level numbers of a version's metrics (tables such as calibration left out)."""
    return {
        key: float(value)
        for key, value in metrics.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


def key_metric(workspace: Workspace, name: str, available: set[str]) -> str | None:
    """The metric the policy checks first, else a usual headline metric, else the first one."""
    from workbench.governance.policy import find_policy

    try:
        checked = [t.metric for t in find_policy(workspace.project, name).metric_thresholds]
    except WorkbenchError:
        checked = []
    for metric in [*checked, *PREFERRED_METRICS]:
        if metric in available:
            return metric
    return sorted(available)[0] if available else None


class ArtifactHandler(WorkbenchHandler):
    """``GET /workbench/api/models/{name}/versions/{n}/artifacts/{key}``: one artifact's bytes.

    Served with its media type; HTML runs only in a sandbox (no call back to the server
    as the user). ``?download=1`` asks the browser to save it.
    """

    auth_resource = "workbench:models"

    @property
    def content_security_policy(self) -> str:
        return REPORT_CSP

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, version: str, key: str) -> None:
        def load() -> tuple[str, str, bytes]:
            workspace = self.workspace()
            found = get_version(workspace, _ref(name, version))
            if key not in found.artifacts:
                raise NotFound(f"{found.ref} has no artifact {key!r}; it has {', '.join(sorted(found.artifacts))}.")
            artifact = found.artifact(key)
            data = workspace.artifacts.get_bytes(artifact.digest, name=f"{found.ref} {key}")
            return artifact.name, artifact.media_type or "application/octet-stream", data

        filename, media_type, data = await self.run_blocking(load)
        download = bool(self.get_query_argument("download", "")) or not media_type.startswith(
            ("image/png", "text/html", "application/json")
        )
        safe = "".join(c for c in filename if c.isalnum() or c in "._-") or "artifact"
        self.set_header("Content-Disposition", f'{"attachment" if download else "inline"}; filename="{safe}"')
        self.set_header("X-Content-Type-Options", "nosniff")
        self.finish(data, set_content_type=media_type)


class ModelMetricsHandler(WorkbenchHandler):
    """``GET /workbench/api/models/{name}/metrics``: each version's numeric metrics, newest first,
    and the key metric (the one the policy checks first)."""

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        def load(workspace: Workspace) -> dict:
            rows: list[dict[str, Any]] = [
                {"version": v.version, "metrics": numeric_metrics(dict(v.metrics))}
                for v in list_versions(workspace, name)
            ]
            available = {metric for row in rows for metric in row["metrics"]}
            return {"name": name, "key_metric": key_metric(workspace, name, available), "versions": rows}

        await self.reply(load)


class ChartsHandler(WorkbenchHandler):
    """``GET /workbench/api/models/{name}/versions/{n}/charts``: Vega-Lite specs for the model page.

    The score distribution of the version's latest scoring jobs, the metrics across
    versions and the drift per column (train vs validation, then each job's input).
    """

    auth_resource = "workbench:models"

    @tornado.web.authenticated
    @authorized
    async def get(self, name: str, version: str) -> None:
        await self.reply(lambda workspace: model_charts(workspace, name, int(version)))


def _job_scores(workspace: Workspace, output: str) -> Any | None:
    """The score column of a job's Parquet output, or None when it is gone or not local."""
    import pyarrow.dataset as ds

    try:
        path = workspace.project.resolve_inside(output, "job output")
    except WorkbenchError:
        return None
    if not path.exists():
        return None
    table = ds.dataset(str(path), format="parquet").to_table(columns=["score"])
    return table.column("score").to_numpy()


def model_charts(workspace: Workspace, name: str, version: int) -> dict[str, Any]:
    from workbench import charts
    from workbench.jobs import list_jobs

    found = get_version(workspace, f"{name}:{version}")
    versions = [
        {"version": v.version, "metrics": numeric_metrics(dict(v.metrics))} for v in list_versions(workspace, name)
    ]
    jobs = [job for job in list_jobs(workspace, model=name, status="succeeded", limit=50) if job.version == version][
        :MAX_JOBS_CHARTED
    ]
    histograms: dict[str, Any] = {}
    drift: dict[str, Any] = {}
    columns = dict(found.drift).get("columns")
    if isinstance(columns, list) and columns:
        drift["train vs validation"] = columns
    for job in jobs:
        label = f"job {job.id[:8]}"
        scores = _job_scores(workspace, job.output)
        if scores is not None:
            histograms[label] = charts.histogram(scores)
        job_columns = dict(job.drift or {}).get("columns")
        if isinstance(job_columns, list) and job_columns:
            drift[f"scored: {label}"] = job_columns
    return {
        "mime_type": charts.MIME_TYPE,
        "score_distribution": charts.score_distribution(histograms) if histograms else None,
        "metric_trend": charts.metric_trend(versions, trend_metrics(versions)),
        "drift_per_column": charts.drift_per_column(drift) if drift else None,
    }


def trend_metrics(versions: list[dict[str, Any]]) -> list[str]:
    """The metrics worth a trend line: scores, not counts (``n_valid``) or settings (``threshold``)."""
    names = {name for row in versions for name in row["metrics"]}
    return sorted(name for name in names if not name.startswith("n_") and name != "threshold")


class ProjectFilesHandler(WorkbenchHandler):
    """``GET /workbench/api/files?suffix=.parquet``: the project's files of one kind (for pickers),
    relative to the project root; hidden folders (``.git``, ``.workbench``, ``.dvc``) are skipped."""

    auth_resource = "workbench:files"

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        suffix = self.query_text("suffix", ".parquet", max_length=20) or ".parquet"
        if suffix not in FILE_SUFFIXES:
            raise ValidationError(f"`suffix` must be one of {', '.join(FILE_SUFFIXES)}, not {suffix!r}.")

        def load(workspace: Workspace) -> dict:
            root = workspace.project.root
            found: list[str] = []
            for folder, dirs, files in os.walk(root):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in {"node_modules", "__pycache__"})
                found.extend(
                    (Path(folder) / f).relative_to(root).as_posix() for f in sorted(files) if f.endswith(suffix)
                )
                if len(found) >= MAX_FILES:
                    break
            return {"files": found[:MAX_FILES], "truncated": len(found) > MAX_FILES}

        await self.reply(load)


class RunNotebookHandler(WorkbenchHandler):
    """``GET /workbench/api/pipelines/runs/{id}/notebook``: the run's executed notebook as HTML
    (shown in a sandboxed tab), or the ``.ipynb`` itself with ``?format=ipynb``."""

    auth_resource = "workbench:pipelines"

    @property
    def content_security_policy(self) -> str:
        return REPORT_CSP

    @tornado.web.authenticated
    @authorized
    async def get(self, run_id: str) -> None:
        wanted = self.query_text("format", "html", max_length=10)
        if wanted not in ("html", "ipynb"):
            raise ValidationError("`format` is html (to read it) or ipynb (to download it).")

        def load() -> tuple[str, bytes]:
            record = get_run(self.workspace(), run_id)
            if not record.output_path:
                raise NotFound(f"Run {record.id[:12]} kept no executed notebook ({record.status}).")
            path = self.project_path(record.output_path, "executed notebook")
            if not path.is_file():
                raise NotFound(f"The executed notebook of run {record.id[:12]} is gone ({record.output_path}).")
            if wanted == "ipynb":
                return path.name, path.read_bytes()
            return path.with_suffix(".html").name, notebook_html(path).encode("utf-8")

        filename, data = await self.run_blocking(load)
        if wanted == "ipynb":
            self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
            self.finish(data, set_content_type="application/x-ipynb+json")
        else:
            self.write_html(data, filename, download=False)


def notebook_html(path: Path) -> str:
    """The notebook as static HTML: JupyterLab's look, no scripts (nothing to fetch, nothing to run)."""
    import re

    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", require_js_url="", mathjax_url="", exclude_anchor_links=True)
    body, _ = exporter.from_filename(str(path))
    return re.sub(r"<script\b[^>]*>.*?</script>", "", body, flags=re.S | re.I)


def page_routes(prefix: str) -> list[tuple[str, type[WorkbenchHandler]]]:
    version = rf"{prefix}/models/([^/]+)/versions/([0-9]{{1,9}})"
    return [
        (rf"{version}/artifacts/([a-z0-9_]{{1,64}})", ArtifactHandler),
        (rf"{version}/charts", ChartsHandler),
        (rf"{prefix}/models/([^/]+)/metrics", ModelMetricsHandler),
        (rf"{prefix}/files", ProjectFilesHandler),
        (rf"{prefix}/pipelines/runs/([0-9a-fA-F]{{4,32}})/notebook", RunNotebookHandler),
    ]
