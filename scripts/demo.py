"""The admissions demo around ``dvc repro``: ``adopt`` before it, ``close-loop`` and ``summary``
after, and ``approve``.

``python scripts/demo.py adopt`` (the first step of ``make demo``) adopts the roster in
pyproject.toml and the admissions and ticket policies into the store, signed with the demo
analyst's key (a policy admin there); it does nothing when they are already in force.

``python scripts/demo.py close-loop`` (after ``dvc repro`` in ``make demo``) closes the loop on
the candidate's scoring job: the admissions committee (the two demo reviewers, each decision
signed with their key) decides the first review items, overruling the model's leaning where
the full file says so; a year on, the first-year results of the admitted applicants come back
(``workbench.examples.admissions_outcomes``, seeded, on the drifted cohort) and are recorded as
outcomes; the policy's service levels are checked (each breach an audit event) and the
monitoring headline printed; and the audit report is written again with its post-market
section filled (reports/admissions-audit-monitored.html: realized AUC and calibration, the
breaches, the override rate, the staff hours saved). Run twice, it decides and records nothing
new.

``python scripts/demo.py summary`` prints what the pipeline produced (model version,
checks, routing counts, drift on the incoming cohort, the reports) and what to do next.
``python scripts/demo.py approve`` is ``make demo-approve``: two demo reviewers approve
the candidate, it is promoted to production through the gate, the incoming cohort is
scored with ``@production``, the first-year results of the applicants it admitted come
back (``workbench.examples.admissions_outcomes``, seeded) and are recorded as outcomes,
the service levels are checked, the monitoring report's headline is printed, and the
audit report is regenerated. ``python scripts/demo.py portal`` is the ending, after that:
a retrained version on the protected canary alias through the gate, a few applications
decided over HTTP by ``workbench serve`` and the canary reported against production
(scripts/demo_portal.py). Every step goes
through the same service functions as the CLI and the JupyterLab panels, so each one
lands in the audit trail.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl
import yaml

from workbench.core.errors import Conflict
from workbench.examples import admissions
from workbench.examples.admissions_outcomes import LABEL, OBSERVED_AT, first_year_outcomes
from workbench.examples.demo_keys import DEMO_AUTHOR, DEMO_PEOPLE, demo_key
from workbench.governance.adoption import adopt_policy, adopt_roster
from workbench.governance.approvals import approve
from workbench.governance.gate import gate_status, promote
from workbench.jobs.decide import decide_review_item
from workbench.jobs.review_queue import list_review_items
from workbench.jobs.score import score
from workbench.postmarket.outcomes import add_outcomes
from workbench.postmarket.report import monitoring_report
from workbench.postmarket.slo import check_slos
from workbench.project.workspace import Workspace, open_workspace
from workbench.registry.versions import get_version
from workbench.reports.audit_report import write_report

ROOT = Path(__file__).resolve().parents[1]
MODEL = "admissions"
POLICY = "pipelines/admissions/policy.yaml"
TICKETS_POLICY = "pipelines/tickets/policy.yaml"  # the ticket pipeline's (pipelines/tickets/dvc.yaml)
REPORT = ROOT / "reports" / "admissions-audit.html"
# The pipeline's report is a DVC output (`dvc repro` would restore it); the approved one is written beside it.
APPROVED_REPORT = ROOT / "reports" / "admissions-audit-production.html"
# The audit report of the candidate once the loop is closed (outcomes, committee decisions, SLO breaches).
MONITORED_REPORT = ROOT / "reports" / "admissions-audit-monitored.html"
SCORED_CANDIDATE = "data/admissions/scored.parquet"  # the pipeline's score stage (notebooks/admissions/score.ipynb)
SCORED_PRODUCTION = "data/admissions/scored-production.parquet"
OUTCOMES = "data/admissions/first-year-outcomes.parquet"
#: Review-routed applicants the admissions committee admits: the upper part of the band between the thresholds.
COMMITTEE_ADMITS_FROM = 0.4
REVIEWERS = DEMO_PEOPLE  # signed with their demo keys (pyproject.toml's roster marks them demo = true)
#: Review items the committee decides in `make demo`; the rest of the queue waits in the Review panel.
COMMITTEE_DECIDES = 150


def _load(path: str) -> dict:
    target = ROOT / path
    return json.loads(target.read_text()) if target.exists() else {}


def summary(workspace: Workspace) -> None:
    version = get_version(workspace, f"{MODEL}@candidate")
    checks = _load("metrics/admissions/checks.json")
    scored = _load("metrics/admissions/score.json")
    gate = gate_status(workspace, version.ref, "production")
    chain = workspace.verify_audit()
    passed = sum(1 for r in checks.get("results", []) if r["status"] == "pass")
    print()
    print("=" * 72)
    print(f"Admissions triage: {version.ref} (aliases: {', '.join(version.aliases)})")
    print(f"  validation AUC {version.metrics['auc']:.3f}, Brier {version.metrics['brier']:.3f}")
    print(f"  checks: {passed}/{len(checks.get('results', []))} passed under {checks.get('policy', '?')}")
    for result in checks.get("results", []):
        print(f"    [{result['status']:4}] {result['message']}")
    for column, fairness in version.fairness.items():
        print(
            f"  fairness {column}: demographic parity difference {fairness['demographic_parity_difference']:.3f}, "
            f"equalized odds difference {fairness['equalized_odds_difference']:.3f}"
        )
    decisions = scored.get("decisions", {})
    print(f"  incoming cohort: {scored.get('rows', 0)} applications scored by job {str(scored.get('job', ''))[:12]}")
    print("  routing: " + ", ".join(f"{k} {v}" for k, v in sorted(decisions.items())))
    print("  routes:  " + ", ".join(f"{k} {v}" for k, v in sorted(scored.get("routes", {}).items())))
    drift = scored.get("drift_share")
    drifted = ", ".join(scored.get("drifted_columns", [])) or "none"
    flag = " -> retraining recommended" if scored.get("retrain_recommended") else ""
    print(f"  drift on incoming: share {drift if drift is None else f'{drift:.2f}'}; drifted: {drifted}{flag}")
    print(
        f"  promotion to production: approvals {gate.approvals}/{gate.approvals_required}, "
        f"{'allowed' if gate.allowed else 'pending'}"
    )
    print(f"  audit chain: {chain.message}")
    print(f"  report: {REPORT.relative_to(ROOT)}")
    if MONITORED_REPORT.exists():
        print(f"  after the decision (outcomes, SLOs, overrides): {MONITORED_REPORT.relative_to(ROOT)}")
    print()
    print("Next steps:")
    print("  make lab            # open JupyterLab; the Workbench sidebar shows models, pipelines, jobs, review, audit")
    print("  identities here are keys: the store adopted the roster in pyproject.toml (a demo analyst, who")
    print("  authored and signed the model, and two demo reviewers; `workbench roster show` lists them);")
    print("  run `make demo-approve` to approve with the reviewers' keys, promote through the gate and re-score.")
    print("=" * 72)


def approve_and_promote(workspace: Workspace) -> None:
    version = get_version(workspace, f"{MODEL}@candidate")
    for reviewer in REVIEWERS:
        decided = {d["actor"] for d in get_version(workspace, version.ref).decisions}
        if reviewer in decided:
            print(f"{reviewer} already decided on {version.ref}")
            continue
        key = demo_key(reviewer, ROOT)
        approve(workspace, version.ref, f"Demo review by {reviewer}: checks and fairness reviewed.", key=key)
        print(f"{reviewer} approved {version.ref} (signed with demo key {key.fingerprint})")
    promoter = demo_key(REVIEWERS[-1], ROOT)
    move = promote(workspace, version.ref, "production", reason="make demo-approve", key=promoter)
    print(f"promoted {move.name}:{move.to_version} to production (was {move.from_version})")
    job = score(
        workspace,
        f"{MODEL}@production",
        "data/admissions/incoming.parquet",
        SCORED_PRODUCTION,
        explain="approx",
        overwrite=True,
    )
    print(f"scored {job.rows_done} rows with {MODEL}@production: {job.stats.get('decisions', {})}")
    record_outcomes(workspace)
    monitor(workspace)
    write_report(workspace, f"{MODEL}@production", APPROVED_REPORT)
    print(f"report regenerated for production: {APPROVED_REPORT.relative_to(ROOT)}")


def incoming_cohort() -> pl.DataFrame:
    """The incoming cohort as prepare.ipynb drew it (seeded), with the academic record the truth depends on."""
    prepare = yaml.safe_load((ROOT / "params.yaml").read_text())["prepare"]
    return admissions.generate_applicants(
        prepare["n_incoming"],
        seed=prepare["seed"] + 1,
        year=prepare["year"] + 1,
        bias=prepare["bias"],
        drift=prepare["drift"],
        start_id=prepare["n_applicants"] + 1,
    )


def committee_admits(score: float, letters: int | None) -> bool:
    """The committee's reading of a review-routed file: the score from ``COMMITTEE_ADMITS_FROM`` up admits,
    unless the letters are weak (1-2 of 5); a file just below it (0.3 up) with the strongest letters (5) is
    admitted all the same. No letters: the score decides. A NaN score never admits."""
    if not score >= COMMITTEE_ADMITS_FROM - 0.1:
        return False
    if letters is None:
        return score >= COMMITTEE_ADMITS_FROM
    if score >= COMMITTEE_ADMITS_FROM:
        return letters > 2
    return letters == 5


def letters_of(cohort: pl.DataFrame) -> dict[str, int | None]:
    """Each applicant's recommendation strength (None: no letters), as the committee reads it."""
    return dict(cohort.select(admissions.KEY, "recommendation_strength").iter_rows())


