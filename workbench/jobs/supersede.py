"""One open review item per applicant: a new scoring job supersedes the open items it repeats.

Scoring the same rows again with the same model version (a re-run, a corrected input,
a scheduled re-score) must not put every applicant in the queue twice. When a job
succeeds, each open item of an *earlier* job of the same model version with the same
row key as one of the new job's items becomes ``superseded``: the new item, with the
fresh score and reasons, is the one a reviewer decides. Rows without keys
(``row:<index>``) are the same row only within the same input location. Decided items
are never touched (a decision is final), so a row decided earlier and scored again
gets a new open item.

The change happens in the job's final transaction, with one ``review.supersede``
audit event naming the superseding job, the earlier jobs and how many items each lost.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from workbench.jobs.values import Job
from workbench.store.schema import jobs, review_items

__all__ = ["SUPERSEDED", "supersede_open_items"]

SUPERSEDED = "superseded"


def supersede_open_items(conn: Any, job: Job) -> dict[str, int]:
    """Supersede the open items ``job``'s items repeat; returns the count per earlier job id."""
    earlier = sa.select(jobs.c.id).where(jobs.c.name == job.name, jobs.c.version == job.version, jobs.c.id != job.id)
    same_input = earlier.where(jobs.c.input == job.input)
    repeated = sa.select(review_items.c.row_key).where(review_items.c.job_id == job.id)
    keyless = review_items.c.row_key.startswith("row:", autoescape=True)
    condition = sa.and_(
        review_items.c.status == "open",
        review_items.c.job_id.in_(earlier),
        review_items.c.row_key.in_(repeated),
        sa.or_(~keyless, review_items.c.job_id.in_(same_input)),
    )
    per_job = sa.select(review_items.c.job_id, sa.func.count().label("n")).where(condition)
    counts = {str(row.job_id): int(row.n) for row in conn.execute(per_job.group_by(review_items.c.job_id))}
    if counts:
        conn.execute(review_items.update().where(condition).values(status=SUPERSEDED))
    return counts
