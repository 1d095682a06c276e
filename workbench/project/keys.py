"""A person's signing key: created, found and loaded outside the project.

``workbench keys init`` writes an ECDSA P-256 key pair to the user's own config folder
(``$WORKBENCH_KEY_DIR``, else ``$XDG_CONFIG_HOME/workbench/keys``, else
``~/.config/workbench/keys``): ``id_ecdsa`` (PKCS#8 PEM, mode 0600) and ``id_ecdsa.pub``
(an OpenSSH line for the roster). P-256 because one key then signs both the statements
(approvals, adoptions, checkpoints) and the model artifacts (OpenSSF model-signing reads
PEM P-256 keys, not OpenSSH ed25519 ones), and a browser verifies it with WebCrypto.
``--type ed25519`` makes an ed25519 key instead (statements only).

``WORKBENCH_KEY`` names another private key file: PEM, or an unencrypted OpenSSH key
(``ssh-keygen -t ecdsa -b 256 -N ''`` or ``-t ed25519``). A key inside a project folder is
refused: a key committed or shared with the project would let anyone with the checkout
sign as its owner.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError, ValidationError
from workbench.core.statements import SignedStatement, Statement, fingerprint, public_key_line, sign

__all__ = ["KEY_FILE", "KEY_FILES", "SigningKey", "default_key_dir", "init_key", "load_signing_key", "write_private"]

KEY_FILE = "id_ecdsa"
KEY_FILES = {"p256": KEY_FILE, "ed25519": "id_ed25519"}


def default_key_dir() -> Path:
    """Where ``workbench keys init`` keeps the user's key."""
    explicit = os.environ.get("WORKBENCH_KEY_DIR")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "workbench" / "keys"


@dataclass(frozen=True)
class SigningKey:
    """A loaded private key, its OpenSSH public line and where it came from."""

    path: Path
    public_line: str
    _private: Any

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_line)

    @property
    def is_p256(self) -> bool:
        from cryptography.hazmat.primitives.asymmetric import ec

        return isinstance(self._private, ec.EllipticCurvePrivateKey)

    def sign(self, statement: Statement) -> SignedStatement:
        return sign(statement, self._private, self.public_line)

    def public_pem(self) -> bytes:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        return self._private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)

    @contextlib.contextmanager
    def pem_file(self) -> Iterator[Path]:
        """The private key as a PKCS#8 PEM file, for tools that read only that (model-signing): the key's
        own file when it is one, else a copy in a private temporary folder, removed afterwards."""
        if self.path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----"):
            yield self.path
            return
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

        with tempfile.TemporaryDirectory(prefix="workbench-key-") as folder:
            path = Path(folder) / "key.pem"
            write_private(path, self._private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
            yield path


def write_private(path: Path, data: bytes) -> None:
    """Write private key bytes atomically with mode 0600 from the start."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _refuse_inside_project(path: Path, project_root: Path | None) -> None:
    if project_root is None:
        return
    resolved, root = path.resolve(), project_root.resolve()
    if resolved == root or root in resolved.parents:
        raise ConfigError(
            f"The signing key {path} is inside the project {root}; a key there travels with the project and lets "
            "anyone holding a copy sign as you. Move it to your own config folder (`workbench keys init` uses "
            f"{default_key_dir()}) and set WORKBENCH_KEY if it lives elsewhere."
        )


def init_key(
    folder: Path | None = None,
    *,
    comment: str = "",
    force: bool = False,
    project_root: Path | None = None,
    key_type: str = "p256",
) -> SigningKey:
    """Create a key pair in ``folder`` (default :func:`default_key_dir`); refuses to replace one."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    if key_type not in KEY_FILES:
        raise ValidationError(f"Unknown key type {key_type!r}; use p256 (the default) or ed25519.")
    folder = Path(folder) if folder is not None else default_key_dir()
    path = folder / KEY_FILES[key_type]
    _refuse_inside_project(path, project_root)
    if path.exists() and not force:
        raise ValidationError(
            f"A key exists already at {path}. Keep it (its public key is {path}.pub), or pass --force to replace "
            "it: statements signed with the old key stay valid only while the roster lists it."
        )
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, stat.S_IRWXU)
    if key_type == "p256":
        private: Any = ec.generate_private_key(ec.SECP256R1())
        data = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    else:
        private = Ed25519PrivateKey.generate()
        data = private.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    line = public_key_line(private.public_key(), comment)
    write_private(path, data)
    path.with_name(f"{path.name}.pub").write_text(line + "\n", encoding="utf-8")
    return SigningKey(path, line, private)


def _default_path() -> Path:
    explicit = os.environ.get("WORKBENCH_KEY")
    if explicit:
        return Path(explicit).expanduser()
    folder = default_key_dir()
    return next((folder / name for name in KEY_FILES.values() if (folder / name).is_file()), folder / KEY_FILE)


def _load_private(path: Path) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_ssh_private_key

    data = path.read_bytes()
    private: PrivateKeyTypes
    try:
        if b"OPENSSH PRIVATE KEY" in data[:64]:
            private = load_ssh_private_key(data, password=None)
        else:
            private = load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{path} is not an unencrypted private key ({exc}). Use `workbench keys init`, or a key made with "
            "`ssh-keygen -t ecdsa -b 256 -N ''`."
        ) from None
    if isinstance(private, ec.EllipticCurvePrivateKey) and private.curve.name == "secp256r1":
        return private
    if isinstance(private, Ed25519PrivateKey):
        return private
    raise ConfigError(f"{path} is neither a P-256 nor an ed25519 key; workbench signs with those only.")


def load_signing_key(project_root: Path | None = None, path: str | os.PathLike[str] | None = None) -> SigningKey:
    """The acting user's key: ``path``, else ``WORKBENCH_KEY``, else the default key file."""
    chosen = Path(path).expanduser() if path else _default_path()
    if not chosen.is_file():
        raise ConfigError(
            f"No signing key at {chosen}. Create one with `workbench keys init` and ask a policy admin to add its "
            "public key to the roster, or set WORKBENCH_KEY to your private key file."
        )
    _refuse_inside_project(chosen, project_root)
    mode = chosen.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"The signing key {chosen} is readable by others (mode {oct(mode & 0o777)}); run chmod 600 {chosen}."
        )
    private = _load_private(chosen)
    public_file = chosen.with_name(chosen.name + ".pub")
    comment = ""
    if public_file.is_file():
        parts = public_file.read_text(encoding="utf-8").split(maxsplit=2)
        comment = parts[2].strip() if len(parts) > 2 else ""
    return SigningKey(chosen, public_key_line(private.public_key(), comment), private)
