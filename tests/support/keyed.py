"""A keyed project for tests: people with keys in the roster, the roster and policies adopted."""

from __future__ import annotations

from pathlib import Path

from workbench.governance.adoption import adopt_policy, adopt_roster
from workbench.project.config import load_project
from workbench.project.keys import SigningKey, init_key
from workbench.project.workspace import Workspace

ADMIN = "admin"


def add_people(root: Path, keys: dict[str, SigningKey], roles: dict[str, list[str]]) -> None:
    """Append ``[tool.workbench.people.NAME]`` entries for ``roles``' people to the project's config."""
    config = root / "workbench.toml"
    entries = "".join(
        f'\n[tool.workbench.people."{name}"]\nkey = "{keys[name].public_line}"\nroles = {list(person_roles)!r}\n'
        for name, person_roles in roles.items()
    ).replace("'", '"')
    config.write_text(config.read_text() + entries)


def make_keyed(
    workspace: Workspace,
    key_dir: Path,
    roles: dict[str, list[str]],
    *,
    policies: tuple[str, ...] = ("pipelines/admissions/policy.yaml",),
    extra_keys: tuple[str, ...] = (),
) -> tuple[Workspace, dict[str, SigningKey]]:
    """Give ``roles``' people (plus :data:`ADMIN`, a policy-admin) keys, list them in the roster,
    and adopt the roster and ``policies`` with the admin's key. Returns the reloaded workspace."""
    everyone = {ADMIN: ["policy-admin"], **roles}
    keys = {name: init_key(key_dir / name, comment=name) for name in [*everyone, *extra_keys]}
    add_people(workspace.project.root, keys, everyone)
    keyed = Workspace(load_project(workspace.project.root), workspace.identity)
    adopt_roster(keyed, key=keys[ADMIN])
    for policy in policies:
        adopt_policy(keyed, policy, key=keys[ADMIN])
    return keyed, keys
