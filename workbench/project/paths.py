"""One resolver for every path argument that may also be an fsspec URL.

Scoring inputs and outputs (and any other argument fsspec would open) come from the
CLI, the kernel API and REST; each goes through :func:`resolve_location` before
anything reads, writes or deletes it:

* a local path, or a ``file://`` / ``local://`` URL, or one of those behind fsspec's
  caching wrappers (``simplecache::``, ``filecache::``, ``blockcache::``), must resolve,
  through symlinks, inside the project or inside a folder listed in ``allowed_folders``
  (:meth:`Project.resolve_inside`); it comes back as a plain absolute path, so nothing
  downstream hands it to fsspec again;
* a remote URL (``s3://``, ``gcs://``, ``abfs://``, ``https://`` ...), or any other
  fsspec protocol, is allowed only when ``allowed_protocols`` in ``[tool.workbench]``
  lists its protocol; it comes back as given.

Relative paths are relative to the project root, as everywhere in workbench.
"""

from __future__ import annotations

import os
import re

from workbench.core.errors import ValidationError
from workbench.project.config import Project

__all__ = ["LOCAL_PROTOCOLS", "is_url", "resolve_location"]

#: Protocols that name the local disk.
LOCAL_PROTOCOLS = ("file", "local")
#: fsspec wrappers that cache another filesystem; they add no place of their own.
CACHE_PROTOCOLS = ("simplecache", "filecache", "blockcache", "cached")
_PROTOCOL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://(.*)$", re.DOTALL)
# fsspec treats a bare "name::" chain element as a protocol without a path.
_BARE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)$")


def is_url(text: str) -> bool:
    """Whether fsspec would read ``text`` as a URL rather than a local path."""
    return "::" in text or _PROTOCOL.match(text) is not None


def _split(element: str) -> tuple[str | None, str]:
    match = _PROTOCOL.match(element)
    if match:
        return match.group(1).lower(), match.group(2)
    bare = _BARE.match(element)
    if bare:
        return bare.group(1).lower(), ""
    return None, element


def resolve_location(project: Project, location: str | os.PathLike[str], what: str) -> str:
    """``location`` confined to the project (local) or to the allowed protocols (remote).

    Returns a local absolute path (a trailing ``/`` kept) or the remote URL as given;
    raises :class:`ValidationError` naming ``what``, the location and the fix.
    """
    text = os.fspath(location)
    if not text.strip():
        raise ValidationError(f"The {what} path is empty.")
    if "\x00" in text:
        raise ValidationError(f"The {what} {text!r} contains a NUL character.")
    if not is_url(text):
        return _local(project, text, text, what)
    chain = text.split("::")
    wrappers, target = chain[:-1], chain[-1]
    protocol, rest = _split(target)
    for element in wrappers:
        wrapper, _ = _split(element)
        if wrapper in CACHE_PROTOCOLS:
            continue
        _allowed(project, wrapper or element, text, what)
    if protocol is None or protocol in LOCAL_PROTOCOLS:
        return _local(project, rest, text, what)
    _allowed(project, protocol, text, what)
    return text


def _local(project: Project, path: str, given: str, what: str) -> str:
    if not path.strip():
        raise ValidationError(f"The {what} {given!r} names no file or folder.")
    resolved = str(project.resolve_inside(path, what))
    return resolved + "/" if path.endswith("/") and not resolved.endswith("/") else resolved


def _allowed(project: Project, protocol: str, given: str, what: str) -> None:
    if protocol.lower() in project.config.allowed_protocols:
        return
    listed = ", ".join(project.config.allowed_protocols) or "none"
    raise ValidationError(
        f"The {what} {given!r} uses the {protocol!r} protocol, which this project does not allow "
        f"(allowed: {listed}). Add it to `allowed_protocols` in [tool.workbench] if the project should "
        "read and write there.",
        details={"location": given, "protocol": protocol, "allowed": list(project.config.allowed_protocols)},
    )
