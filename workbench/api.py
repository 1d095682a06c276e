"""The kernel API: what ``import workbench as wb`` offers inside a notebook.

Each function is a thin call into a service; the services hold the logic so the
CLI and the server face offer the same behaviour.
"""

from __future__ import annotations

from workbench.core.errors import WorkbenchError
from workbench.core.refs import ModelRef, parse_ref

__all__ = ["ModelRef", "WorkbenchError", "parse_ref"]
