"""Content-addressed artifact storage (local folder or any fsspec URL)."""

from workbench.artifacts.store import ArtifactRef, ArtifactStore, open_artifacts

__all__ = ["ArtifactRef", "ArtifactStore", "open_artifacts"]
