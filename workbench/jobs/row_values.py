"""The input row behind a review item: what the reviewer weighs beside the reasons.

The job's input is read again at the item's row index (one row, the columns the
model's contract names: keys, features and monitored columns, plus the columns the
governing policy marks reviewer-visible, ``review: {visible: [...]}``), so the review
queue stores no copy of applicants' data. An input that moved or changed since the job is
said so rather than shown wrong: the row's key must still match the item's.
"""

from __future__ import annotations

import json
import math
from typing import Any

from workbench.core.errors import Conflict, NotFound, WorkbenchError
from workbench.jobs.listing import get_job
from workbench.jobs.review_queue import get_review_item
from workbench.project.workspace import Workspace
from workbench.registry.versions import get_version

__all__ = ["review_row"]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def _reviewer_visible(workspace: Workspace, model: str) -> tuple[str, ...]:
    from workbench.governance.adoption import governing_policy

    try:
        with workspace.read() as conn:
            return governing_policy(conn, workspace.project, model).reviewer_visible
    except WorkbenchError:  # no policy governs it: the contract's columns only
        return ()


def review_row(workspace: Workspace, item_id: int) -> dict[str, Any]:
    """``{"item", "row_index", "keys", "features", "other"}``: the item's input row by column role."""
    import pyarrow.dataset as ds

    item = get_review_item(workspace, item_id)
    if item.row_index is None:
        raise NotFound(f"Review item {item_id} records no row index, so its input row cannot be found.")
    job = get_job(workspace, item.job_id)
    version = get_version(workspace, job.ref)
    contract = dict(version.contract)
    keys = [str(k) for k in contract.get("keys") or []]
    features = [str(f) for f in contract.get("features") or []]
    monitored = [str(c) for c in dict(version.lineage).get("monitor") or []]
    monitored += [c for c in _reviewer_visible(workspace, version.name) if c not in monitored]
    path = workspace.project.resolve_inside(job.input, "job input")
    if not path.exists():
        raise NotFound(f"The input of job {job.id[:12]} ({job.input}) is gone; its rows cannot be shown.")
    dataset = ds.dataset(str(path), format="parquet")
    present = set(dataset.schema.names)
    wanted = [c for c in dict.fromkeys([*keys, *features, *monitored]) if c in present]
    if item.row_index >= dataset.count_rows():
        raise Conflict(f"The input of job {job.id[:12]} has changed since it was scored: row {item.row_index} is gone.")
    row = {k: _plain(v[0]) for k, v in dataset.take([item.row_index], columns=wanted).to_pydict().items()}
    if keys:
        key = row[keys[0]] if len(keys) == 1 else json.dumps({k: row.get(k) for k in keys})
        if str(key) != item.row_key and not (len(keys) > 1 and json.loads(str(key)) == json.loads(item.row_key)):
            raise Conflict(
                f"The input of job {job.id[:12]} has changed since it was scored: row {item.row_index} now holds "
                f"{key!r}, not {item.row_key!r}."
            )
    return {
        "item": item.id,
        "row_index": item.row_index,
        "keys": {k: row[k] for k in keys if k in row},
        "features": {f: row[f] for f in features if f in row},
        "other": {c: row[c] for c in monitored if c in row and c not in features},
    }
