"""The metrics' job totals: each succeeded job's stats are read once; a repeated scrape reads none (nor
even the list of ids), a new job is folded in alone, and the folded totals equal a rebuild from scratch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from tests.support.scoring import write_input
from workbench.jobs import score
from workbench.postmarket import job_totals as totals_module
from workbench.postmarket.job_totals import job_totals
from workbench.postmarket.prometheus import metrics_text
from workbench.project.workspace import Workspace


@contextmanager
def _statements(workspace: Workspace) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    with workspace.read() as conn:
        engine = conn.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _rows_scored(workspace: Workspace) -> dict[str, float]:
    text = metrics_text(workspace).decode()
    return {
        sample.labels["version"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "workbench_rows_scored_total"
    }


def test_stats_are_read_once_per_job(scoring_ws: Workspace) -> None:
    root = scoring_ws.project.root
    write_input(root, "data/a.parquet", n=300, seed=1)
    write_input(root, "data/b.parquet", n=200, seed=2)
    score(scoring_ws, "admissions:1", "data/a.parquet", "out/a.parquet")
    assert _rows_scored(scoring_ws) == {"1": 300}
    with _statements(scoring_ws) as seen:
        assert _rows_scored(scoring_ws) == {"1": 300}
    reads_stats = [s for s in seen if "jobs.stats" in s]
    lists_ids = [s for s in seen if s.startswith("SELECT jobs.id \nFROM jobs")]
    assert seen and not reads_stats and not lists_ids  # count and latest end unchanged: nothing else read

    second = score(scoring_ws, "admissions:1", "data/b.parquet", "out/b.parquet")
    with _statements(scoring_ws) as seen:
        assert _rows_scored(scoring_ws) == {"1": 500}
    (read,) = [s for s in seen if "jobs.stats" in s]
    assert "IN (" in read  # only the new job's row
    assert [s for s in seen if s.startswith("SELECT jobs.id \nFROM jobs")]  # the count moved: ids listed

    with scoring_ws.read() as conn:
        folded = job_totals(scoring_ws, conn)
    totals_module._FOLDED.clear()
    with scoring_ws.read() as conn:
        rebuilt = job_totals(scoring_ws, conn)
    assert folded == rebuilt
    assert folded.newest[("admissions", "1")].id == second.id
    assert sum(folded.routes.values()) == 500
