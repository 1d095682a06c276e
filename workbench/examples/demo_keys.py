"""Throw-away signing keys for the admissions demo (marked ``demo = true`` in the roster).

The demo's roster in ``pyproject.toml`` lists two reviewers whose keys are derived from
their names, so the public keys can be committed and ``make demo-approve`` can recreate the
private halves on any machine, in a folder outside the project. Anyone can derive them:
they prove nothing beyond the demo. A real team lists its members' own keys instead
(``workbench keys init``; see docs/governance.md).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from workbench.project.keys import KEY_FILE, SigningKey, load_signing_key

__all__ = ["DEMO_PEOPLE", "demo_key", "demo_key_folder", "demo_public_line"]

DEMO_PEOPLE = ("reviewer-a", "reviewer-b")
_SEED = b"workbench admissions demo key, not a secret\n"


def _private(name: str):  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(_SEED + name.encode("utf-8")).digest())


def demo_public_line(name: str) -> str:
    """The roster line of ``name``'s demo key."""
    from workbench.core.statements import public_key_line

    return public_key_line(_private(name).public_key(), f"{name} (demo)")


def demo_key_folder(project_root: Path) -> Path:
    """A folder outside the project for its demo keys (one per project path)."""
    tag = hashlib.sha256(str(project_root.resolve()).encode("utf-8")).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"workbench-demo-keys-{tag}"


def demo_key(name: str, project_root: Path) -> SigningKey:
    """``name``'s demo key, written (mode 0600) to :func:`demo_key_folder` and loaded from there."""
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    folder = demo_key_folder(project_root) / name
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / KEY_FILE
    if not path.exists():
        pem = _private(name).private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        path.with_name(f"{KEY_FILE}.pub").write_text(demo_public_line(name) + "\n", encoding="utf-8")
    return load_signing_key(project_root, path)
