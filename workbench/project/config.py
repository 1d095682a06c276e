"""Project discovery and configuration.

A project is the nearest folder upward holding ``workbench.toml``, a
``pyproject.toml`` with a ``[tool.workbench]`` table, or a ``dvc.yaml``. Settings come
from that table (or file) with defaults for everything; ``WORKBENCH_DB_URL`` and
``WORKBENCH_ARTIFACTS`` override the database and artifact locations.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictStr

from workbench.core.errors import ConfigError, NotAProjectError, ValidationError
from workbench.core.shapes import Shape, ShapeError, check, described
from workbench.project.roster import Roster, parse_roster

__all__ = ["Project", "ProjectConfig", "find_project", "load_project"]

STATE_DIR = ".workbench"
AUDIT_HEAD_FILE = "workbench.audit-head"


@dataclass(frozen=True)
class ProjectConfig:
    """The ``[tool.workbench]`` settings, with defaults."""

    db_url: str | None = None
    artifacts: str | None = None
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    require_approved_for_scoring: bool = False
    scheduler_enabled: bool = False
    scheduler_interval_s: float = 30.0
    allowed_folders: tuple[str, ...] = ()
    allowed_protocols: tuple[str, ...] = ()
    roster: Roster = field(default_factory=Roster)
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], source: Path) -> ProjectConfig:
        try:
            shape = check(_Settings, data)
        except ShapeError as exc:
            problem = exc.problem
            if problem.kind == "unknown_key":
                raise ConfigError(f"{source}: unknown [tool.workbench] key {problem.dotted}.{problem.hint}") from None
            raise ConfigError(f"{source}: [tool.workbench] {problem.dotted} {problem.message}") from None
        return cls(
            db_url=shape.db_url,
            artifacts=shape.artifacts,
            roles={role: tuple(users) for role, users in shape.roles.items()},
            require_approved_for_scoring=shape.require_approved_for_scoring,
            scheduler_enabled=shape.scheduler.enabled,
            scheduler_interval_s=shape.scheduler.interval_s,
            allowed_folders=tuple(shape.allowed_folders),
            allowed_protocols=tuple(p.lower() for p in shape.allowed_protocols),
            roster=parse_roster(shape.people, source),
            raw=dict(data),
        )


_Nonblank = Annotated[StrictStr, Field(pattern=r"\S")]


class _Scheduler(Shape):
    enabled: StrictBool = False
    interval_s: Annotated[float, Field(gt=0, strict=True)] = 30.0


class _Settings(Shape):
    """The ``[tool.workbench]`` table; its keys are described where they act (docs/governance.md, docs/scoring.md)."""

    name: StrictStr | None = None
    db_url: StrictStr | None = None
    artifacts: StrictStr | None = None
    roles: Annotated[
        dict[str, list[StrictStr]], described('a table mapping a role to a list of user names, e.g. approver = ["ana"]')
    ] = Field(default_factory=dict)
    require_approved_for_scoring: StrictBool = False
    scheduler: _Scheduler = _Scheduler()
    allowed_folders: Annotated[list[_Nonblank], described('a list of non-empty strings, e.g. ["/mnt/shared/x"]')] = (
        Field(default_factory=list)
    )
    allowed_protocols: Annotated[list[_Nonblank], described('a list of non-empty strings, e.g. ["s3"]')] = Field(
        default_factory=list
    )
    people: dict[str, Any] | None = None  # the roster, checked by workbench.project.roster


@dataclass(frozen=True)
class Project:
    """A located project: its root folder and settings."""

    root: Path
    config: ProjectConfig
    config_file: Path | None = None

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def audit_head_file(self) -> Path:
        return self.root / AUDIT_HEAD_FILE

    @property
    def db_url(self) -> str:
        url = os.environ.get("WORKBENCH_DB_URL") or self.config.db_url
        if url:
            return url
        return f"sqlite:///{self.state_dir / 'workbench.db'}"

    @property
    def artifacts_url(self) -> str:
        location = os.environ.get("WORKBENCH_ARTIFACTS") or self.config.artifacts
        if location:
            if "://" not in location and not Path(location).is_absolute():
                return str(self.root / location)
            return location
        return str(self.state_dir / "artifacts")

    def roles_of(self, user: str) -> tuple[str, ...]:
        return tuple(sorted(role for role, users in self.config.roles.items() if user in users))

    @property
    def allowed_folders(self) -> tuple[Path, ...]:
        """Folders outside the root that paths may name (``allowed_folders``), resolved."""
        return tuple(
            (Path(f).expanduser() if Path(f).expanduser().is_absolute() else self.root / f).resolve()
            for f in self.config.allowed_folders
        )

    def resolve_inside(self, path: str | os.PathLike[str], what: str = "path") -> Path:
        """Resolve ``path`` (relative to the root), through symlinks, and refuse anything outside
        the project and the folders its settings allow (``allowed_folders``).

        This is the local half of :func:`workbench.project.paths.resolve_location`, which every
        path argument that may also be a URL goes through.
        """
        text = os.fspath(path)
        if "\x00" in text:
            raise ValidationError(f"The {what} {text!r} contains a NUL character.")
        candidate = Path(text).expanduser()
        if not candidate.is_absolute():
            candidate = self.root / candidate
        resolved = candidate.resolve()
        root = self.root.resolve()
        for folder in (root, *self.allowed_folders):
            if resolved == folder or folder in resolved.parents:
                return resolved
        extra = (
            f" or the allowed folders ({', '.join(str(f) for f in self.allowed_folders)})"
            if self.config.allowed_folders
            else ""
        )
        raise ValidationError(
            f"The {what} {text!r} is outside the project {root}{extra} (it resolves to {resolved}). Use a path "
            "inside the project, or list the folder under `allowed_folders` in [tool.workbench].",
            details={"path": text, "resolved": str(resolved), "project": str(root)},
        )

    def relative(self, path: Path) -> str:
        resolved = self.resolve_inside(path)
        try:
            return resolved.relative_to(self.root.resolve()).as_posix()
        except ValueError:  # in an allowed folder outside the root
            return resolved.as_posix()


def _read_config(folder: Path) -> tuple[dict[str, Any], Path] | None:
    toml_file = folder / "workbench.toml"
    if toml_file.is_file():
        data = _load_toml(toml_file)
        return (data.get("tool", {}).get("workbench", data) if "tool" in data else data), toml_file
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        data = _load_toml(pyproject)
        section = data.get("tool", {}).get("workbench")
        if section is not None:
            return section, pyproject
    return None


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix the file and retry.") from exc


def find_project(start: str | os.PathLike[str] | None = None) -> Project | None:
    """Walk up from ``start`` (default: the current folder); None if no project is found."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        found = _read_config(folder)
        if found is not None:
            data, source = found
            return Project(folder, ProjectConfig.from_mapping(data, source), source)
        if (folder / "dvc.yaml").is_file() or (folder / STATE_DIR).is_dir():
            return Project(folder, ProjectConfig())
    return None


def load_project(start: str | os.PathLike[str] | None = None) -> Project:
    """Like :func:`find_project` but raises :class:`NotAProjectError` with the fix."""
    project = find_project(start)
    if project is None:
        here = Path(start or os.getcwd()).resolve()
        raise NotAProjectError(
            f"{here} is not inside a workbench project. Run `workbench init` in the project folder, "
            "or cd into a folder that has workbench.toml, [tool.workbench] in pyproject.toml, or dvc.yaml."
        )
    return project
