"""The one exception tree of workbench.

Every error that workbench raises on purpose derives from :class:`WorkbenchError`.
Messages say what happened and what to do next. Faces map the classes to exit
codes (CLI) and HTTP statuses (server) through the ``exit_code`` and ``http_status``
class attributes, so no face needs a table of its own.

::

    WorkbenchError
    ├── ConfigError                 bad or missing configuration (400)
    │   └── NotAProjectError        no workbench project above the current folder
    ├── InvalidReference            a model reference that does not parse (400)
    ├── ValidationError             bad user input of any other kind (400)
    │   ├── ContractViolation       data does not satisfy a model's input contract
    │   ├── PolicyError             a policy file that does not validate
    │   └── ParameterError          a notebook parameter of the wrong name or type
    ├── NotFound                    a model, version, run, job or item that does not exist (404)
    ├── Conflict                    the thing exists already or changed underneath (409)
    ├── PermissionDenied            the acting user may not do this (403)
    │   └── PromotionBlocked        the promotion gate refused, with every unmet condition
    ├── StoreError                  the metadata database cannot be used (409)
    │   ├── DatabaseUnavailable     the database cannot be reached or is locked
    │   └── DatabaseCorrupt         the file is not a workbench database
    ├── ArtifactIntegrityError      an artifact's bytes do not match its digest
    ├── AuditChainBroken            the audit log's hash chain does not verify
    ├── NotebookError               a notebook that cannot be promoted or failed to run
    ├── JobError                    a scoring job that failed
    └── DeviceUnavailable           a requested compute device is not present
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "ArtifactIntegrityError",
    "AuditChainBroken",
    "ConfigError",
    "Conflict",
    "ContractViolation",
    "DatabaseCorrupt",
    "DatabaseUnavailable",
    "DeviceUnavailable",
    "InvalidReference",
    "JobError",
    "NotAProjectError",
    "NotFound",
    "NotebookError",
    "ParameterError",
    "PermissionDenied",
    "PolicyError",
    "PromotionBlocked",
    "StoreError",
    "ValidationError",
    "WorkbenchError",
]


class WorkbenchError(Exception):
    """Root of every error workbench raises on purpose.

    ``details`` carries structured data (offending columns, unmet conditions) that
    the server returns as JSON and the CLI prints as a list.
    """

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": self.message, "details": self.details}


class ConfigError(WorkbenchError):
    exit_code = 2


class NotAProjectError(ConfigError):
    exit_code = 2


class InvalidReference(WorkbenchError):
    exit_code = 2


class ValidationError(WorkbenchError):
    exit_code = 2


class ContractViolation(ValidationError):
    exit_code = 3


class PolicyError(ValidationError):
    exit_code = 2


class ParameterError(ValidationError):
    exit_code = 2


class NotFound(WorkbenchError):
    exit_code = 4
    http_status = 404


class Conflict(WorkbenchError):
    exit_code = 5
    http_status = 409


class PermissionDenied(WorkbenchError):
    exit_code = 6
    http_status = 403


class PromotionBlocked(PermissionDenied):
    exit_code = 7
    http_status = 409


class StoreError(WorkbenchError):
    exit_code = 8
    # The server answers only 400/403/404/409; an unusable database is a conflict
    # with the server's state, not a fault of the request.
    http_status = 409


class DatabaseUnavailable(StoreError):
    pass


class DatabaseCorrupt(StoreError):
    pass


class ArtifactIntegrityError(WorkbenchError):
    exit_code = 9
    http_status = 409


class AuditChainBroken(WorkbenchError):
    exit_code = 10
    http_status = 409


class NotebookError(WorkbenchError):
    exit_code = 11


class JobError(WorkbenchError):
    exit_code = 12
    http_status = 409


class DeviceUnavailable(WorkbenchError):
    exit_code = 13
