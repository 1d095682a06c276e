"""plot_summary_png and plot_bar_png: real PNGs, deterministic bytes, no pyplot state."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.core.errors import ValidationError
from workbench.explain import plot_bar_png, plot_summary_png

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _data(rows: int = 300, features: int = 25) -> tuple[np.ndarray, np.ndarray, list[str]]:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(rows, features)).astype(np.float32)
    X[::7, 0] = np.nan  # missing values are drawn grey
    contribs = (X * np.linspace(2, 0.01, features)).astype(np.float32)
    contribs[np.isnan(contribs)] = 0.0
    return contribs, X, [f"feature_{i}" for i in range(features)]


def _size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_summary_and_bar_plots_are_deterministic_pngs() -> None:
    contribs, X, names = _data()
    summary = plot_summary_png(contribs, X, names)
    bar = plot_bar_png(contribs, names)

    assert summary.startswith(PNG_MAGIC)
    assert bar.startswith(PNG_MAGIC)
    width, height = _size(summary)
    assert width > 400
    assert height > 400  # 20 features displayed, one line each
    assert plot_summary_png(contribs, X, names) == summary
    assert plot_bar_png(contribs, names) == bar


def test_fewer_features_make_a_smaller_plot_and_constant_columns_are_fine() -> None:
    contribs, X, names = _data(rows=50, features=3)
    contribs[:, 2] = 0.0
    X[:, 1] = 1.0
    small = plot_summary_png(contribs, X, names, max_display=2)
    assert _size(small)[1] < _size(plot_summary_png(*_data()))[1]


def test_large_inputs_are_sampled() -> None:
    contribs, X, names = _data(rows=12000, features=4)
    assert plot_summary_png(contribs, X, names).startswith(PNG_MAGIC)


def test_shape_mismatches_are_refused() -> None:
    contribs, X, names = _data(rows=10, features=3)
    with pytest.raises(ValidationError, match="do not match 2 feature names"):
        plot_bar_png(contribs, names[:2])
    with pytest.raises(ValidationError, match="do not match contributions"):
        plot_summary_png(contribs, X[:5], names)
    with pytest.raises(ValidationError, match="no explained rows"):
        plot_bar_png(contribs[:0], names)
