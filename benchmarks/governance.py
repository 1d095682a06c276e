"""What governance costs: signing and verifying statements, the gate's state check, and
``audit verify`` on a million events (streamed, constant memory).

    python benchmarks/governance.py [--events 1000000]

Builds a throw-away SQLite project in a temp folder, writes a valid chain of
``--events`` events straight into the store (hashing each one as ``append`` does),
then times:

* signing and verifying an approval statement, P-256 (the default key) and ed25519;
* the gate's reads of what governs: the adopted roster and policy, read back from the chain
  and every adoption signature re-verified (what each gate decision, approval and check runs);
* signing and verifying a version's artifacts with OpenSSF model-signing (a 20 MB model and
  its evidence) against the obvious alternative, sha256 digests alone (what reads did before);
* ``verify_state`` for one model (what the gate and scoring run before they act);
* ``audit.verify`` streamed (this code) against the obvious alternative, loading every
  row into a list first (what it did before), with the peak memory of each.

Everything stays on this machine; nothing is fetched.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.artifacts.store import ArtifactStore
from workbench.core.clock import isoformat
from workbench.core.hashing import canonical_json
from workbench.core.statements import Statement, verify
from workbench.core.values import Identity
from workbench.governance.adoption import adopt_policy, adopt_roster, governing_policy
from workbench.project.adopted import roster_state
from workbench.project.config import load_project
from workbench.project.init import init_project
from workbench.project.keys import init_key
from workbench.project.workspace import Workspace
from workbench.registry.signing import sign_artifacts, verify_bundle
from workbench.store import audit
from workbench.store.engine import open_store
from workbench.store.schema import audit_events, audit_head
from workbench.store.state import verify_state


def per_op(func, repeat: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for _ in range(repeat):
        func()
    return (time.perf_counter() - started) / repeat


def fill(store, events: int) -> None:  # type: ignore[no-untyped-def]
    """A valid chain: registrations, approvals and alias moves of one model, then job events."""
    prev = audit.GENESIS
    start = datetime(2026, 1, 1, tzinfo=UTC)
    batch: list[dict[str, object]] = []
    with store.begin() as conn:
        for seq in range(1, events + 1):
            moment = start + timedelta(seconds=seq)
            if seq <= 300:
                version = (seq - 1) // 3 + 1
                kind = (seq - 1) % 3
                if kind == 0:
                    action, subject = "model.register", f"model:bench:{version}"
                    payload = {"digests": {"model": f"sha256:{version:064x}"}}
                elif kind == 1:
                    action, subject = "model.approve", f"model:bench:{version}"
                    payload = {"comment": "", "policy_hash": "p", "digests": {"model": f"sha256:{version:064x}"}}
                else:
                    action, subject = "model.alias", "model:bench@candidate"
                    payload = {"name": "bench", "alias": "candidate", "from_version": None, "to_version": version}
            else:
                action, subject, payload = "job.progress", f"job:{seq % 997}", {"rows": seq}
            text = canonical_json(payload)
            digest = audit.event_hash(prev, seq, isoformat(moment), "bench", action, subject, text)
            batch.append(
                {"seq": seq, "time": moment, "actor": "bench", "action": action, "subject": subject,
                 "payload": text, "prev_hash": prev, "hash": digest}
            )  # fmt: skip
            prev = digest
            if len(batch) == 20_000:
                conn.execute(audit_events.insert(), batch)
                batch.clear()
        if batch:
            conn.execute(audit_events.insert(), batch)
        conn.execute(audit_head.insert().values(id=1, seq=events, hash=prev))


def load_all_then_walk(conn) -> int:  # type: ignore[no-untyped-def]
    """The obvious alternative: every row in a list, then the same walk."""
    import sqlalchemy as sa

    rows = list(conn.execute(sa.select(audit_events).order_by(audit_events.c.seq)))
    walked = audit._walk(rows)
    return len(rows) if not isinstance(walked, audit.ChainReport) else -1


def measure(func):  # type: ignore[no-untyped-def]
    """(result, seconds, peak traced bytes): timed in a plain run, memory in a second, traced run
    (tracing slows Python several times, so it never shares a run with the clock)."""
    gc.collect()
    started = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - started
    gc.collect()
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


POLICY = """policy: bench
models: [bench]
approvals: {required: 2, roles: [approver]}
"""


def adoption_reads(folder: Path) -> float:
    """Median seconds for the gate's read of the adopted roster and the governing policy."""
    root = folder / "adopt"
    init_project(root, git=False, dvc=False)
    admin = init_key(folder / "admin-key", comment="admin")
    with (root / "workbench.toml").open("a") as handle:
        handle.write(f'\n[tool.workbench.people.admin]\nkey = "{admin.public_line}"\nroles = ["policy-admin"]\n')
    (root / "policies").mkdir(exist_ok=True)
    (root / "policies" / "bench.yaml").write_text(POLICY)
    workspace = Workspace(load_project(root), Identity("admin", "env"))
    adopt_roster(workspace, key=admin)
    adopt_policy(workspace, "policies/bench.yaml", key=admin)
    runs = []
    with workspace.read() as conn:
        for _ in range(50):
            started = time.perf_counter()
            governing_policy(conn, workspace.project, "bench", state=roster_state(conn, workspace.project))
            runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def artifact_signing(folder: Path, key) -> tuple[float, float, float, float]:  # type: ignore[no-untyped-def]
    """Seconds to sign and to verify a version's artifacts with model-signing (first call: import
    included), and to verify again; against reading every artifact with its sha256 check only."""
    import random

    store = ArtifactStore(str(folder / "artifacts"))
    rng = random.Random(7)
    artifacts = {"model": store.put_bytes(rng.randbytes(20 * 2**20), "model.ubj").to_dict()}
    for name in ("contract", "metrics", "drift", "fairness", "shap_global", "shap_local", "reference"):
        artifacts[name] = store.put_bytes(rng.randbytes(200_000), name).to_dict()
    started = time.perf_counter()
    bundle = sign_artifacts(store, artifacts, key, "bench:1")
    sign_s = time.perf_counter() - started
    from workbench.core.statements import parse_public_key

    public = parse_public_key(key.public_line)
    runs = []
    for _ in range(4):
        started = time.perf_counter()
        verify_bundle(store, artifacts, bundle, public, "bench:1", "bench")
        runs.append(time.perf_counter() - started)
    digest_runs = []
    for _ in range(4):
        started = time.perf_counter()
        for entry in artifacts.values():
            store.get_bytes(entry["digest"])
        digest_runs.append(time.perf_counter() - started)
    return sign_s, runs[0], statistics.median(runs[1:]), statistics.median(digest_runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        key = init_key(Path(folder) / "keys", comment="bench")
        ed_key = init_key(Path(folder) / "ed-keys", comment="bench", key_type="ed25519")
        statement = Statement(
            "model.approve", "model:bench:3",
            {"decision": "approve", "digests": {"model": "sha256:" + "a" * 64}, "policy": "b" * 64, "comment": "ok"},
            "bench", "2026-12-07T10:00:00Z",
        )  # fmt: skip
        signed = key.sign(statement)
        sign_s = per_op(lambda: key.sign(statement), 2_000)
        verify_s = per_op(lambda: verify(signed, key.public_line), 2_000)
        ed_signed = ed_key.sign(statement)
        ed_sign_s = per_op(lambda: ed_key.sign(statement), 2_000)
        ed_verify_s = per_op(lambda: verify(ed_signed, ed_key.public_line), 2_000)
        adopt_s = adoption_reads(Path(folder))
        art_sign_s, art_first_s, art_verify_s, digest_s = artifact_signing(Path(folder), key)
        store = open_store(f"sqlite:///{folder}/bench.db", cached=False)
        started = time.perf_counter()
        fill(store, args.events)
        fill_s = time.perf_counter() - started
        with store.begin() as conn:
            state_runs = [measure(lambda: verify_state(conn, "bench"))[1] for _ in range(5)]
            report, stream_s, stream_peak = measure(lambda: audit.verify(conn))
            count, list_s, list_peak = measure(lambda: load_all_then_walk(conn))
        assert report.ok and report.count == args.events == count, report.message
    print(f"governance benchmark: {args.events:,} events (chain written in {fill_s:.1f} s)")
    print(f"  sign an approval statement (P-256)        {sign_s * 1e6:8.1f} us")
    print(f"  verify it (P-256)                         {verify_s * 1e6:8.1f} us")
    print(f"  sign an approval statement (ed25519)      {ed_sign_s * 1e6:8.1f} us")
    print(f"  verify it (ed25519)                       {ed_verify_s * 1e6:8.1f} us")
    print(f"  gate: adopted roster + policy read back   {adopt_s * 1e3:8.2f} ms")
    print(f"  model-signing: sign a version (21.4 MB)   {art_sign_s * 1e3:8.1f} ms")
    print(f"  model-signing: verify, first (import)     {art_first_s * 1e3:8.1f} ms")
    print(f"  model-signing: verify again               {art_verify_s * 1e3:8.1f} ms")
    print(f"  sha256 digests only, same artifacts       {digest_s * 1e3:8.1f} ms")
    print(f"  gate state check, 100 versions (median)   {statistics.median(state_runs) * 1e3:8.1f} ms")
    print(f"  audit verify, streamed                    {stream_s:8.2f} s   peak {stream_peak / 2**20:7.1f} MiB")
    print(f"  audit verify, all rows loaded first       {list_s:8.2f} s   peak {list_peak / 2**20:7.1f} MiB")
    figures = {
        "events": args.events,
        "sign_us": sign_s * 1e6,
        "verify_us": verify_s * 1e6,
        "ed25519_sign_us": ed_sign_s * 1e6,
        "ed25519_verify_us": ed_verify_s * 1e6,
        "adopted_read_ms": adopt_s * 1e3,
        "artifacts_sign_ms": art_sign_s * 1e3,
        "artifacts_verify_first_ms": art_first_s * 1e3,
        "artifacts_verify_ms": art_verify_s * 1e3,
        "digests_only_ms": digest_s * 1e3,
        "state_ms": statistics.median(state_runs) * 1e3,
        "stream_s": stream_s,
        "stream_peak_mib": stream_peak / 2**20,
        "list_s": list_s,
        "list_peak_mib": list_peak / 2**20,
    }
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
