"""The decision log's rows for one scored batch.

Every scoring job keeps a copy of what it decided, apart from the user's output (which is
theirs to move or delete): the job service stores it in the artifact store, content-addressed,
and records it with the job (:mod:`workbench.jobs.decision_log`). Audits and monitoring read
it; the output file is never read back.

Columns, in order: the contract's key columns, ``row`` (the input row index), ``score``,
``decision``, ``route``, ``rule`` (the rule that fired, null when none), the reason columns
when the job explained (``reason_1``, ``reason_1_value``, ...), ``model``,
``model_version``, ``job_id``, then the monitored columns (the version's sensitive
attributes and ``register(monitor=...)`` columns that the input has, keys excluded), each
under its own name, or ``input.<name>`` where the name is one of the log's own.

The table reuses the output's Arrow arrays (keys, score, the dictionary-encoded text
columns); only ``row``, ``rule`` and the monitored columns are new buffers, so building
it costs little next to writing it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["LOG_COLUMNS", "log_table", "monitored_name"]

#: The log's own columns besides keys, reasons and monitored columns.
LOG_COLUMNS = ("row", "score", "decision", "route", "rule", "model", "model_version", "job_id")


def monitored_name(column: str) -> str:
    """The name a monitored input column has in the log."""
    return f"input.{column}" if column in LOG_COLUMNS else column


def _rule_array(codes: np.ndarray, names: tuple[str, ...]) -> Any:
    import pyarrow as pa

    fired = codes >= 0
    indices = pa.array(np.where(fired, codes, 0).astype(np.int32), mask=~fired)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(names), type=pa.string()))


def log_table(
    output: Any,
    *,
    keys: list[str],
    keep: list[str],
    rule_codes: np.ndarray,
    rule_names: tuple[str, ...],
    first_row: int,
    monitored: Any = None,
) -> Any:
    """The log rows of one batch from its output table (see :mod:`workbench.scoring.batch`).

    ``monitored`` is a record batch of the monitored columns in the input's own types, or None.
    """
    import pyarrow as pa

    rows = output.num_rows
    names: list[str] = []
    arrays: list[Any] = []
    for name in output.column_names:
        if name in keep and name not in keys:
            continue
        if name == "score":
            names.append("row")
            arrays.append(pa.array(np.arange(first_row, first_row + rows, dtype=np.int64)))
        names.append(name)
        arrays.append(output.column(name))
        if name == "route":
            names.append("rule")
            arrays.append(_rule_array(rule_codes, rule_names))
    if monitored is not None:
        for name, column in zip(monitored.schema.names, monitored.columns, strict=True):
            if name in keys:
                continue
            names.append(monitored_name(name))
            arrays.append(column)
    return pa.Table.from_arrays(arrays, names=names)
