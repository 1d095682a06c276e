"""The project: discovery, configuration, initialisation and the acting identity.

This sits in the storage layer: it reads the file system and git, never the
database. Every service takes a :class:`Project` rather than a path.
"""

from workbench.project.config import Project, ProjectConfig, find_project, load_project

__all__ = ["Project", "ProjectConfig", "find_project", "load_project"]
