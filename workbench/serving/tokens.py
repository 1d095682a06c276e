"""Bearer tokens for ``workbench serve``: created once, kept only as a hash, revoked at once.

``create_token`` prints nothing: it returns the token, which the CLI shows once; the store
keeps its sha256 (a token is 32 random bytes, so a plain hash is enough: nothing to guess).
The service looks the hash up in the store and keeps a live token for ``ttl_s`` (1 s by
default, :class:`TokenCache`), so a revocation holds within a second in every replica.
Creating and revoking tokens is an operator's act
(:func:`workbench.project.rbac.authorize`, verb ``score-production``) and an audit event.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from workbench.core.clock import utcnow
from workbench.core.errors import Conflict, NotFound, ValidationError
from workbench.project.rbac import authorize
from workbench.project.workspace import Workspace
from workbench.store.schema import serve_tokens

__all__ = [
    "ServeToken",
    "TokenCache",
    "create_token",
    "find_token",
    "list_tokens",
    "revoke_token",
    "token_hash",
]

PREFIX = "wbs_"


@dataclass(frozen=True)
class ServeToken:
    id: str
    name: str
    models: tuple[str, ...]
    created_by: str
    revoked: bool

    def allows(self, model: str) -> bool:
        return "*" in self.models or model in self.models

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "models": list(self.models), "created_by": self.created_by,
                "revoked": self.revoked}  # fmt: skip


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _row(row: Any) -> ServeToken:
    return ServeToken(row.id, row.name, tuple(row.models or ()), row.created_by, row.revoked_at is not None)


def create_token(workspace: Workspace, name: str, models: list[str]) -> tuple[ServeToken, str]:
    """A new token for ``models`` (``*`` for all); returns it with its secret, shown once."""
    if not name or len(name) > 100:
        raise ValidationError("A token needs a name of 1 to 100 characters, such as admissions-portal.")
    if not models:
        raise ValidationError("Name the models the token may decide with (--models admissions), or * for all.")
    acting = workspace.with_identity(authorize(workspace, "score-production").identity)
    secret = PREFIX + secrets.token_urlsafe(32)
    token_id = uuid.uuid4().hex
    with acting.transaction() as tx:
        taken = tx.conn.execute(sa.select(serve_tokens.c.id).where(serve_tokens.c.name == name)).first()
        if taken is not None:
            raise Conflict(f"A token named {name!r} exists; revoke it first or choose another name.")
        tx.conn.execute(
            serve_tokens.insert().values(
                id=token_id,
                name=name,
                token_hash=token_hash(secret),
                models=list(models),
                created_at=utcnow(),
                created_by=acting.actor,
            )
        )
        tx.record("serve.token.create", f"serve-token:{name}", {"id": token_id, "models": list(models)})
    return ServeToken(token_id, name, tuple(models), acting.actor, False), secret


def revoke_token(workspace: Workspace, name: str) -> ServeToken:
    acting = workspace.with_identity(authorize(workspace, "score-production").identity)
    with acting.transaction() as tx:
        row = tx.conn.execute(sa.select(serve_tokens).where(serve_tokens.c.name == name)).first()
        if row is None:
            raise NotFound(f"No token named {name!r}; `workbench serve token list` shows them.")
        tx.conn.execute(serve_tokens.update().where(serve_tokens.c.id == row.id).values(revoked_at=utcnow()))
        tx.record("serve.token.revoke", f"serve-token:{name}", {"id": row.id})
    return ServeToken(row.id, row.name, tuple(row.models or ()), row.created_by, True)


def list_tokens(workspace: Workspace) -> list[ServeToken]:
    with workspace.read() as conn:
        return [_row(r) for r in conn.execute(sa.select(serve_tokens).order_by(serve_tokens.c.created_at))]


def find_token(workspace: Workspace, secret: str) -> ServeToken | None:
    """The live token whose secret this is, or None (unknown or revoked)."""
    with workspace.read() as conn:
        row = conn.execute(
            sa.select(serve_tokens).where(
                serve_tokens.c.token_hash == token_hash(secret), serve_tokens.c.revoked_at.is_(None)
            )
        ).first()
    return None if row is None else _row(row)


class TokenCache:
    """Live tokens by hash for ``ttl_s`` seconds, so a request does not read the store for its token.

    Only live tokens are kept (an unknown or revoked one is looked up every time); an entry
    is dropped when its time is up, so a revocation reaches every replica within ``ttl_s``.
    """

    def __init__(self, workspace: Workspace, ttl_s: float = 1.0, *, size: int = 1024) -> None:
        self.workspace = workspace
        self.ttl_s = ttl_s
        self.size = size
        self._live: dict[str, tuple[float, ServeToken]] = {}
        self._lock = threading.Lock()

    def cached(self, secret: str) -> ServeToken | None:
        """The token if it was found live less than ``ttl_s`` ago; None means: look it up."""
        entry = self._live.get(token_hash(secret))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def find(self, secret: str) -> ServeToken | None:
        """Look the token up in the store (and keep it, when live)."""
        token = find_token(self.workspace, secret)
        if token is not None and self.ttl_s > 0:
            with self._lock:
                if len(self._live) >= self.size:
                    self._live.clear()
                self._live[token_hash(secret)] = (time.monotonic() + self.ttl_s, token)
        return token