def record_outcomes(
    workspace: Workspace, scored_file: str = SCORED_PRODUCTION, cohort: pl.DataFrame | None = None
) -> None:
    """A year on: the first-year results of the applicants admitted from the scored cohort, recorded as outcomes.

    Admitted: the automatic accepts, the review-routed applicants the committee admitted (the decided
    review items of the model, by applicant), and those it has not decided yet that it would admit
    (:func:`committee_admits`)."""
    prepare = yaml.safe_load((ROOT / "params.yaml").read_text())["prepare"]
    cohort = incoming_cohort() if cohort is None else cohort
    letters = letters_of(cohort)
    decided = {
        item.row_key: item.decision == "accept"
        for item in list_review_items(workspace, model=MODEL, status="decided", limit=None)
    }
    scored = pl.read_parquet(ROOT / scored_file, columns=[admissions.KEY, "score", "decision"])
    admitted = [
        key
        for key, score, decision in scored.iter_rows()
        if decision == "auto_accept"
        or (decision == "review" and decided.get(key, committee_admits(score, letters.get(key))))
    ]
    results = first_year_outcomes(cohort, admitted, seed=prepare["seed"] + 1, drift=prepare["drift"])
    admissions.write_parquet_atomic(results, ROOT / OUTCOMES)
    added = add_outcomes(workspace, MODEL, OUTCOMES, keys=[admissions.KEY], label=LABEL, observed_at=OBSERVED_AT)
    print(
        f"first-year results of {results.height} admitted applicants ({results.get_column(LABEL).mean():.1%} passed): "
        f"{added.added} added, {added.revised} revised, {added.unchanged} unchanged ({OUTCOMES})"
    )


