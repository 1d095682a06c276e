"""Model artifacts signed with OpenSSF model-signing, and verified before anything uses them.

At registration in a keyed project the author's P-256 key signs the version's artifacts (the
model and every piece of evidence: contract, metrics, SHAP, drift, fairness, the drift
reference, the plots and reports) with ``model_signing`` (key-based and offline: a Sigstore
bundle whose DSSE envelope carries an in-toto statement listing each artifact's sha256). The
bundle is stored as the version's ``signature`` artifact, so its digest is in the chain's
``model.register`` event; the signer's name and public key are recorded in the lineage.

:func:`verify_version` is what loading, scoring and serving call first. It checks

* the signature against the signer's key, which in a keyed project must be a key the store's
  roster has listed with the ``author`` role (an unsigned version there is refused);
* every artifact's bytes against the signed manifest (a changed byte fails);
* the contract the database row holds against the signed contract artifact.

Any failure raises :class:`ArtifactIntegrityError` naming the version and what differs, so a
job fails closed and records why. The files are the artifact names (``model``, ``contract``,
...), so an auditor can export them (``workbench models export``-style) and run
``model_signing verify key`` on the folder with the same bundle.
"""

from __future__ import annotations

import base64
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.artifacts.store import ArtifactRef, ArtifactStore
from workbench.core.errors import ArtifactIntegrityError, ValidationError
from workbench.core.statements import fingerprint, parse_public_key
from workbench.project.adopted import adoption_history
from workbench.project.keys import SigningKey
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion

__all__ = [
    "MEDIA_TYPE",
    "SIGNATURE",
    "SignatureInfo",
    "bundle_manifest",
    "sign_artifacts",
    "signature_info",
    "verify_bundle",
    "verify_version",
]

SIGNATURE = "signature"
MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


def _hashing() -> Any:
    from model_signing import hashing

    return hashing.Config().use_file_serialization(hashing_algorithm="sha256")


def _materialize(store: ArtifactStore, artifacts: dict[str, dict[str, Any]], folder: Path, label: str) -> None:
    """Write each artifact (bar the signature) as ``folder/<name>``, each read verified by digest."""
    for name, entry in sorted(artifacts.items()):
        if name == SIGNATURE:
            continue
        ref = ArtifactRef.from_dict(entry)
        (folder / name).write_bytes(store.get_bytes(ref.digest, name=f"{label} {name}"))


def sign_artifacts(store: ArtifactStore, artifacts: dict[str, dict[str, Any]], key: SigningKey, label: str) -> bytes:
    """A model-signing bundle over ``artifacts``, signed with ``key`` (P-256)."""
    from model_signing import signing

    if not key.is_p256:
        raise ArtifactIntegrityError(
            f"Model artifacts are signed with OpenSSF model-signing, which needs a P-256 key; {key.path} is ed25519. "
            "Create one with `workbench keys init --force` and have a policy admin adopt the revised roster."
        )
    with tempfile.TemporaryDirectory(prefix="workbench-sign-") as folder, key.pem_file() as pem:
        model = Path(folder) / "model"
        model.mkdir()
        _materialize(store, artifacts, model, label)
        bundle = Path(folder) / "model.sig"
        signing.Config().use_elliptic_key_signer(private_key=pem).set_hashing_config(_hashing()).sign(model, bundle)
        return bundle.read_bytes()


def bundle_manifest(bundle: bytes) -> dict[str, str]:
    """The artifact names and sha256 digests a bundle's signed in-toto statement lists (for display;
    the digests are the artifact store's addresses). Empty when the bundle is unreadable."""
    try:
        statement = json.loads(base64.b64decode(json.loads(bundle)["dsseEnvelope"]["payload"]))
        return {str(item["name"]): str(item["digest"]) for item in statement["predicate"]["resources"]}
    except (KeyError, TypeError, ValueError):
        return {}


@dataclass(frozen=True)
class SignatureInfo:
    """Who signed a version's artifacts (from its lineage), for reports and panels."""

    signer: str
    key: str
    fingerprint: str

    def to_dict(self) -> dict[str, str]:
        return {"signer": self.signer, "key": self.key, "fingerprint": self.fingerprint}


