"""Printing helpers shared by the commands: JSON and aligned tables."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from workbench.store.files import atomic_write_text

__all__ = ["print_json", "print_table", "write_json_atomic"]


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, default=_default, sort_keys=False)
    sys.stdout.write("\n")


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], empty: str = "(none)") -> None:
    if not rows:
        print(empty)
        return
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))


def write_json_atomic(path: Path, value: Any) -> None:
    """Write JSON to ``path`` via a temporary file renamed into place."""
    atomic_write_text(path, json.dumps(value, indent=2, default=_default, sort_keys=True) + "\n")