def committee(workspace: Workspace, job: str, cohort: pl.DataFrame) -> None:
    """The admissions committee decides the first ``COMMITTEE_DECIDES`` review items of ``job``, the two demo
    reviewers in turn, each decision signed with the reviewer's key, reading the letters beside the score
    (:func:`committee_admits`): where that overrules the model's leaning, the comment says why.
    Nothing happens when someone already decided an item of the job (a second ``make demo``)."""
    if list_review_items(workspace, job=job, status="decided", limit=1):
        print(f"the committee already decided review items of job {job[:12]}")
        return
    letters = letters_of(cohort)
    keys = {reviewer: demo_key(reviewer, ROOT) for reviewer in REVIEWERS}
    items = list_review_items(workspace, job=job, status="open", limit=COMMITTEE_DECIDES)
    overrides = 0
    for n, item in enumerate(items):
        reviewer = REVIEWERS[n % len(REVIEWERS)]
        admit = committee_admits(item.score, letters.get(item.row_key))
        decision = "accept" if admit else "decline"
        comment = ""
        if item.leaning in ("accept", "decline") and decision != item.leaning:
            overrides += 1
            comment = (
                "Committee: admitted on the strongest letters, just below the score the model leans to."
                if admit
                else "Committee: declined on weak letters despite the score."
            )
        decide_review_item(workspace, item.id, decision, comment, key=keys[reviewer])
    print(
        f"the admissions committee ({', '.join(REVIEWERS)}) decided {len(items)} review items of job {job[:12]}, "
        f"overruling the model on {overrides}; the rest wait in the Review panel"
    )