def signature_info(version: ModelVersion) -> SignatureInfo | None:
    signed = version.lineage.get("signed_by")
    if not isinstance(signed, dict) or SIGNATURE not in version.artifacts:
        return None
    return SignatureInfo(str(signed.get("name", "")), str(signed.get("key", "")), str(signed.get("fingerprint", "")))


def _author_keys(workspace: Workspace) -> dict[str, tuple[str, str]] | None:
    """Fingerprint -> (name, key line) of everyone any adopted roster revision made an author; None when open."""
    with workspace.read() as conn:
        history = adoption_history(conn)
    if not history:
        return None
    return {
        person.fingerprint: (person.name, person.key)
        for _, roster in history
        for person in roster.people.values()
        if "author" in person.roles
    }


def verify_version(workspace: Workspace, version: ModelVersion) -> SignatureInfo | None:
    """Verify ``version``'s signature, artifacts and contract; see the module docstring. Returns the signer."""
    info = signature_info(version)
    authors = _author_keys(workspace)
    if info is None:
        if authors is not None:
            raise ArtifactIntegrityError(
                f"{version.ref} carries no artifact signature, and this project's store has a roster: only versions "
                "signed by an author's key are loaded. Register it again with your key (`workbench keys show`)."
            )
        if "reference" in version.artifacts:  # read through its digest check: a damaged one fails closed
            workspace.artifacts.get_bytes(version.artifact("reference").digest, name=f"{version.ref} reference")
        _check_contract(workspace, version)
        return None
    try:
        if fingerprint(info.key) != info.fingerprint:
            raise ValueError("the recorded fingerprint is not the recorded key's")
        public = parse_public_key(info.key)
    except (ValueError, ValidationError) as exc:  # any unreadable key is the same refusal
        raise ArtifactIntegrityError(f"{version.ref}: the recorded signing key is unusable ({exc}).") from None
    if authors is not None and info.fingerprint not in authors:
        raise ArtifactIntegrityError(
            f"{version.ref} was signed by {info.signer} ({info.fingerprint}), a key no adopted roster lists as an "
            "author; it is not loaded."
        )
    bundle = workspace.artifacts.get_bytes(version.artifact(SIGNATURE).digest, name=f"{version.ref} signature")
    verify_bundle(workspace.artifacts, version.artifacts, bundle, public, f"{version.ref}", info.signer)
    _check_contract(workspace, version)
    return info


def verify_bundle(
    store: ArtifactStore, artifacts: dict[str, dict[str, Any]], bundle: bytes, public: Any, label: str, signer: str
) -> None:
    """Check ``bundle`` against ``artifacts``' bytes with the public key ``public``; raises naming ``label``."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    from model_signing import verifying

    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    with tempfile.TemporaryDirectory(prefix="workbench-verify-") as folder:
        model = Path(folder) / "model"
        model.mkdir()
        _materialize(store, artifacts, model, label)
        (Path(folder) / "model.sig").write_bytes(bundle)
        (Path(folder) / "key.pem").write_bytes(pem)
        config = verifying.Config().use_elliptic_key_verifier(public_key=Path(folder) / "key.pem")
        try:
            config.set_hashing_config(_hashing()).verify(model, Path(folder) / "model.sig")
        except Exception as exc:  # model-signing raises ValueError and crypto errors alike
            raise ArtifactIntegrityError(
                f"{label}: the artifact signature by {signer} does not verify ({str(exc)[:300]}). "
                "The model or its evidence changed after registration; it is not loaded.",
                details={"ref": label, "signer": signer},
            ) from None


def _check_contract(workspace: Workspace, version: ModelVersion) -> None:
    """The contract the row holds must be the registered contract artifact's."""
    if "contract" not in version.artifacts:
        return
    stored = json.loads(
        workspace.artifacts.get_bytes(version.artifact("contract").digest, name=f"{version.ref} contract")
    )
    if json.dumps(stored, sort_keys=True, default=str) != json.dumps(version.contract, sort_keys=True, default=str):
        raise ArtifactIntegrityError(
            f"{version.ref}: the input contract in the database differs from its registered contract artifact; "
            "the row was edited. Restore the database from a backup; the version is not loaded."
        )
