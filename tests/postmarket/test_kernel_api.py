"""``wb.outcomes.add`` and ``wb.monitoring``: a frame and a Vega-Lite chart valid against the schema."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import workbench as wb
from workbench.project.workspace import Workspace


def test_outcomes_and_monitoring_from_a_notebook(two_versions: tuple[Workspace, Path]) -> None:
    import altair

    _, truth = two_versions
    added = wb.outcomes.add("admissions", pl.read_parquet(truth), key="applicant_id", label="enrolled")
    assert added.added == 2_002 and added.unmatched == 2
    assert wb.outcomes.current("admissions").height == 2_002
    view = wb.monitoring("admissions", window="30d")
    frame, chart = view
    assert frame["version"].to_list() == [1, 2] and {"auc", "override_rate", "staff_hours_saved"} <= set(frame.columns)
    altair.VConcatChart.from_dict(chart, validate=True)  # the Vega-Lite v5 schema, through Altair
    assert chart["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")
    assert wb.api.__all__.count("monitoring") == 1 and "application/vnd.vegalite.v5+json" in view._repr_mimebundle_()


@pytest.mark.postgres
def test_outcomes_and_the_report_on_postgresql(
    project_dir: Path, trained_small: object, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.governed import on_postgres
    from tests.support.scoring import write_input
    from workbench.jobs import score
    from workbench.postmarket import add_outcomes
    from workbench.postmarket.report import monitoring_report

    workspace = on_postgres(project_dir, trained_small, pg_url, monkeypatch)  # type: ignore[arg-type]
    frame = pl.read_parquet(write_input(project_dir, n=800))
    score(workspace, "admissions", "data/applicants.parquet", "out.parquet")
    truth = frame.select("applicant_id", "admit")
    first = add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="admit")
    again = add_outcomes(workspace, "admissions", truth, keys=["applicant_id"], label="admit")
    flipped = truth.head(2).with_columns((1 - pl.col("admit")).alias("admit"))
    revised = add_outcomes(workspace, "admissions", flipped, keys=["applicant_id"], label="admit")
    assert (first.added, again.batch, revised.revised, revised.batch) == (800, None, 2, 2)
    stats = monitoring_report(workspace, "admissions").windows[0]
    assert stats.rows == 800 and stats.outcome_coverage == 1.0 and stats.auc is not None
