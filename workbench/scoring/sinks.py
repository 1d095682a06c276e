"""Scoring output: staged beside its destination, moved into place only on success.

A job writes to a staging path, ``.<name>.<job id>.tmp`` next to the output (a file,
or a folder of ``part-NNNNN.parquet`` files), and :meth:`OutputTarget.commit` renames
it into place once the whole job succeeded; :meth:`OutputTarget.discard` removes it
when the job failed or was cancelled. On a local disk a file is replaced atomically
(``os.replace``); a folder is swapped with two renames. On object stores (any fsspec
URL) the staged objects are moved, which is as atomic as the store allows. The
staging name is a function of output and job id, so a job whose process died can be
cleaned up by whoever notices.

Every output says which job wrote it, so ``--overwrite`` can tell a previous scoring
output from anything else (``workbench.jobs.outputs`` decides): a file carries the job
id in its Parquet footer (``workbench.job_id``); a folder has a manifest beside it,
``.<folder>.workbench-output.json``, naming the job and the parts it wrote (beside,
not inside: polars refuses a folder that mixes Parquet with other files). Replacing a
folder removes only the files its manifest lists.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from workbench.core.errors import Conflict, ValidationError

__all__ = ["MANIFEST", "OutputTarget", "PartWriter", "open_output", "part_name"]

_LOW_CARDINALITY = ("decision", "route", "model", "job_id")
#: The manifest beside a folder output (``MANIFEST.format(name)``): the job and the parts it wrote.
MANIFEST = ".{}.workbench-output.json"
_MANIFEST_KIND = "workbench.scoring-output"
#: The Parquet footer key naming the job that wrote a file.
JOB_KEY = "workbench.job_id"


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

    def join(self, folder: str, name: str) -> str:
        return os.path.join(folder, name) if self.fs is None else f"{folder.rstrip('/')}/{name}"

    def isdir(self, path: str) -> bool:
        return os.path.isdir(path) if self.fs is None else bool(self.fs.isdir(path))

    def _listdir(self, path: str) -> list[str]:
        """Names directly in a folder."""
        if self.fs is None:
            return sorted(os.listdir(path))
        return sorted(PurePosixPath(p.rstrip("/")).name for p in self.fs.ls(path, detail=False))

    def contents(self) -> list[str]:
        """Every file and folder below a folder output, as paths relative to it (sorted)."""
        if self.fs is None:
            found = []
            for root, dirs, names in os.walk(self.path):
                rel = os.path.relpath(root, self.path)
                for name in [*dirs, *names]:
                    found.append(name if rel == "." else f"{rel}/{name}")
            return sorted(found)
        base = self.path.rstrip("/")
        return sorted(p[len(base) + 1 :] for p in self.fs.find(base, withdirs=True) if p.rstrip("/") != base)

    @property
    def manifest_path(self) -> str:
        parent, name = os.path.split(self.path.rstrip("/")) if self.fs is None else _split(self.path)
        return self.join(parent, MANIFEST.format(name))

    def manifest(self) -> dict[str, Any] | None:
        """The manifest of an existing folder output, or None when it has none (or an unreadable one)."""
        return self._read_manifest(self.manifest_path)

    def _read_manifest(self, path: str) -> dict[str, Any] | None:
        try:
            if self.fs is None:
                with open(path, encoding="utf-8") as handle:
                    data = json.load(handle)
            else:
                with self.fs.open(path, "rb") as handle:
                    data = json.loads(handle.read().decode("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("kind") != _MANIFEST_KIND:
            return None
        parts = data.get("parts")
        if not isinstance(data.get("job_id"), str) or not isinstance(parts, list):
            return None
        if not all(isinstance(p, str) and p == PurePosixPath(p).name and p not in ("", ".", "..") for p in parts):
            return None
        return data

    def file_job_id(self) -> str | None:
        """The job id in an existing output file's Parquet footer, or None (not Parquet, or no id)."""
        import pyarrow.parquet as pq

        try:
            handle = self.fs.open(self.path, "rb") if self.fs is not None else self.path
            try:
                meta = pq.read_metadata(handle)
            finally:
                if not isinstance(handle, str):
                    handle.close()
        except Exception:  # anything unreadable is simply not a scoring output
            return None
        value = (meta.metadata or {}).get(JOB_KEY.encode())
        return value.decode("utf-8", "replace") if value else None

    def _write(self, path: str, text: str) -> None:
        if self.fs is None:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.fs.pipe_file(path, text.encode("utf-8"))

    def _unlink(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            if self.fs is None:
                os.unlink(path)
            elif self.fs.exists(path):
                self.fs.rm(path)

    def _remove_previous(self, path: str, manifest: dict[str, Any] | None) -> None:
        """Remove a previous output at ``path``: a file, or only the parts its ``manifest`` lists.

        Anything else found in the folder stays where it is (the folder is then kept too):
        replacing an output never deletes what workbench did not write.
        """
        if not self.isdir(path):
            self._unlink(path)
            return
        for name in manifest["parts"] if manifest else []:
            self._unlink(self.join(path, name))
        with contextlib.suppress(OSError):
            if self.fs is None:
                os.rmdir(path)
            elif not self.fs.ls(path, detail=False):
                self.fs.rmdir(path)

    def commit(self, staging: str, job_id: str, overwrite: bool) -> None:
        """Move the staged output into place (replacing an existing one only with ``overwrite``).

        The caller has checked that an existing output may be replaced
        (``workbench.jobs.outputs.check_output``). A folder's new manifest is staged first
        and moved into place right after the folder.
        """
        if self.exists() and not overwrite:
            raise Conflict(f"The output {self.location} appeared while the job ran; the result stays unwritten.")
        if not self.folder:
            if self.fs is not None:
                if self.exists():
                    self._remove_previous(self.path, None)
                self.fs.mv(staging, self.path)
            else:
                os.replace(staging, self.path)
            return
        previous = self.manifest() if self.exists() else None
        parts = [n for n in self._listdir(staging) if n.endswith(".parquet")]
        body = {"kind": _MANIFEST_KIND, "format": 1, "job_id": job_id, "parts": parts}
        staged_manifest = self._sibling(job_id, "manifest")
        self._write(staged_manifest, json.dumps(body, indent=1) + "\n")
        try:
            if self.fs is not None:
                if self.exists():
                    self._remove_previous(self.path, previous)
                self.fs.mv(staging, self.path, recursive=True)
                self.fs.mv(staged_manifest, self.manifest_path)
                return
            old = self._sibling(job_id, "old")
            if os.path.lexists(self.path):
                os.replace(self.path, old)
            os.replace(staging, self.path)
            os.replace(staged_manifest, self.manifest_path)
        finally:
            self._unlink(staged_manifest)
        if os.path.lexists(old):
            self._remove_previous(old, previous)

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
            stored = {"ARROW:schema": _stored_schema(table.schema)}
            job = _job_of(table)
            if job:
                stored[JOB_KEY] = job
            self._writer.add_key_value_metadata(stored)
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


def _job_of(table: Any) -> str | None:
    """The scoring job's id from an output table's ``job_id`` column (one value per job)."""
    import pyarrow as pa

    if "job_id" not in table.schema.names or not table.column("job_id").num_chunks:
        return None
    column = table.column("job_id").chunk(0)  # a dictionary holds the id even when the batch has no rows
    if pa.types.is_dictionary(column.type):
        column = column.dictionary
    value = column[0].as_py() if len(column) else None
    return str(value) if value is not None else None


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
