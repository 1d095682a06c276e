"""Vega-Lite charts of a model, declared once with Altair.

Each function takes plain rows (lists of dicts, as the registry and the jobs hand
them out) and returns a Vega-Lite v5 specification as a dict: JupyterLab renders it
with its own Vega renderer (``application/vnd.vegalite.v5+json``), the notebook API
can display it, and monitoring can embed it in a report. Altair is imported when a
chart is made, never when this module is.

- :func:`score_distribution`: the histogram of scores of each scoring job;
- :func:`metric_trend`: each numeric metric across the model's versions;
- :func:`drift_per_column`: each column's drift score against its threshold, per
  comparison (train vs validation, or one job's input against the reference).

Any of these specs (and :mod:`workbench.postmarket.charts`') can be checked against the
Vega-Lite v5 JSON schema Altair ships (:func:`validate_spec`) and drawn as static SVG
offline with vl-convert (:func:`to_svg`), for a report that must stay one offline file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

__all__ = [
    "MIME_TYPE",
    "drift_per_column",
    "histogram",
    "metric_trend",
    "score_distribution",
    "to_svg",
    "validate_spec",
]

MIME_TYPE = "application/vnd.vegalite.v5+json"
WIDTH = 420
#: The Vega-Lite library vl-convert draws with: the minor version of the schema Altair 5 writes.
VEGA_LITE_VERSION = "5.20"


def _altair() -> Any:
    try:
        import altair
    except ImportError as exc:  # pragma: no cover - altair is a dependency
        raise ImportError("Charts need Altair: `pip install 'altair>=5.4,<6'`.") from exc
    return altair


def _spec(chart: Any) -> dict[str, Any]:
    # Validated against the Vega-Lite schema by Altair; no data transformers (the rows are inline).
    return chart.properties(width=WIDTH).to_dict()


def _schema_validator() -> Any:
    import json
    from importlib.resources import files

    import jsonschema  # type: ignore[import-untyped]  # no stubs installed; used through Any here

    schema = json.loads(files("altair.vegalite.v5.schema").joinpath("vega-lite-schema.json").read_text("utf-8"))
    return jsonschema.Draft7Validator(schema)


def validate_spec(spec: Mapping[str, Any]) -> None:
    """Check ``spec`` against the Vega-Lite v5 JSON schema that Altair ships (no network).

    Raises :class:`workbench.core.errors.ValidationError` naming each problem's path in the spec.
    """
    from workbench.core.errors import ValidationError

    errors = list(_schema_validator().iter_errors(dict(spec)))
    if not errors:
        return
    # The schema is mostly anyOf: the failing alternatives' deepest errors name the real place.
    leaves = [leaf for error in errors for leaf in _leaves(error)]
    deepest = max(len(leaf.absolute_path) for leaf in leaves)
    lines = dict.fromkeys(
        f"{'/'.join(map(str, leaf.absolute_path)) or '(top)'}: {leaf.message[:200]}"
        for leaf in leaves
        if len(leaf.absolute_path) == deepest
    )
    raise ValidationError("The chart is not a valid Vega-Lite v5 specification:\n" + "\n".join(list(lines)[:10]))


def _leaves(error: Any) -> Iterator[Any]:
    if not error.context:
        yield error
    for sub in error.context:
        yield from _leaves(sub)


def to_svg(spec: Mapping[str, Any]) -> str:
    """``spec`` drawn as a standalone SVG document, offline: vl-convert embeds the Vega-Lite and Vega
    libraries, and no data URL is fetched (the charts carry their rows inline)."""
    try:
        import vl_convert
    except ImportError as exc:  # pragma: no cover - vl-convert-python is a dependency
        raise ImportError("Static charts need vl-convert: `pip install 'vl-convert-python>=1.7'`.") from exc
    svg: str = vl_convert.vegalite_to_svg(dict(spec), vl_version=VEGA_LITE_VERSION, allowed_base_urls=[])
    return svg


def histogram(scores: Sequence[float] | Any, bins: int = 20) -> list[dict[str, float]]:
    """Counts of ``scores`` (probabilities) in ``bins`` equal bins over [0, 1]; NaN scores are left out."""
    import numpy as np

    values = np.asarray(scores, dtype=np.float64)
    values = values[np.isfinite(values)]
    counts, edges = np.histogram(np.clip(values, 0.0, 1.0), bins=bins, range=(0.0, 1.0))
    return [
        {"bin_start": float(edges[i]), "bin_end": float(edges[i + 1]), "count": int(counts[i])} for i in range(bins)
    ]


def score_distribution(jobs: Mapping[str, Iterable[Mapping[str, float]]]) -> dict[str, Any]:
    """One histogram per job (``{job label: histogram(...) rows}``), overlaid and coloured by job."""
    alt = _altair()
    rows = [{**row, "job": label} for label, bins in jobs.items() for row in bins]
    chart = (
        alt.Chart(alt.Data(values=rows), title="Score distribution per job")
        .mark_bar(opacity=0.55, binSpacing=0)
        .encode(
            x=alt.X("bin_start:Q", bin="binned", title="score"),
            x2="bin_end:Q",
            y=alt.Y("count:Q", stack=None, title="rows"),
            color=alt.Color("job:N", title="job"),
            tooltip=["job:N", "bin_start:Q", "bin_end:Q", "count:Q"],
        )
    )
    return _spec(chart)


def metric_trend(versions: Iterable[Mapping[str, Any]], metrics: Sequence[str] | None = None) -> dict[str, Any]:
    """Each numeric metric across versions; ``versions`` are ``{"version": n, "metrics": {...}}``."""
    alt = _altair()
    rows = [
        {"version": int(item["version"]), "metric": name, "value": float(value)}
        for item in versions
        for name, value in dict(item.get("metrics") or {}).items()
        if isinstance(value, int | float) and not isinstance(value, bool) and (metrics is None or name in metrics)
    ]
    chart = (
        alt.Chart(alt.Data(values=rows), title="Metrics across versions")
        .mark_line(point=True)
        .encode(
            x=alt.X("version:O", title="version"),
            y=alt.Y("value:Q", title="value"),
            color=alt.Color("metric:N", title="metric"),
            tooltip=["metric:N", "version:O", alt.Tooltip("value:Q", format=".4f")],
        )
    )
    return _spec(chart)


def drift_per_column(comparisons: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, Any]:
    """Drift score per column against its threshold, one panel per comparison.

    ``comparisons`` maps a label (``train vs validation``, ``job 3f2a…``) to the drift
    report's ``columns`` rows (``column``, ``score``, ``threshold``, ``drifted``).
    """
    alt = _altair()
    rows = [
        {
            "comparison": label,
            "column": str(row.get("column")),
            "score": float(row["score"]),
            "threshold": float(row.get("threshold") or 0.0),
            "drifted": "drifted" if row.get("drifted") else "stable",
        }
        for label, columns in comparisons.items()
        for row in columns
        if isinstance(row.get("score"), int | float)
    ]
    base = alt.Chart().encode(y=alt.Y("column:N", title=None, sort=None))
    bars = base.mark_bar().encode(
        x=alt.X("score:Q", title="drift score"),
        color=alt.Color(
            "drifted:N", scale=alt.Scale(domain=["stable", "drifted"], range=["#4c78a8", "#e45756"]), title=None
        ),
        tooltip=["comparison:N", "column:N", alt.Tooltip("score:Q", format=".4f"), "threshold:Q", "drifted:N"],
    )
    limits = base.mark_tick(color="#888888", thickness=2).encode(x="threshold:Q")
    chart = (
        alt.layer(bars, limits, data=alt.Data(values=rows))
        .properties(width=WIDTH)
        .facet(row=alt.Row("comparison:N", title=None), title="Drift per column")
    )
    return chart.to_dict()
