"""Every signature behind a version, for the audit report: who signed what, checked here and
re-checkable offline in the reader's browser.

The report lists the artifact signature (OpenSSF model-signing), the approvals and rejections,
the promotions to this version, and the adoptions of the governing policy and of the roster.
Each entry carries the exact signed bytes, the signature and the signer's public key (SPKI),
so the report's script verifies them with WebCrypto (ECDSA P-256 / Ed25519) without the project,
the database or a network; and the claims shown are decoded from those verified bytes. Python
verifies each one too (against the store's roster), and the report prints both results.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from workbench.core.errors import WorkbenchError
from workbench.core.statements import SignedStatement, parse_public_key, verify
from workbench.project.adopted import adoption_history, latest_adoption
from workbench.project.roster import Roster
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion
from workbench.store.audit import list_events

__all__ = ["SignatureEntry", "collect_signatures", "signatures_json"]


@dataclass(frozen=True)
class SignatureEntry:
    what: str
    signer: str
    fingerprint: str
    time: str
    algorithm: str  # "ECDSA-P256" | "Ed25519"
    public_key: str  # SPKI DER, base64
    message: str  # the signed bytes, base64
    signature: str  # raw (r||s for ECDSA), base64
    verified: bool
    problem: str = ""
    encoding: str = "statement"  # "statement" (workbench-statement/1) | "dsse" (in-toto, model-signing)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _key_material(key_line: str) -> tuple[str, str, Any]:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = parse_public_key(key_line)
    spki = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    algorithm = "ECDSA-P256" if isinstance(public, ec.EllipticCurvePublicKey) else "Ed25519"
    return algorithm, base64.b64encode(spki).decode("ascii"), public


def _raw_signature(algorithm: str, signature: bytes) -> str:
    """WebCrypto wants ECDSA signatures as r||s (32 bytes each), not DER."""
    if algorithm == "ECDSA-P256":
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        r, s = decode_dss_signature(signature)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return base64.b64encode(signature).decode("ascii")


def _statement_entry(what: str, data: Any, rosters: list[Roster]) -> SignatureEntry | None:
    try:
        signed = SignedStatement.from_dict(data)
    except WorkbenchError:
        return None
    person = next(
        (r.people[signed.statement.signer] for r in reversed(rosters) if signed.statement.signer in r.people), None
    )
    if person is None:
        return SignatureEntry(what, signed.statement.signer, signed.key, signed.statement.time, "", "", "", "", False,
                              "the signer is in no adopted roster")  # fmt: skip
    algorithm, spki, _ = _key_material(person.key)
    ok = person.fingerprint == signed.key and verify(signed, person.key)
    return SignatureEntry(
        what,
        person.name,
        person.fingerprint,
        signed.statement.time,
        algorithm,
        spki,
        base64.b64encode(signed.statement.canonical()).decode("ascii"),
        _raw_signature(algorithm, base64.b64decode(signed.signature)),
        ok,
        "" if ok else "the signature does not verify against the roster's key",
    )


def _pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what a DSSE signature covers."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _artifact_entry(workspace: Workspace, version: ModelVersion) -> SignatureEntry | None:
    from workbench.registry.signing import SIGNATURE, signature_info, verify_version

    info = signature_info(version)
    if info is None:
        return None
    bundle = json.loads(workspace.artifacts.get_bytes(version.artifact(SIGNATURE).digest))
    envelope = bundle["dsseEnvelope"]
    payload = base64.b64decode(envelope["payload"])
    algorithm, spki, _ = _key_material(info.key)
    try:
        verify_version(workspace, version)
        ok, problem = True, ""
    except WorkbenchError as exc:
        ok, problem = False, exc.message
    return SignatureEntry(
        "model artifacts (OpenSSF model-signing)",
        info.signer,
        info.fingerprint,
        str(version.created_at),
        algorithm,
        spki,
        base64.b64encode(_pae(envelope["payloadType"], payload)).decode("ascii"),
        _raw_signature(algorithm, base64.b64decode(envelope["signatures"][0]["sig"])),
        ok,
        problem,
        "dsse",
    )


def _governance_entries(conn: Connection, version: ModelVersion, policy_name: str | None) -> list[SignatureEntry]:
    history = adoption_history(conn)
    rosters = [roster for _, roster in history]
    entries: list[SignatureEntry] = []
    for decision in version.decisions:
        if decision.get("statement"):
            entry = _statement_entry(f"{decision['decision']} of {version.ref}", decision["statement"], rosters)
            if entry:
                entries.append(entry)
    for event in list_events(conn, action="model.promote"):
        payload = event.payload
        mine = payload.get("name") == version.name and payload.get("to_version") == version.version
        if mine and payload.get("statement"):
            entry = _statement_entry(f"promotion to {payload.get('alias')}", payload["statement"], rosters)
            if entry:
                entries.append(entry)
    adopted = [("roster", "roster")]
    if policy_name:
        adopted.append(("policy", f"policy:{policy_name}"))
    for kind, subject in adopted:
        latest = latest_adoption(conn, kind, subject)
        if latest is None:
            continue
        adoption, statements = latest
        judges = [r for a, r in history if a.seq < adoption.seq] or rosters[:1]
        for signed in statements:
            entry = _statement_entry(f"adoption of {subject}", signed.to_dict(), judges)
            if entry:
                entries.append(entry)
    return entries


def collect_signatures(workspace: Workspace, version: ModelVersion, policy_name: str | None) -> list[SignatureEntry]:
    """Every signature behind ``version`` (see the module docstring), artifacts first."""
    entries: list[SignatureEntry] = []
    artifact = _artifact_entry(workspace, version)
    if artifact:
        entries.append(artifact)
    with workspace.read() as conn:
        entries.extend(_governance_entries(conn, version, policy_name))
    return entries


def signatures_json(entries: list[SignatureEntry]) -> str:
    """The entries as JSON safe inside a ``<script type="application/json">`` element."""
    text = json.dumps([e.to_dict() for e in entries], sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
