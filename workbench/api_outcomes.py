"""``wb.outcomes``: the kernel API's face of ground truth (docs/monitoring.md).

Thin calls into :mod:`workbench.postmarket`, with the project found from the notebook's
folder, as in :mod:`workbench.api`. Nothing heavy is imported until a function runs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import polars as pl

    from workbench.postmarket.outcomes import OutcomesAdded

__all__ = ["add", "current"]


def _workspace() -> Any:
    from workbench.project.workspace import open_workspace

    return open_workspace()


def add(
    model: str,
    data: str | os.PathLike[str] | pl.DataFrame,
    *,
    key: str | Sequence[str],
    label: str,
    observed_at: str | None = None,
) -> OutcomesAdded:
    """Record outcomes for ``model``'s decisions from a Parquet/CSV file or a polars frame.

    Same key and label again is a no-op; a changed label is a new, audited revision; keys
    that match no decision are reported in the result (``unmatched``, ``unmatched_keys``).
    """
    from workbench.postmarket.outcomes import add_outcomes

    source = data if not isinstance(data, (str, os.PathLike)) else os.path.abspath(data)
    keys = [key] if isinstance(key, str) else list(key)
    return add_outcomes(_workspace(), model, source, keys=keys, label=label, observed_at=observed_at)


def current(model: str) -> pl.DataFrame:
    """The model's outcomes as they stand: ``row_key``, ``label``, ``observed_at``, ``revision``."""
    from workbench.postmarket.decisions import current_outcomes

    return current_outcomes(_workspace(), model)
