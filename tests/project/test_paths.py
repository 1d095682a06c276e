"""The one resolver for path arguments: local paths, local URLs and caching wrappers stay in the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from workbench.core.errors import ConfigError, ValidationError
from workbench.project.config import load_project
from workbench.project.paths import is_url, resolve_location


def project_at(root: Path, settings: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "workbench.toml").write_text(f"[tool.workbench]\n{settings}")
    return root


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("data/x.parquet", "data/x.parquet"),
        ("file://data/x.parquet", "data/x.parquet"),
        ("data/out/", "data/out/"),
        ("simplecache::file://data/x.parquet", "data/x.parquet"),
        ("filecache::local://data/x.parquet", "data/x.parquet"),
    ],
)
def test_local_paths_and_urls_resolve_inside_the_project(tmp_path: Path, given: str, expected: str) -> None:
    project = load_project(project_at(tmp_path / "proj"))
    assert resolve_location(project, given, "input") == str(project.root.resolve() / expected.rstrip("/")) + (
        "/" if expected.endswith("/") else ""
    )


@pytest.mark.parametrize(
    "given",
    [
        "/etc/passwd",
        "../outside.parquet",
        "file:///tmp/x.parquet",
        "local:///tmp/x",
        "simplecache::file:///tmp/x.parquet",
        "blockcache::local:///etc",
        "~/x.parquet",
    ],
)
def test_local_places_outside_the_project_are_refused(tmp_path: Path, given: str) -> None:
    project = load_project(project_at(tmp_path / "proj"))
    with pytest.raises(ValidationError, match="outside the project"):
        resolve_location(project, given, "output")


def test_a_symlink_out_of_the_project_is_followed_and_refused(tmp_path: Path) -> None:
    root = project_at(tmp_path / "proj")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "data").mkdir()
    os.symlink(outside, root / "data" / "link")
    project = load_project(root)
    for given in ("data/link/x.parquet", "file://data/link/", "simplecache::file://data/link/x.parquet"):
        with pytest.raises(ValidationError, match=f"resolves to {outside}"):
            resolve_location(project, given, "input")


@pytest.mark.parametrize(
    "given", ["s3://bucket/x.parquet", "memory://x/y.parquet", "https://example.org/x.parquet", "zip://a::file://b"]
)
def test_remote_protocols_need_the_project_to_allow_them(tmp_path: Path, given: str) -> None:
    project = load_project(project_at(tmp_path / "proj"))
    with pytest.raises(ValidationError, match="allowed_protocols"):
        resolve_location(project, given, "input")


def test_allowed_protocols_and_folders_widen_the_confinement(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    root = project_at(tmp_path / "proj", f'allowed_protocols = ["MEMORY", "s3"]\nallowed_folders = ["{shared}"]\n')
    project = load_project(root)
    assert resolve_location(project, "memory://bucket/x.parquet", "input") == "memory://bucket/x.parquet"
    assert resolve_location(project, "simplecache::s3://bucket/x", "input") == "simplecache::s3://bucket/x"
    assert resolve_location(project, f"local://{shared}/x.parquet", "input") == str(shared.resolve() / "x.parquet")
    with pytest.raises(ValidationError, match="allowed folders"):
        resolve_location(project, str(tmp_path / "other.parquet"), "input")


def test_bad_settings_and_empty_paths_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="allowed_folders must be a list"):
        load_project(project_at(tmp_path / "a", 'allowed_folders = "/tmp"\n'))
    project = load_project(project_at(tmp_path / "b"))
    for given in ("", "  ", "file://", "a\x00b"):
        with pytest.raises(ValidationError):
            resolve_location(project, given, "output")
    assert is_url("simplecache::x") and is_url("s3://b/k") and not is_url("data/x.parquet")
