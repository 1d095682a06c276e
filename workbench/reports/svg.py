"""Small static SVG line charts for the audit report, drawn here so the report stays one offline file.

The interactive charts are Vega-Lite (``workbench.postmarket.charts``); the report needs static pictures
that open with nothing installed and fetch nothing. Every text that reaches the markup (series names,
labels) is escaped here; the caller passes plain strings.
"""

from __future__ import annotations

from html import escape

__all__ = ["line_chart"]

_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
WIDTH, HEIGHT = 560, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 130, 24, 36


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    return [low + span * i / 4 for i in range(5)]


def line_chart(
    title: str,
    x_labels: list[str],
    series: dict[str, list[float | None]],
    *,
    y_label: str = "",
    y_min: float | None = None,
    y_max: float | None = None,
    limit: float | None = None,
) -> str:
    """One line per series over the points ``x_labels`` (gaps where a value is None), an optional
    dashed ``limit`` line; an SVG element as text, or a short note when there is nothing to draw."""
    values = [v for points in series.values() for v in points if v is not None]
    if not values or not x_labels:
        return f'<p class="muted">{escape(title)}: no data yet.</p>'
    low = min([*values, *([limit] if limit is not None else [])]) if y_min is None else y_min
    high = max([*values, *([limit] if limit is not None else [])]) if y_max is None else y_max
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM

    def x(i: int) -> float:
        return _LEFT + (plot_w * i / (len(x_labels) - 1) if len(x_labels) > 1 else plot_w / 2)

    def y(value: float) -> float:
        return _TOP + plot_h * (1 - (value - low) / (high - low))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" font-family="sans-serif" font-size="10">',
        f'<text x="{_LEFT}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in _ticks(low, high):
        parts.append(f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{_LEFT - 4}" y="{y(tick) + 3:.1f}" text-anchor="end">{tick:.3g}</text>')
    if y_label:
        parts.append(
            f'<text transform="translate(12 {_TOP + plot_h / 2}) rotate(-90)" text-anchor="middle">'
            f"{escape(y_label)}</text>"
        )
    shown = {0, len(x_labels) - 1, (len(x_labels) - 1) // 2}
    for i in sorted(shown):
        anchor = "start" if i == 0 else ("end" if i == len(x_labels) - 1 else "middle")
        parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - 14}" text-anchor="{anchor}">{escape(x_labels[i])}</text>')
    if limit is not None:
        parts.append(
            f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y(limit):.1f}" y2="{y(limit):.1f}" '
            'stroke="#000" stroke-dasharray="4 3"/>'
            f'<text x="{_LEFT + plot_w + 4}" y="{y(limit) + 3:.1f}">limit {limit:g}</text>'
        )
    for n, (name, points) in enumerate(series.items()):
        color = _COLORS[n % len(_COLORS)]
        runs: list[list[str]] = [[]]
        for i, value in enumerate(points):
            if value is None:
                runs.append([])
                continue
            runs[-1].append(f"{x(i):.1f},{y(value):.1f}")
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.5" fill="{color}"/>')
        for run in runs:
            if len(run) > 1:
                parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{" ".join(run)}"/>')
        legend_y = _TOP + 12 * n + 6
        parts.append(f'<rect x="{_LEFT + plot_w + 8}" y="{legend_y - 7}" width="10" height="3" fill="{color}"/>')
        parts.append(f'<text x="{_LEFT + plot_w + 22}" y="{legend_y}">{escape(name[:18])}</text>')
    parts.append("</svg>")
    return "".join(parts)
