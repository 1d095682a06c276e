"""Throw-away signing keys for the admissions demo (marked ``demo = true`` in the roster).

The demo's roster in ``pyproject.toml`` lists an analyst (author, policy admin, operator) and
two reviewers whose P-256 keys are derived from their names, so the public keys can be
committed and ``make demo`` / ``make demo-approve`` can recreate the private halves on any
machine, in a throw-away folder outside the project. Anyone can derive them: they prove
nothing beyond the demo. A real team lists its members' own keys instead (``workbench keys
init``; see docs/governance.md).

``python -m workbench.examples.demo_keys NAME`` prints the path of NAME's key file (written
if missing), for ``WORKBENCH_KEY=$(...)`` in the Makefile.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path
from typing import Any

from workbench.project.keys import KEY_FILE, SigningKey, load_signing_key, write_private

__all__ = ["DEMO_AUTHOR", "DEMO_PEOPLE", "demo_key", "demo_key_folder", "demo_public_line"]

DEMO_AUTHOR = "analyst"
DEMO_PEOPLE = ("reviewer-a", "reviewer-b")
_SEED = b"workbench admissions demo key, not a secret\n"


def _private(name: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    # secp256r1's group order; the derived scalar lies in [1, n-1]
    order = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    scalar = int.from_bytes(hashlib.sha256(_SEED + name.encode("utf-8")).digest(), "big") % (order - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


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
        write_private(path, _private(name).private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        path.with_name(f"{KEY_FILE}.pub").write_text(demo_public_line(name) + "\n", encoding="utf-8")
    return load_signing_key(project_root, path)


if __name__ == "__main__":  # pragma: no cover - used by the Makefile
    print(demo_key(sys.argv[1], Path.cwd()).path)