def close_loop(workspace: Workspace) -> None:
    """After ``dvc repro``: committee decisions, the first-year outcomes, the SLO check, the monitored report."""
    job = _load("metrics/admissions/score.json").get("job")
    if not job:
        raise SystemExit("metrics/admissions/score.json names no scoring job: run `dvc repro` first.")
    cohort = incoming_cohort()  # drawn once for the committee's letters and the outcomes
    committee(workspace, job, cohort)
    record_outcomes(workspace, SCORED_CANDIDATE, cohort)
    monitor(workspace, f"{MODEL}@candidate")
    write_report(workspace, f"{MODEL}@candidate", MONITORED_REPORT)
    print(f"audit report with post-market monitoring: {MONITORED_REPORT.relative_to(ROOT)}")


def monitor(workspace: Workspace, ref: str = f"{MODEL}@production") -> None:
    """Check the policy's service levels (a breach is an audit event) and print the monitoring headline."""
    version = get_version(workspace, ref).version
    report = monitoring_report(workspace, MODEL)
    for w in (w for w in report.windows if w.version == version):

        def fmt(value: float | None, spec: str) -> str:
            return "-" if value is None else format(value, spec)

        print(
            f"monitor report {MODEL}:{w.version} ({w.window}): {w.rows:,} decided, automation "
            f"{fmt(w.automation_rate, '.1%')}, overrides {fmt(w.override_rate, '.1%')} of {w.reviewed} reviewed, "
            f"outcomes for {fmt(w.outcome_coverage, '.1%')}, realized AUC "
            f"{fmt(w.auc, '.3f')}, Brier {fmt(w.brier, '.3f')}, calibration error {fmt(w.calibration_error, '.3f')}, "
            f"automatic decisions right {fmt(w.automated_accuracy, '.1%')}, drift share {fmt(w.drift_share, '.2f')}, "
            f"staff hours saved {fmt(w.staff_hours_saved, '.1f')}"
        )
    for check in check_slos(workspace, MODEL):
        for status in (s for s in check.statuses if s.version == version):
            observed = "-" if status.observed is None else f"{status.observed:.4g}"
            print(f"  SLO {status.objective}: {status.status.replace('_', ' ')} (observed {observed})")
        if check.breaches:
            print(f"  {len(check.breaches)} breach(es) recorded: workbench audit log --action slo.breach")


def adopt(workspace: Workspace) -> None:
    """Adopt the roster and the demo's policies (admissions, tickets) with the demo analyst's key (idempotent)."""
    key = demo_key(DEMO_AUTHOR, ROOT)
    for what, act in (
        ("roster", lambda: adopt_roster(workspace, comment="make demo", key=key)),
        (POLICY, lambda: adopt_policy(workspace, POLICY, comment="make demo", key=key)),
        (TICKETS_POLICY, lambda: adopt_policy(workspace, TICKETS_POLICY, comment="make demo", key=key)),
    ):
        try:
            print(act().message)
        except Conflict:
            print(f"{what}: already in force")


def main(argv: list[str]) -> int:
    workspace = open_workspace(ROOT)
    if argv[:1] == ["adopt"]:
        adopt(workspace)
    elif argv[:1] == ["close-loop"]:
        close_loop(workspace)
    elif argv[:1] == ["approve"]:
        approve_and_promote(workspace)
        summary(workspace)
    elif argv[:1] == ["portal"]:  # the ending: decisions over HTTP and a canary (scripts/demo_portal.py)
        from demo_portal import portal

        portal(workspace)
    else:
        summary(workspace)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
