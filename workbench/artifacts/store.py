"""The artifact store: bytes addressed by their sha256.

Objects live at ``<root>/sha256/<2 hex>/<62 hex>``. Writes are atomic (a temporary
file renamed into place on a local disk; one PUT on object stores, which is atomic
there). Every read recomputes the digest and raises
:class:`~workbench.core.errors.ArtifactIntegrityError` naming the artifact on a
mismatch, so a tampered or truncated file is never handed to a caller.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import ArtifactIntegrityError, ConfigError, NotFound

__all__ = ["ArtifactRef", "ArtifactStore", "open_artifacts"]

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ArtifactRef:
    """A stored artifact: its digest, size, and a human label used in messages."""

    digest: str
    size: int
    name: str = ""
    media_type: str = "application/octet-stream"

    def to_dict(self) -> dict[str, Any]:
        return {"digest": self.digest, "size": self.size, "name": self.name, "media_type": self.media_type}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArtifactRef:
        return cls(
            data["digest"], int(data["size"]), data.get("name", ""), data.get("media_type", "application/octet-stream")
        )


def _check_digest(digest: str) -> str:
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise ArtifactIntegrityError(f"{digest!r} is not a sha256 digest (64 lowercase hex characters).")
    return digest


class ArtifactStore:
    """Content-addressed storage rooted at a local folder or an fsspec URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._local = "://" not in url or url.startswith("file://")
        if self._local:
            self.root = Path(url.removeprefix("file://"))
            self._fs: Any = None
        else:
            try:
                import fsspec

                self._fs, self._remote_root = fsspec.core.url_to_fs(url)
            except (ImportError, ValueError) as exc:
                raise ConfigError(
                    f"Cannot open the artifact store {url!r} ({exc}). Install the fsspec backend for its scheme "
                    "(e.g. s3fs for s3://, gcsfs for gs://)."
                ) from exc
            self.root = Path("/")

    def _relative(self, digest: str) -> str:
        return f"sha256/{digest[:2]}/{digest[2:]}"

    def path_for(self, digest: str) -> Path:
        """Local path of an object (local stores only)."""
        return self.root / self._relative(_check_digest(digest))

    def _remote_path(self, digest: str) -> str:
        return f"{self._remote_root.rstrip('/')}/{self._relative(digest)}"

    def exists(self, digest: str) -> bool:
        _check_digest(digest)
        if self._local:
            return self.path_for(digest).is_file()
        return bool(self._fs.exists(self._remote_path(digest)))

    def put_bytes(self, data: bytes, name: str = "", media_type: str = "application/octet-stream") -> ArtifactRef:
        digest = hashlib.sha256(data).hexdigest()
        ref = ArtifactRef(digest, len(data), name, media_type)
        if self.exists(digest):
            return ref
        if self._local:
            target = self.path_for(digest)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        else:
            self._fs.pipe(self._remote_path(digest), data)
        return ref

    def put_file(
        self, path: str | os.PathLike[str], name: str = "", media_type: str = "application/octet-stream"
    ) -> ArtifactRef:
        source = Path(path)
        digest = hashlib.sha256()
        size = 0
        with source.open("rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
        ref = ArtifactRef(digest.hexdigest(), size, name or source.name, media_type)
        if self.exists(ref.digest):
            return ref
        if self._local:
            target = self.path_for(ref.digest)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
            os.close(fd)
            try:
                shutil.copyfile(source, tmp)
                self._verify_file(Path(tmp), ref.digest, ref.name)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        else:
            self._fs.put_file(str(source), self._remote_path(ref.digest))
        return ref

    def _verify_file(self, path: Path, digest: str, name: str) -> None:
        actual = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                actual.update(chunk)
        if actual.hexdigest() != digest:
            raise ArtifactIntegrityError(
                _mismatch(name, digest, actual.hexdigest()), details={"artifact": name, "digest": digest}
            )

    def get_bytes(self, digest: str, name: str = "") -> bytes:
        """The artifact's bytes, verified against ``digest``."""
        _check_digest(digest)
        label = name or digest[:12]
        try:
            data = self.path_for(digest).read_bytes() if self._local else self._fs.cat_file(self._remote_path(digest))
        except FileNotFoundError as exc:
            raise NotFound(
                f"Artifact {label} (sha256 {digest[:12]}…) is missing from {self.url}; restore the store from a backup."
            ) from exc
        actual = hashlib.sha256(data).hexdigest()
        if actual != digest:
            raise ArtifactIntegrityError(
                _mismatch(label, digest, actual), details={"artifact": label, "digest": digest}
            )
        return data

    def get_file(self, digest: str, destination: str | os.PathLike[str], name: str = "") -> Path:
        """Copy the artifact to ``destination`` (atomically), verified."""
        target = Path(destination)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = self.get_bytes(digest, name)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target


def _mismatch(name: str, expected: str, actual: str) -> str:
    return (
        f"Artifact {name} failed its integrity check: expected sha256 {expected[:12]}…, found {actual[:12]}…. "
        "The stored file was modified or damaged; restore it from a backup or register the model again."
    )


def open_artifacts(url: str) -> ArtifactStore:
    return ArtifactStore(url)
