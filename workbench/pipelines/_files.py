"""File helpers for the pipeline service: atomic writes and all-or-nothing edits.

A promotion edits several files (``params.yaml``, ``dvc.yaml``, ``.gitignore``
files that DVC maintains); :class:`FileSnapshot` remembers them first so a failure
restores every one and nothing is left half-written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from workbench.store.files import atomic_write_text

__all__ = ["FileSnapshot", "atomic_write_text", "move_into_place"]


def move_into_place(source: Path, target: Path) -> None:
    """Move ``source`` to ``target`` atomically: a rename, or a copy beside the target then a rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(source, target)
        return
    except OSError:
        pass  # another file system: copy next to the target, then rename there
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    source.unlink(missing_ok=True)


class FileSnapshot:
    """The bytes of some files (or their absence) and folders, to put back on failure."""

    def __init__(self, files: Iterable[Path], folders: Iterable[Path] = ()) -> None:
        self._files = {path: path.read_bytes() if path.is_file() else None for path in dict.fromkeys(files)}
        self._missing_folders = [folder for folder in dict.fromkeys(folders) if not folder.exists()]

    def restore(self) -> None:
        for path, content in self._files.items():
            with contextlib.suppress(OSError):
                if content is None:
                    path.unlink(missing_ok=True)
                else:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(content)
        # Deepest first, and only when empty: never remove what someone else put there.
        for folder in sorted(self._missing_folders, key=lambda item: len(item.parts), reverse=True):
            with contextlib.suppress(OSError):
                folder.rmdir()
