"""render_evidently_report and evidently_verdicts: Evidently's own preset, at the pandas edge."""

from __future__ import annotations

import os
import re

import numpy as np
import polars as pl
import pytest

from workbench.core.errors import ValidationError
from workbench.drift import detect_drift, evidently_report, evidently_verdicts, render_evidently_report


def _frames(n: int, seed: int = 9) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    reference = pl.DataFrame({"amount": rng.normal(100, 15, n), "channel": rng.choice(["web", "shop", "app"], n)})
    current = pl.DataFrame({"amount": rng.normal(120, 15, n), "channel": rng.choice(["web", "shop", "app"], n)})
    return reference, current


def test_render_is_self_contained_html(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    reference, current = _frames(1200)
    html = render_evidently_report(reference, current)
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert "amount" in html and "channel" in html
    # Scripts and styles are inline: nothing is loaded from a CDN when the file is opened.
    assert not re.search(r"<script[^>]*\bsrc=", html, re.IGNORECASE)
    assert not re.search(r"<link[^>]*\bhref=[\"']?https?:", html, re.IGNORECASE)
    assert os.environ["DO_NOT_TRACK"] == "1"


def test_render_samples_above_max_rows_with_a_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[pl.DataFrame] = []
    convert = evidently_report._to_pandas

    def spy(frame: pl.DataFrame, names: list[str]) -> object:
        seen.append(frame)
        return convert(frame, names)

    monkeypatch.setattr(evidently_report, "_to_pandas", spy)
    reference, current = _frames(3000)
    render_evidently_report(reference, current.head(1500), max_rows=2000, seed=5)
    assert [f.height for f in seen] == [2000, 1500]
    assert seen[0].equals(reference.sample(n=2000, seed=5))


def test_render_rejects_a_row_limit_that_would_change_the_tests() -> None:
    reference, current = _frames(50)
    with pytest.raises(ValidationError, match="max_rows must be above 1000"):
        render_evidently_report(reference, current, max_rows=1000)


def test_render_resolves_columns_like_the_fast_engine() -> None:
    reference, current = _frames(50)
    ids = pl.Series("id", [f"row-{i}" for i in range(50)])
    with pytest.raises(ValidationError, match="free text"):
        render_evidently_report(reference.with_columns(ids), current.with_columns(ids))


def test_evidently_verdicts_agree_with_fast_engine() -> None:
    reference, current = _frames(1500)
    verdicts = evidently_verdicts(reference, current)
    assert verdicts == {"amount": True, "channel": False}
    assert verdicts == {result.column: result.drifted for result in detect_drift(reference, current).columns}
