"""A person's signing key: created, found and loaded outside the project.

``workbench keys init`` writes an ed25519 key pair in OpenSSH format to the user's
own config folder (``$WORKBENCH_KEY_DIR``, else ``$XDG_CONFIG_HOME/workbench/keys``,
else ``~/.config/workbench/keys``): ``id_ed25519`` (mode 0600) and ``id_ed25519.pub``.
``WORKBENCH_KEY`` names another private key file (an existing ``ssh-keygen -t ed25519``
key without a passphrase works too). A key inside a project folder is refused: a key
committed or shared with the project would let anyone with the checkout sign as its
owner.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import ConfigError, ValidationError
from workbench.core.statements import SignedStatement, Statement, fingerprint, public_key_line, sign

__all__ = ["SigningKey", "default_key_dir", "init_key", "load_signing_key"]

KEY_FILE = "id_ed25519"


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

    def sign(self, statement: Statement) -> SignedStatement:
        return sign(statement, self._private, self.public_line)


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
    folder: Path | None = None, *, comment: str = "", force: bool = False, project_root: Path | None = None
) -> SigningKey:
    """Create an ed25519 key pair in ``folder`` (default :func:`default_key_dir`); refuses to replace one."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    folder = Path(folder) if folder is not None else default_key_dir()
    path = folder / KEY_FILE
    _refuse_inside_project(path, project_root)
    if path.exists() and not force:
        raise ValidationError(
            f"A key exists already at {path}. Keep it (its public key is {path}.pub), or pass --force to replace "
            "it: statements signed with the old key stay valid only while the roster lists it."
        )
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, stat.S_IRWXU)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption())
    line = public_key_line(private.public_key(), comment)
    temporary = path.with_name(f".{KEY_FILE}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    os.replace(temporary, path)
    path.with_name(f"{KEY_FILE}.pub").write_text(line + "\n", encoding="utf-8")
    return SigningKey(path, line, private)


def load_signing_key(project_root: Path | None = None, path: str | os.PathLike[str] | None = None) -> SigningKey:
    """The acting user's key: ``path``, else ``WORKBENCH_KEY``, else the default key file."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_ssh_private_key

    chosen = Path(path or os.environ.get("WORKBENCH_KEY") or default_key_dir() / KEY_FILE).expanduser()
    if not chosen.is_file():
        raise ConfigError(
            f"No signing key at {chosen}. Create one with `workbench keys init` and ask a policy admin to add its "
            "public key to the roster, or set WORKBENCH_KEY to your ed25519 private key file."
        )
    _refuse_inside_project(chosen, project_root)
    mode = chosen.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"The signing key {chosen} is readable by others (mode {oct(mode & 0o777)}); run chmod 600 {chosen}."
        )
    try:
        private = load_ssh_private_key(chosen.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{chosen} is not an unencrypted OpenSSH private key ({exc}). Use `workbench keys init`, or an ed25519 "
            "key made with `ssh-keygen -t ed25519 -N ''`."
        ) from None
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigError(f"{chosen} is not an ed25519 key; workbench signs with ed25519 only.")
    public_file = chosen.with_name(chosen.name + ".pub")
    comment = ""
    if public_file.is_file():
        parts = public_file.read_text(encoding="utf-8").split(maxsplit=2)
        comment = parts[2].strip() if len(parts) > 2 else ""
    return SigningKey(chosen, public_key_line(private.public_key(), comment), private)
