"""The admissions demo's ending: the portal's view (``python scripts/demo.py portal``, ``make demo-portal``).

After ``make demo-approve`` put a version on production, this:

1. retrains the model on the pipeline's training set (the train notebook's code, another seed
   and more rounds) and registers it, signed with the demo analyst's key;
2. adopts the admissions policy with a ``rollout:`` section (a 20% canary, guards) written to
   ``build/demo/`` (the demo keeps ``pipelines/admissions/policy.yaml`` as the pipeline has it;
   ``make demo``'s adopt step puts that one back in force);
3. checks the retrained version under it, has the two demo reviewers approve it, and promotes it
   to the protected ``canary`` alias through the gate;
4. materializes the admissions feature set into the online store, starts ``workbench serve`` on
   loopback with a portal token, and decides a few applications over HTTP by applicant id alone
   (the service looks their features up), then the incoming cohort, so both arms decide;
5. prints ``workbench rollout report admissions``: the canary against production.

Every step goes through the same service functions as the CLI, so each lands in the audit trail.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import polars as pl

from workbench.core.errors import Conflict
from workbench.examples import admissions
from workbench.examples.demo_keys import DEMO_AUTHOR, DEMO_PEOPLE, demo_key
from workbench.features.materialize import materialize
from workbench.governance.adoption import adopt_policy
from workbench.governance.approvals import approve
from workbench.governance.checks import run_checks
from workbench.governance.gate import promote
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version
from workbench.serving.report import format_report, rollout_report
from workbench.serving.tokens import create_token, revoke_token

ROOT = Path(__file__).resolve().parents[1]
MODEL = "admissions"
POLICY = ROOT / "pipelines" / "admissions" / "policy.yaml"
CANARY_POLICY = ROOT / "build" / "demo" / "admissions-canary-policy.yaml"
ROLLOUT = """
rollout:
  mode: canary
  share: 0.2
  guards: {review_rate: 0.6, error_rate: 0.05, min_decisions: 50}
"""


def retrain(workspace: Workspace) -> str:
    """A retrained candidate: the train notebook's code on the same training set, another seed, more rounds."""
    import xgboost as xgb

    from workbench.contracts import derive_contract, feature_matrix
    from workbench.registry.register import register

    features = [*admissions.NUMERIC_FEATURES, "transcript_complete", "recommendation_complete"]
    frame = pl.read_parquet(ROOT / "data" / "admissions" / "training.parquet")
    train, valid = admissions.split(frame, valid_fraction=0.25, seed=11, stratify=admissions.TARGET)
    contract = derive_contract(train, target=admissions.TARGET, keys=[admissions.KEY], features=features)
    label = train[admissions.TARGET].to_numpy()
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 4, "eta": 0.06, "seed": 11, "nthread": 2},
        xgb.DMatrix(feature_matrix(train, contract), label=label, feature_names=features),
        num_boost_round=260,
    )
    version = register(
        workspace, booster, name=MODEL, train=train, valid=valid, target=admissions.TARGET,
        sensitive=list(admissions.SENSITIVE), keys=[admissions.KEY], features=features, feature_set="admissions",
        monitor=["region"], description="Retrained triage model (demo canary): another seed, 260 rounds.",
        intended_use="As admissions@production; decides a 20% canary share of applicants until promoted or stopped.",
    )  # fmt: skip
    print(f"retrained and registered {version.ref}")
    return str(version.ref)


def canary(workspace: Workspace, ref: str) -> None:
    CANARY_POLICY.parent.mkdir(parents=True, exist_ok=True)
    CANARY_POLICY.write_text(POLICY.read_text() + ROLLOUT)
    try:
        key = demo_key(DEMO_AUTHOR, ROOT)
        print(adopt_policy(workspace, CANARY_POLICY, comment="demo: canary rollout", key=key).message)
    except Conflict:
        print("the canary policy is already in force")
    run_checks(workspace, ref)
    for reviewer in DEMO_PEOPLE:
        note = f"Demo review by {reviewer}: canary of a retrained version."
        approve(workspace, ref, note, key=demo_key(reviewer, ROOT))
    move = promote(workspace, ref, "canary", reason="demo: canary of the retrained version",
                   key=demo_key(DEMO_PEOPLE[-1], ROOT))  # fmt: skip
    print(f"{ref} is on canary through the gate (checks, {len(DEMO_PEOPLE)} approvals); production stays version "
          f"{get_version(workspace, f'{MODEL}@production').version}")  # fmt: skip
    del move


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "workbench.cli.main", "serve", "--models", MODEL, "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"workbench serve exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise SystemExit("workbench serve did not become ready in 120 s")


def decide_over_http(workspace: Workspace) -> None:
    materialize(workspace, "admissions")  # the portal sends applicant ids; the service looks features up
    incoming = pl.read_parquet(ROOT / "data" / "admissions" / "incoming.parquet")
    # What the application form holds (the routing rules read first_generation); no records, no times.
    applications = incoming.select(pl.exclude(pl.Date, pl.Datetime)).to_dicts()
    name = f"demo-portal-{int(time.time())}"  # token names are unique for good: a rerun makes another
    _, secret = create_token(workspace, name, [MODEL])
    port = _free_port()
    process = _serve(port)
    url = f"http://127.0.0.1:{port}/v1/models/{MODEL}/decide"
    headers = {"Authorization": f"Bearer {secret}"}
    try:
        print("the portal sends a few applications (POST /v1/models/admissions/decide; the service looks up the")
        print("transcripts, tests and letters in the online feature store by applicant id):")
        decided, refused = 0, 0
        for row in applications[:4]:
            key = row[admissions.KEY]
            answer = httpx.post(url, json=row, headers={**headers, "Idempotency-Key": f"demo-{key}"}, timeout=30)
            if answer.status_code != 200:
                refused += 1
                print(f"  {key}: {answer.status_code} {answer.json().get('message')}")
                continue
            decided += 1
            d = answer.json()["decisions"][0]
            print(f"  {d['key']}: {d['decision']:<12} score {d['score']:.3f} route {d['route']:<30} "
                  f"{d['arm']} (version {d['version']})")  # fmt: skip
        for start in range(4, len(applications), 250):  # the rest of the cohort, 250 applications a request
            chunk = applications[start : start + 250]
            answer = httpx.post(url, json=chunk, headers=headers, timeout=120)
            decided, refused = (decided + len(chunk), refused) if answer.status_code == 200 else (decided, refused + 1)
        print(f"  ... and the rest of the incoming cohort: {decided:,} applications decided over HTTP"
              + (f", {refused} request(s) refused" if refused else ""))  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=30)
        revoke_token(workspace, name)


def portal(workspace: Workspace) -> None:
    ref = retrain(workspace)
    canary(workspace, ref)
    decide_over_http(workspace)
    print(format_report(rollout_report(workspace, MODEL)))
    print("end it: `workbench rollout promote admissions` (through the gate) or `workbench rollout stop admissions`")
