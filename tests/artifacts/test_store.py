from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from workbench.artifacts.store import ArtifactStore
from workbench.core.errors import ArtifactIntegrityError, NotFound


def test_put_and_get_bytes_are_content_addressed(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "a"))
    ref = store.put_bytes(b"model bytes", name="model.ubj")
    assert ref.digest == hashlib.sha256(b"model bytes").hexdigest()
    assert store.path_for(ref.digest) == tmp_path / "a" / "sha256" / ref.digest[:2] / ref.digest[2:]
    assert store.get_bytes(ref.digest) == b"model bytes"
    # Same content, same object: a second put writes nothing new.
    assert store.put_bytes(b"model bytes").digest == ref.digest
    assert len(list((tmp_path / "a").rglob("*"))) == 3


def test_put_file_streams_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    source = tmp_path / "big.bin"
    source.write_bytes(b"x" * (3 << 20))
    store = ArtifactStore(str(tmp_path / "a"))
    ref = store.put_file(source)
    assert ref.size == 3 << 20 and ref.name == "big.bin"
    assert not [p for p in (tmp_path / "a").rglob(".tmp-*")]
    copied = store.get_file(ref.digest, tmp_path / "out" / "copy.bin")
    assert copied.read_bytes() == source.read_bytes()


def test_a_tampered_artifact_raises_naming_it(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "a"))
    ref = store.put_bytes(b"original", name="model.ubj")
    path = store.path_for(ref.digest)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(ArtifactIntegrityError, match=r"model\.ubj failed its integrity check"):
        store.get_bytes(ref.digest, name="model.ubj")
    with pytest.raises(ArtifactIntegrityError):
        store.get_file(ref.digest, tmp_path / "x", name="model.ubj")
    assert not (tmp_path / "x").exists()


def test_missing_artifact_and_bad_digest(tmp_path: Path) -> None:
    store = ArtifactStore(str(tmp_path / "a"))
    with pytest.raises(NotFound, match="missing"):
        store.get_bytes("0" * 64, name="shap.parquet")
    with pytest.raises(ArtifactIntegrityError, match="not a sha256 digest"):
        store.get_bytes("../../etc/passwd")


def test_fsspec_url_backend(tmp_path: Path) -> None:
    store = ArtifactStore("memory://workbench-test-artifacts")
    ref = store.put_bytes(b"in memory", name="x")
    assert store.exists(ref.digest)
    assert store.get_bytes(ref.digest) == b"in memory"
