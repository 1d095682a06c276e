"""Signed statements: what a person asserts, bound to their key (ECDSA P-256 or ed25519).

A governance act that counts (an approval, a rejection, a promotion, a policy adoption,
a review decision, a chain checkpoint) is a :class:`Statement`: what kind of act, about
which subject, with which claims (the version's artifact digests, the policy hash, the
decision, the comment), by whom and when. Its canonical bytes are the domain tag
``workbench-statement/1`` and a newline, then compact, key-sorted JSON; the signature
is ECDSA P-256 with SHA-256 (DER, the default: the same key signs model artifacts with
OpenSSF model-signing, and browsers verify it with WebCrypto) or ed25519 over those bytes.
Changing any claim, the subject, the signer or the time breaks the signature, so a
statement about one version cannot be replayed for another.

Keys travel as OpenSSH public-key lines (``ecdsa-sha2-nistp256 AAAA... comment`` or
``ssh-ed25519 AAAA...``), the same text an ``allowed_signers`` file or ``~/.ssh/*.pub``
holds; :func:`fingerprint` is OpenSSH's ``SHA256:...`` form. No I/O here: keys are read and stored by
``workbench.project.keys``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import ValidationError

__all__ = [
    "DOMAIN",
    "SignedStatement",
    "Statement",
    "fingerprint",
    "parse_public_key",
    "public_key_line",
    "sign",
    "verify",
]

DOMAIN = b"workbench-statement/1\n"
P256 = "ecdsa-sha2-nistp256"
ED25519 = "ssh-ed25519"
_KEY_TYPES = (P256, ED25519)


@dataclass(frozen=True)
class Statement:
    """An act a person signs. ``claims`` must be JSON values (str, numbers, bools, lists, dicts)."""

    kind: str
    subject: str
    claims: dict[str, Any]
    signer: str
    time: str  # ISO-8601 UTC, as workbench.core.clock.isoformat writes it

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "claims": self.claims,
            "signer": self.signer,
            "time": self.time,
        }

    def canonical(self) -> bytes:
        """The bytes a signature covers."""
        try:
            body = json.dumps(
                self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
            )
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"A {self.kind} statement holds a value that is not plain JSON ({exc}).") from exc
        return DOMAIN + body.encode("utf-8")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Statement:
        try:
            return cls(
                kind=str(data["kind"]),
                subject=str(data["subject"]),
                claims=dict(data["claims"]),
                signer=str(data["signer"]),
                time=str(data["time"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"A signed statement is malformed ({exc!r}).") from None


@dataclass(frozen=True)
class SignedStatement:
    """A statement, its signature (base64) and the fingerprint of the key that made it."""

    statement: Statement
    signature: str
    key: str  # fingerprint, SHA256:...
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"statement": self.statement.to_dict(), "signature": self.signature, "key": self.key}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignedStatement:
        if not isinstance(data, dict) or not isinstance(data.get("statement"), dict):
            raise ValidationError("A signed statement must be an object with `statement`, `signature` and `key`.")
        return cls(Statement.from_dict(data["statement"]), str(data.get("signature", "")), str(data.get("key", "")))


def _blob(line: str) -> bytes:
    parts = line.strip().split()
    if len(parts) < 2 or parts[0] not in _KEY_TYPES:
        raise ValidationError(
            f"{line.strip()[:60]!r} is not a P-256 or ed25519 public key line; expected "
            "`ecdsa-sha2-nistp256 AAAA... [comment]` (the .pub file `workbench keys init` or "
            "`ssh-keygen -t ecdsa -b 256` writes) or `ssh-ed25519 AAAA...`."
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except ValueError:
        raise ValidationError(f"The public key {parts[1][:20]!r}... is not valid base64.") from None
    return blob


def parse_public_key(line: str) -> Any:
    """An OpenSSH P-256 or ed25519 line as a ``cryptography`` public key."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_ssh_public_key

    _blob(line)
    try:
        key = load_ssh_public_key(" ".join(line.strip().split()[:2]).encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValidationError(f"The public key line is not readable ({exc}).") from None
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name != "secp256r1":
        raise ValidationError("Only P-256 (secp256r1) elliptic-curve keys sign workbench statements.")
    if not isinstance(key, (Ed25519PublicKey, ec.EllipticCurvePublicKey)):
        raise ValidationError("Only P-256 and ed25519 keys sign workbench statements.")
    return key


def public_key_line(public_key: Any, comment: str = "") -> str:
    """A ``cryptography`` public key as an OpenSSH line."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    text = public_key.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode("ascii")
    return f"{text} {comment}".strip()


def fingerprint(line: str) -> str:
    """OpenSSH's fingerprint of a public key line: ``SHA256:`` and unpadded base64 of the key blob's hash."""
    digest = hashlib.sha256(_blob(line)).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def _raw_sign(private_key: Any, data: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(data, ec.ECDSA(hashes.SHA256()))
    return private_key.sign(data)


def sign(statement: Statement, private_key: Any, public_line: str) -> SignedStatement:
    """Sign ``statement`` with a P-256 or ed25519 private key whose public half is ``public_line``."""
    signature = _raw_sign(private_key, statement.canonical())
    return SignedStatement(statement, base64.b64encode(signature).decode("ascii"), fingerprint(public_line))


def verify(signed: SignedStatement, public_line: str) -> bool:
    """Whether ``signed`` carries a valid signature by the key ``public_line`` (and names that key)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        if signed.key != fingerprint(public_line):
            return False
        key = parse_public_key(public_line)
        raw = base64.b64decode(signed.signature, validate=True)
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw, signed.statement.canonical(), ec.ECDSA(hashes.SHA256()))
        else:
            key.verify(raw, signed.statement.canonical())
    except (InvalidSignature, ValueError, ValidationError):
        return False
    return True
