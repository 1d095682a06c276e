"""The generated project of ``benchmarks/server_load.py``: one model with many versions and a long
review queue, written straight into the store's tables (seconds, where registering and scoring
for real would take hours).

Each version has the checks of the current policy (one in seven fails its contract check), zero,
one or two approvals, and the production alias points at the second newest; the review items are
spread over 20 succeeded scoring jobs, one in ten decided.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

__all__ = ["APPROVERS", "MODEL", "build_project"]

MODEL = "admissions"
APPROVERS = ("ana@example.org", "ben@example.org")
POLICY = """\
policy: admissions
models: [admissions]
protects: [production]
checks:
  metrics: ["auc >= 0.6", "brier <= 0.25"]
  contract_required: true
approvals:
  required: 2
  roles: [approver]
"""


def build_project(root: Path, n_versions: int, n_items: int) -> None:
    """A project at ``root`` whose database holds the generated rows."""
    from workbench.governance.policy import load_policy
    from workbench.project.config import load_project
    from workbench.project.init import init_project
    from workbench.store.engine import open_store

    root.mkdir(parents=True)
    names = ", ".join(f'"{name}"' for name in APPROVERS)
    (root / "workbench.toml").write_text(f"[tool.workbench.roles]\napprover = [{names}]\n", encoding="utf-8")
    init_project(root, git=False, dvc=False)
    policy_file = root / "pipelines" / MODEL / "policy.yaml"
    policy_file.parent.mkdir(parents=True)
    policy_file.write_text(POLICY, encoding="utf-8")
    policy = load_policy(policy_file)
    store = open_store(load_project(root).db_url, cached=False)
    try:
        with store.begin() as conn:
            _insert_registry(conn, n_versions, policy.sha256)
            _insert_review_queue(conn, n_versions, n_items)
    finally:
        store.dispose()


def _insert_registry(conn: Any, n_versions: int, policy_hash: str) -> None:
    from workbench.store.schema import aliases, check_results, decisions, model_versions, models

    start = datetime(2026, 1, 1, tzinfo=UTC)
    conn.execute(models.insert().values(name=MODEL, created_at=start, created_by="analyst@example.org"))
    versions, checks, decided = [], [], []
    for number in range(1, n_versions + 1):
        created = start + timedelta(minutes=number)
        digest = f"{number:064x}"
        versions.append(
            {
                "name": MODEL,
                "version": number,
                "author": "analyst@example.org",
                "created_at": created,
                "task": "binary",
                "description": f"generated version {number}",
                "intended_use": "benchmark",
                "artifacts": {key: {"digest": digest, "size": 1000} for key in ("model", "reference", "shap")},
                "contract": {"columns": [{"name": f"f{i}", "dtype": "float64"} for i in range(10)]},
                "lineage": {"git": {"commit": digest[:40]}, "data": {}, "run": None},
                "metrics": {"auc": 0.7 + (number % 20) / 100, "brier": 0.2, "accuracy": 0.8},
                "explanation": {"global": [{"feature": f"f{i}", "mean_abs_shap": 0.1} for i in range(10)]},
                "drift": {"summary": {"n_drifted": 1, "n_columns": 10}},
                "fairness": {},
                "retrain_recommended": False,
            }
        )
        for check, status in (("metric:auc >= 0.6", "pass"), ("metric:brier <= 0.25", "pass"), ("contract", "pass")):
            checks.append(
                {
                    "name": MODEL,
                    "version": number,
                    "policy_hash": policy_hash,
                    "policy_path": f"pipelines/{MODEL}/policy.yaml",
                    "check": check,
                    "status": "fail" if number % 7 == 0 and check == "contract" else status,
                    "observed": 0.75,
                    "limit": 0.6,
                    "evidence": None,
                    "required": True,
                    "message": check,
                    "evaluated_at": created,
                    "evaluated_by": "analyst@example.org",
                }
            )
        for approver in APPROVERS[: number % 3]:
            decided.append(
                {
                    "name": MODEL,
                    "version": number,
                    "actor": approver,
                    "roles": ["approver"],
                    "decision": "approve",
                    "comment": "looks right",
                    "policy_hash": policy_hash,
                    "digests": {},
                    "time": created,
                }
            )
    conn.execute(model_versions.insert(), versions)
    conn.execute(check_results.insert(), checks)
    conn.execute(decisions.insert(), decided)
    conn.execute(
        aliases.insert().values(
            name=MODEL, alias="production", version=n_versions - 1, updated_at=start, updated_by="ben@example.org"
        )
    )


def _insert_review_queue(conn: Any, n_versions: int, n_items: int, n_jobs: int = 20) -> None:
    from workbench.store.schema import jobs, review_items

    start = datetime(2026, 2, 1, tzinfo=UTC)
    per_job = max(1, n_items // n_jobs)
    for index in range(n_jobs):
        job_id = f"{index:032x}"
        created = start + timedelta(hours=index)
        conn.execute(
            jobs.insert().values(
                id=job_id,
                kind="score",
                name=MODEL,
                version=n_versions,
                ref=f"{MODEL}:{n_versions}",
                options={},
                status="succeeded",
                rows_done=per_job * 30,
                created_at=created,
                actor="analyst@example.org",
            )
        )
        rows = [
            {
                "job_id": job_id,
                "row_key": f"A-{index}-{row}",
                "score": (row % 100) / 100,
                "leaning": "accept" if row % 2 else "decline",
                "reasons": [{"feature": "gpa", "contribution": 0.12}, {"feature": "essay", "contribution": -0.05}],
                "rule": None,
                "status": "decided" if row % 10 == 0 else "open",
                "decision": "accept" if row % 10 == 0 else None,
                "row_index": row,
                "created_at": created,
            }
            for row in range(per_job)
        ]
        conn.execute(review_items.insert(), rows)
