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

from storage.atomic import NotAFile, read_regular
from storage.documents import Document, derived
from storage.store import Store, file_stamp


def seal_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:32]


NO_FILE = seal_of(b"")
"""The seal of a file the index did not write, having nothing to put in it."""


def read_sealed(path: Path, seal: str | None, kind: type[Document]) -> Document | None:
    """The file's content when it has the seal the index recorded (no file: NO_FILE); None
    when no seal is known, or the file is unreadable, changed or not of `kind` after all."""
    if seal is None:
        return None
    try:
        content = read_regular(path)
    except FileNotFoundError:
        content = b""
    except (OSError, NotAFile):
        return None
    if seal_of(content) != seal:
        return None
    return derived(content, kind) if content else kind()


def seal_written(store: Store, path: Path) -> str | None:
    """The seal of a file the store just wrote, read back; None when another write came in
    between (its stamp is no longer the one the store's write left): then it is not trusted."""
    try:
        content = read_regular(path)
    except (OSError, NotAFile):
        return None
    stamp = store.written.get(path)
    return seal_of(content) if stamp is not None and file_stamp(path) == stamp else None
