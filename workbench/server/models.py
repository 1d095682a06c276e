"""Request and response shapes of the REST API.

They import nothing internal and mirror ``labextension/src/tokens.ts``; a change
here is a change there.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ErrorBody", "HealthResponse"]


@dataclass(frozen=True)
class HealthResponse:
    """``GET /workbench/api/health``. ``project_root`` and ``db_backend`` are None
    outside a project, and ``hint`` then says how to make one."""

    version: str
    user: str
    roles: list[str] = field(default_factory=list)
    project_root: str | None = None
    db_backend: str | None = None
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ErrorBody:
    """Every error answer: ``error`` is the class name (``NotFound``, ``PromotionBlocked``)."""

    error: str
    message: str
    details: Any = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
