"""Response shapes that belong to the REST API itself (request bodies: requests.py).

They import nothing internal and mirror ``workbench/server/openapi.yaml`` (which the
labextension's TypeScript types are generated from); a change here is a change there
(``tests/server/test_openapi.py`` keeps them in step). Service values
(model versions, runs, audit events ...) travel as their own ``to_dict()``;
the OpenAPI file describes those too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "ErrorBody",
    "HealthResponse",
    "LaunchInfo",
    "LogResponse",
    "ReportResponse",
    "RunStarted",
]


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
    identity_source: str | None = None
    scheduler: bool = False

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


@dataclass(frozen=True)
class RunStarted:
    """``202``: a long operation started in a child process; poll ``id`` for its progress."""

    id: str
    kind: str
    stage: str | None
    pid: int
    started_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LaunchInfo:
    """A child process this server started (a run), until and after its record exists.

    ``recorded`` turns true once the run is on record (then follow it as a run);
    a launch that is no longer ``running`` and never ``recorded`` died first, and
    ``log_tail`` says why.
    """

    id: str
    kind: str
    pid: int
    started_at: str
    running: bool
    returncode: int | None
    cancel_requested: bool
    recorded: bool
    log_tail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReportResponse:
    """Where an audit report was written; ``lab_path`` opens it in JupyterLab (None outside root_dir)."""

    ref: str
    path: str
    lab_path: str | None
    download_url: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LogResponse:
    """The end of a run's or job's log; ``truncated`` when older lines were left out."""

    id: str
    text: str
    truncated: bool
    path: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
