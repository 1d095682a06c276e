"""Scoring jobs as a service: submit and run, follow, cancel, review, monitor.

One module per verb, each a typed function the CLI, the kernel API, the widgets and
the server call alike:

* :func:`score` (``score.py``): submit a job and run it here or detached; every face
  describes the job as a :class:`ScoreRequest` (``request.py``);
  :func:`submit_score_job` and :func:`run_job` are its two halves.
* :func:`list_jobs`, :func:`get_job` (``listing.py``), :func:`cancel_job` (``cancel.py``),
  :func:`reap_dead_jobs` (``reap.py``: a job whose process died is marked failed).
* :func:`list_review_items` (``queue.py``) and :func:`decide_review_item` (``decide.py``):
  the human review queue, with overrides of the model marked and audited.
* :func:`monitor` (``monitor.py``): drift per job, the retrain flag, and ``--act``.
* :func:`scoring_approval` (``approval.py``): whether a version may score.

Verb modules share their function's name (``workbench.jobs.score.score``); the package
binds the functions, so ``from workbench.jobs import score`` is the function.
"""

from __future__ import annotations

from workbench.jobs.approval import scoring_approval
from workbench.jobs.cancel import cancel_job
from workbench.jobs.decide import decide_review_item
from workbench.jobs.execute import run_job
from workbench.jobs.listing import get_job, list_jobs
from workbench.jobs.monitor import MonitorReport, monitor
from workbench.jobs.reap import reap_dead_jobs
from workbench.jobs.request import ScoreRequest
from workbench.jobs.review_queue import list_review_items
from workbench.jobs.score import score
from workbench.jobs.submit import submit_score_job
from workbench.jobs.values import Job, ReviewItem

__all__ = [
    "Job",
    "MonitorReport",
    "ReviewItem",
    "ScoreRequest",
    "cancel_job",
    "decide_review_item",
    "get_job",
    "list_jobs",
    "list_review_items",
    "monitor",
    "reap_dead_jobs",
    "run_job",
    "score",
    "scoring_approval",
    "submit_score_job",
]
