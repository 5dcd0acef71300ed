"""Derived files trusted as derived, never blindly: index/months.json (small, and always
validated) records the seal of every other index file as the index wrote it, and a file is
read without the checks of untrusted text only while its content still has that seal. A file
changed by hand, damaged, cut short or written by an earlier Tabletime is not trusted: the
index validates it field by field, or derives it again from the day files.

The seal is a digest of the content, not its stamp: a read has the bytes anyway, and an edit
that keeps the size and the modification time is still seen.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from storage.atomic import NotAFile, read_regular
from storage.documents import META, SCHEMA_VERSION, Document, derived
from storage.store import Store, file_stamp


def seal_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:32]


NO_FILE = seal_of(b"")
"""The seal of a file the index did not write, having nothing to put in it."""


def sealed_content(path: Path, seal: str | None) -> bytes | None:
    """The file's bytes when they have the seal the index recorded (no file: empty); None
    when no seal is known, or the file is unreadable or changed."""
    if seal is None:
        return None
    try:
        content = read_regular(path)
    except FileNotFoundError:
        content = b""
    except (OSError, NotAFile):
        return None
    return content if seal_of(content) == seal else None


def read_sealed(path: Path, seal: str | None, kind: type[Document]) -> Document | None:
    """The file's content when it has the seal the index recorded (`sealed_content`); None
    otherwise, or when it is not of `kind` after all."""
    content = sealed_content(path, seal)
    if content is None:
        return None
    return derived(content, kind) if content else kind()


def sealed_rows(path: Path, seal: str | None, kind: type[Document], table: str
                ) -> list[dict[str, Any]] | None:
    """One table of a sealed file as its JSON rows, parsed but not made into models (a pass
    that keeps a few of them makes only those); None as `read_sealed`, or when the file is
    not of this version's schema."""
    content = sealed_content(path, seal)
    if content is None:
        return None
    try:
        raw = orjson.loads(content) if content else {}
    except orjson.JSONDecodeError:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get(table, {}), dict):
        return None
    try:
        meta = kind.model_validate({META: raw.get(META) or {}})
    except ValidationError:
        return None
    return list(raw.get(table, {}).values()) if meta.schema_version() == SCHEMA_VERSION else None


def seal_written(store: Store, path: Path) -> str | None:
    """The seal of a file the store just wrote, read back; None when another write came in
    between (its stamp is no longer the one the store's write left): then it is not trusted."""
    try:
        content = read_regular(path)
    except (OSError, NotAFile):
        return None
    stamp = store.written.get(path)
    return seal_of(content) if stamp is not None and file_stamp(path) == stamp else None
