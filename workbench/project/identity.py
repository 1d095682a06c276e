"""The acting user.

Inside the Jupyter server the server's authenticated user is passed in explicitly
(the server face builds the :class:`Identity`). Everywhere else it is
``WORKBENCH_USER``, then git's ``user.email``, then the OS login.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
from pathlib import Path

from workbench.core.values import Identity
from workbench.project.config import Project

__all__ = ["current_identity", "git_user_email", "server_identity"]


def git_user_email(cwd: Path | None = None) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        result = subprocess.run(
            [git, "config", "user.email"], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    email = result.stdout.strip()
    return email or None


def current_identity(project: Project | None = None) -> Identity:
    """The identity of this process's user, with roles from the project config."""
    name = os.environ.get("WORKBENCH_USER", "").strip()
    source = "env"
    if not name:
        name = git_user_email(project.root if project else None) or ""
        source = "git"
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
        source = "os"
    roles = project.roles_of(name) if project else ()
    return Identity(name=name, source=source, roles=roles)


def server_identity(project: Project, username: str) -> Identity:
    """The identity for a request authenticated by the Jupyter server."""
    return Identity(name=username, source="server", roles=project.roles_of(username))
