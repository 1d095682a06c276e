"""Model artifacts are signed at registration with the author's key (OpenSSF model-signing) and
verified before loading or scoring: a changed byte, a replayed signature, a key outside the roster,
an unsigned version in a keyed store and an edited contract are all refused, naming the version."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.support.keyed import make_keyed
from tests.support.training import Trained, register_admissions
from workbench.core.errors import ArtifactIntegrityError, ConfigError, PermissionDenied
from workbench.project.keys import SigningKey, init_key
from workbench.project.workspace import Workspace
from workbench.registry.model_version import ModelVersion
from workbench.registry.register import RegisterOptions
from workbench.registry.signing import SIGNATURE, bundle_manifest, verify_version
from workbench.registry.versions import get_version, load_model

FAST = RegisterOptions(evidently_report=False, explain_rows=100, local_rows=5)


def _register(workspace: Workspace, trained: Trained, key: SigningKey | None) -> str:
    return register_admissions(workspace, trained, options=FAST, key=key).ref


@pytest.fixture
def keyed(governed: Workspace, tmp_path: Path) -> tuple[Workspace, dict[str, SigningKey]]:
    return make_keyed(governed, tmp_path / "keys", {"ana": ["author"], "rita": ["reviewer"]})


def _db(workspace: Workspace) -> Path:
    return workspace.project.root / ".workbench" / "workbench.db"


def test_a_registration_is_signed_and_verified(
    keyed: tuple[Workspace, dict[str, SigningKey]], trained_small: Trained
) -> None:
    workspace, keys = keyed
    ref = _register(workspace, trained_small, keys["ana"])
    version = get_version(workspace, ref)
    assert version.author == "ana" and SIGNATURE in version.artifacts
    assert version.lineage["signed_by"]["fingerprint"] == keys["ana"].fingerprint
    bundle = workspace.artifacts.get_bytes(version.artifact(SIGNATURE).digest)
    listed = bundle_manifest(bundle)
    assert listed == {k: v for k, v in version.digests.items() if k != SIGNATURE}
    info = verify_version(workspace, version)
    assert info is not None and info.signer == "ana"
    assert load_model(workspace, ref).num_features() > 0


def test_only_authors_register_in_a_keyed_store(
    keyed: tuple[Workspace, dict[str, SigningKey]], trained_small: Trained, tmp_path: Path
) -> None:
    workspace, keys = keyed
    with pytest.raises(PermissionDenied, match="rita may not register a model version"):
        _register(workspace, trained_small, keys["rita"])
    with pytest.raises(PermissionDenied, match="not in the store's adopted roster"):
        _register(workspace, trained_small, init_key(tmp_path / "stranger"))


def test_an_unsigned_version_in_a_keyed_store_is_not_loaded(
    keyed: tuple[Workspace, dict[str, SigningKey]],
) -> None:
    workspace, _ = keyed  # admissions:1 was registered before the store had a roster
    with pytest.raises(ArtifactIntegrityError, match="carries no artifact signature"):
        load_model(workspace, "admissions:1")


def test_a_signature_replayed_onto_other_artifacts_fails(
    keyed: tuple[Workspace, dict[str, SigningKey]], trained_small: Trained
) -> None:
    workspace, keys = keyed
    first = get_version(workspace, _register(workspace, trained_small, keys["ana"]))
    second = get_version(workspace, _register(workspace, trained_small, keys["ana"]))
    # the second version's metrics swapped for another stored, intact artifact (the first version's
    # drift): every digest check passes, the signature over the registered bytes does not
    forged = {**second.artifacts, "metrics": first.artifacts["drift"]}
    with pytest.raises(ArtifactIntegrityError, match="does not verify"):
        verify_version(workspace, _with(second, artifacts=forged))


def test_a_key_outside_the_roster_is_refused_even_if_its_signature_holds(
    keyed: tuple[Workspace, dict[str, SigningKey]], trained_small: Trained, tmp_path: Path
) -> None:
    workspace, keys = keyed
    version = get_version(workspace, _register(workspace, trained_small, keys["ana"]))
    mallory = init_key(tmp_path / "mallory")
    from workbench.registry.signing import sign_artifacts

    bundle = sign_artifacts(workspace.artifacts, version.artifacts, mallory, version.ref)
    ref = workspace.artifacts.put_bytes(bundle, "model.sig")
    lineage = {
        **version.lineage,
        "signed_by": {"name": "ana", "key": mallory.public_line, "fingerprint": mallory.fingerprint},
    }
    forged = _with(version, artifacts={**version.artifacts, SIGNATURE: ref.to_dict()}, lineage=lineage)
    with pytest.raises(ArtifactIntegrityError, match="a key no adopted roster lists as an author"):
        verify_version(workspace, forged)


def test_an_edited_contract_row_is_refused(
    keyed: tuple[Workspace, dict[str, SigningKey]], trained_small: Trained
) -> None:
    workspace, keys = keyed
    ref = _register(workspace, trained_small, keys["ana"])
    name, number = ref.split(":")
    with sqlite3.connect(_db(workspace)) as conn:
        (contract,) = conn.execute(
            "SELECT contract FROM model_versions WHERE name = ? AND version = ?", (name, int(number))
        ).fetchone()
        data = json.loads(contract)
        data["features"] = list(reversed(data["features"]))
        conn.execute(
            "UPDATE model_versions SET contract = ? WHERE name = ? AND version = ?",
            (json.dumps(data), name, int(number)),
        )
    with pytest.raises(ArtifactIntegrityError, match="contract in the database differs"):
        load_model(workspace, ref)


def test_an_ed25519_author_key_cannot_sign_artifacts(
    governed: Workspace, trained_small: Trained, tmp_path: Path
) -> None:
    workspace, keys = make_keyed(governed, tmp_path / "keys", {"ana": ["author"]})
    ed = init_key(tmp_path / "ed", key_type="ed25519")
    from tests.support.keyed import add_people
    from workbench.governance.adoption import adopt_roster
    from workbench.project.config import load_project

    add_people(workspace.project.root, {"ed": ed}, {"ed": ["author"]})
    workspace = Workspace(load_project(workspace.project.root), workspace.identity)
    adopt_roster(workspace, key=keys["admin"])
    with pytest.raises(ConfigError, match="needs a P-256 key"):
        _register(workspace, trained_small, ed)


def _with(version: ModelVersion, **changes: Any) -> ModelVersion:
    return dataclasses.replace(version, **changes)
