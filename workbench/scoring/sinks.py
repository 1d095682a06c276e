"""Scoring output: staged beside its destination, moved into place only on success.

A job writes to a staging path, ``.<name>.<job id>.tmp`` next to the output (a file,
or a folder of ``part-NNNNN.parquet`` files), and :meth:`OutputTarget.commit` renames
it into place once the whole job succeeded; :meth:`OutputTarget.discard` removes it
when the job failed or was cancelled. On a local disk a file is replaced atomically
(``os.replace``); a folder is swapped with two renames. On object stores (any fsspec
URL) the staged objects are moved, which is as atomic as the store allows. The
staging name is a function of output and job id, so a job whose process died can be
cleaned up by whoever notices.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from workbench.core.errors import Conflict, ValidationError

__all__ = ["OutputTarget", "PartWriter", "open_output", "part_name"]

_LOW_CARDINALITY = ("decision", "route", "model", "job_id")


def part_name(index: int) -> str:
    return f"part-{index:05d}.parquet"


@dataclass(frozen=True)
class OutputTarget:
    """Where a job's output goes: a Parquet file or a folder of parts."""

    location: str
    path: str
    folder: bool
    fs: Any = None  # an fsspec filesystem, or None for the local disk

    @property
    def local(self) -> bool:
        return self.fs is None

    def exists(self) -> bool:
        return os.path.lexists(self.path) if self.fs is None else bool(self.fs.exists(self.path))

    def _sibling(self, job_id: str, suffix: str) -> str:
        parent, name = os.path.split(self.path.rstrip("/")) if self.fs is None else _split(self.path)
        sibling = f".{name}.{job_id}.{suffix}"
        return os.path.join(parent, sibling) if self.fs is None else f"{parent}/{sibling}"

    def staging(self, job_id: str) -> str:
        return self._sibling(job_id, "tmp")

    def part_path(self, staging: str, index: int) -> str:
        return os.path.join(staging, part_name(index)) if self.fs is None else f"{staging}/{part_name(index)}"

    def file_path(self, staging: str) -> str:
        """Where the local engine writes: the staged file, or the one part of a staged folder."""
        return self.part_path(staging, 0) if self.folder else staging

    def check(self, overwrite: bool) -> None:
        """Refuse an existing output unless ``overwrite``; refuse replacing a folder with a file and vice versa."""
        if not self.exists():
            return
        if not overwrite:
            raise Conflict(
                f"The output {self.location} exists already. Pass --overwrite (overwrite=True) to replace it "
                "when the job succeeds, or choose another path."
            )
        is_dir = os.path.isdir(self.path) if self.fs is None else bool(self.fs.isdir(self.path))
        if is_dir != self.folder:
            have, want = ("a folder", "a file") if is_dir else ("a file", "a folder")
            raise ValidationError(
                f"The output {self.location} is {have}, and this job writes {want}; remove it or choose another path."
            )

    def prepare(self, staging: str) -> None:
        """Create the output's parent folder and the staging folder (for folder outputs)."""
        if self.fs is None:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            if self.folder:
                os.makedirs(staging, exist_ok=True)
        else:
            self.fs.makedirs(_split(self.path)[0], exist_ok=True)
            if self.folder:
                self.fs.makedirs(staging, exist_ok=True)

    def writer(self, path: str, compression: str) -> PartWriter:
        return PartWriter(path, compression, self.fs)

    def commit(self, staging: str, job_id: str, overwrite: bool) -> None:
        """Move the staged output into place (replacing an existing one only with ``overwrite``)."""
        if self.exists() and not overwrite:
            raise Conflict(f"The output {self.location} appeared while the job ran; the result stays unwritten.")
        if self.fs is not None:
            if self.exists():
                self.fs.rm(self.path, recursive=True)
            self.fs.mv(staging, self.path, recursive=self.folder)
            return
        if not self.folder:
            os.replace(staging, self.path)
            return
        old = self._sibling(job_id, "old")
        if os.path.lexists(self.path):
            os.replace(self.path, old)
        os.replace(staging, self.path)
        shutil.rmtree(old, ignore_errors=True)

    def discard(self, staging: str) -> None:
        """Remove a staged output; silent when there is none."""
        with contextlib.suppress(FileNotFoundError, OSError):
            if self.fs is not None:
                if self.fs.exists(staging):
                    self.fs.rm(staging, recursive=True)
            elif os.path.isdir(staging):
                shutil.rmtree(staging, ignore_errors=True)
            else:
                os.unlink(staging)


class PartWriter:
    """Writes tables to one Parquet file, opened on the first table, with that table's schema.

    Later tables are cast to the first schema (a batch whose key column is all null
    reads back as another type). Low-cardinality text columns are dictionary-encoded;
    keys and numbers are not (a dictionary attempt on unique keys costs time and saves
    nothing).
    """

    def __init__(self, path: str, compression: str, fs: Any = None) -> None:
        self.fs = fs
        self.path = path
        self.compression = None if compression == "none" else compression
        self.schema: Any = None
        self.rows = 0
        self._writer: Any = None
        self._sink: Any = None

    def write(self, table: Any) -> None:
        import pyarrow.parquet as pq

        if self._writer is None:
            self.schema = table.schema
            dictionary = [
                n
                for n in table.schema.names
                if n in _LOW_CARDINALITY or (n.startswith("reason_") and "_value" not in n)
            ]
            self._sink = self.path if self.fs is None else self.fs.open(self.path, "wb")
            self._writer = pq.ParquetWriter(
                self._sink,
                table.schema,
                compression=self.compression,
                use_dictionary=dictionary,
                store_schema=False,
            )
            # The Arrow schema readers restore types from (a key's time zone, durations, ...),
            # with the scorer's dictionary arrays declared as the plain text they are: readers see
            # strings, and the file still stores them dictionary-encoded.
            self._writer.add_key_value_metadata({"ARROW:schema": _stored_schema(table.schema)})
        elif not table.schema.equals(self.schema):
            table = table.cast(self.schema)
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._sink is not None and not isinstance(self._sink, str):
            self._sink.close()
        self._sink = None


def _stored_schema(schema: Any) -> str:
    """``schema`` with dictionary fields as their value type, serialized as pyarrow stores it."""
    import base64

    import pyarrow as pa

    plain = pa.schema(
        [f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in schema],
        metadata=schema.metadata,
    )
    return base64.b64encode(plain.serialize().to_pybytes()).decode("ascii")


def _split(path: str) -> tuple[str, str]:
    pure = PurePosixPath(path.rstrip("/"))
    return str(pure.parent), pure.name


def open_output(location: str | os.PathLike[str], *, folder: bool | None = None) -> OutputTarget:
    """An output target. ``folder`` None decides from the path: a ``.parquet`` name is a file,
    a trailing ``/``, an existing folder or a name without that suffix is a folder of parts."""
    text = os.fspath(location)
    if "://" in text and not text.startswith("file://"):
        import fsspec

        try:
            fs, path = fsspec.core.url_to_fs(text)
        except (ImportError, ValueError) as exc:
            raise ValidationError(f"Cannot open {text} ({exc}). Install the fsspec backend for its scheme.") from exc
    else:
        fs, path = None, text.removeprefix("file://")
    name = _split(path)[1]
    if not name:
        raise ValidationError(f"{text} names no file or folder to write.")
    if folder is None:
        is_dir = os.path.isdir(path) if fs is None else bool(fs.exists(path) and fs.isdir(path))
        folder = text.endswith("/") or is_dir or PurePosixPath(name).suffix.lower() not in (".parquet", ".pq")
    return OutputTarget(text, path.rstrip("/") or path, folder, fs)
