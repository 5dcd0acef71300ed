"""One data-folder file for TinyDB: read once, validated as a whole, written in atomic batches.

`DocumentStorage` is TinyDB's documented extension point (a `Storage` subclass): it reads a
file once, validates it as a whole against its model (storage/documents.py) and keeps it;
a change goes through TinyDB's tables and reaches the disk as one atomic, durable replacement
of the file. A file that is not what it should be is moved aside by a writer (never
overwritten) and skipped by a reader; one that cannot be read for another reason
(permissions, a newer Tabletime) is never written.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import orjson
from tinydb import Storage

from core.text import printable
from storage.atomic import ensure_private_dir, file_kind, quarantine, write_atomic
from storage.documents import (
    META,
    SCHEMA_VERSION,
    DocumentError,
    NewerSchema,
    document_kind,
    upgrade,
    validate,
)
from storage.errors import StorageError, UnwritableFile

Severity = Literal["information", "warning", "error"]
Report = Callable[[str, Severity], None]
Records = dict[str, dict[Any, Any]]
MAX_FILE_BYTES = 64 * 1024 * 1024


class _NotOurs(Exception):
    """Something at a data file's path that Tabletime did not write and will not read."""


def record_key(value: object) -> Any:
    """A record's key as its JSON form (what TinyDB's queries compare): a UUID or a date as
    text, a number as it is."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class DocumentStorage(Storage):
    """One data-folder file for TinyDB: read once and validated, written in atomic batches.

    TinyDB edits what `read` returns in place, so a batch that fails drops what was kept
    (the next read is from disk): what is kept is always what is on disk.
    """

    def __init__(self, path: Path, *, root: Path, report: Report, writer: bool,
                 lost: Callable[[Path, Path, str], None], written: Callable[[Path], None],
                 refused: Callable[[Path, str, str], None], guard: Callable[[], None]) -> None:
        self.path = path
        self._written = written
        self._refused = refused
        self._guard = guard
        self.kind, self.context = document_kind(root, path)
        self._report = report
        self._writer = writer
        self._lost = lost
        self._raw: dict[str, Any] | None = None
        self._records: Records | None = None
        self._ids: dict[str, dict[Any, int]] | None = None
        self._refusal: str | None = None
        self._pending: dict[str, Any] | None = None
        self._dirty = False
        self._in_batch = False

    def records(self) -> Records:
        """The validated records of every table, keyed by their own id (not TinyDB's)."""
        if self._records is None:
            self._load()
        assert self._records is not None
        return self._records

    def doc_ids(self, table: str) -> dict[Any, int]:
        """Each record's TinyDB document id, by the record's own key (found once per file)."""
        if self._ids is None:
            raw = self.read()
            self._ids = {}
            for name in self.kind.TABLES:
                field = self.kind.KEYS[name]
                self._ids[name] = {row[field]: int(doc_id)
                                   for doc_id, row in raw.get(name, {}).items()}
        return self._ids[table]

    def read(self) -> dict[str, Any]:
        if self._raw is None:
            self._load()
        assert self._raw is not None
        if not self._in_batch:
            return self._raw
        if self._pending is None:
            self._pending = self._raw
        return self._pending

    def write(self, data: dict[str, Any]) -> None:
        if self._refusal is not None:
            raise UnwritableFile(self._refusal)
        self._pending, self._dirty = data, True

    @contextmanager
    def batch(self, applied: Callable[[Records], None]) -> Iterator[None]:
        """TinyDB's writes in the block reach the disk as one atomic write at its end, then
        `applied` updates the kept records; if the block raises (or the disk refuses),
        nothing is written and nothing kept."""
        if self._in_batch:
            raise RuntimeError(f"{self.path.name}: a batch inside a batch of the same file")
        self._in_batch = True
        try:
            yield
            if self._dirty and self._pending is not None:
                self._pending.setdefault(META, {"1": {"schema": SCHEMA_VERSION}})
                content = orjson.dumps(self._pending)  # fails before the disk is touched
                self._guard()  # the folder at the path is still the one this process locked
                ensure_private_dir(self.path.parent)
                write_atomic(self.path, content)
                self._written(self.path)
                self._raw = self._pending
                applied(self.records())
        except BaseException:
            self._raw = self._records = self._ids = None
            raise
        finally:
            self._pending, self._dirty, self._in_batch = None, False, False

    def close(self) -> None:
        """Nothing is held open between operations."""

    def _load(self) -> None:
        self._refusal = None
        self._ids = None
        document = self.kind()
        try:
            info = self.path.lstat()
            if not stat.S_ISREG(info.st_mode):
                raise _NotOurs(f"is {file_kind(info.st_mode)}, not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                raise _NotOurs(f"is {info.st_size:,} bytes, more than any Tabletime file")
            raw = upgrade(orjson.loads(self.path.read_bytes()))
            document = validate(raw, self.kind, self.context)
        except FileNotFoundError:
            raw = {}
        except _NotOurs as error:
            raw = self._unreadable(str(error))
        except orjson.JSONDecodeError as error:
            raw = self._damaged(DocumentError(f"not valid JSON: {error}"))
        except NewerSchema as error:
            raw = self._unreadable(str(error))
        except DocumentError as error:
            raw = self._damaged(error)
        except OSError as error:
            raw = self._unreadable(f"cannot be read ({error.strerror})")
        self._raw = raw
        self._records = {
            table: {record_key(getattr(record, self.kind.KEYS[table])): record
                    for record in getattr(document, table).values()}
            for table in self.kind.TABLES
        }

    def _damaged(self, error: DocumentError) -> dict[str, Any]:
        if not self._writer or not self._still_ours():
            return self._unreadable(f"could not be read ({error})",
                                    " (the app moves it aside when it opens)")
        moved = quarantine(self.path)
        self._report(f"{self.path.name} could not be read ({error}); it was moved aside to "
                     f"{printable(str(moved))} and nothing in it was changed", "error")
        self._lost(self.path, moved, f"could not be read ({error})")
        return {}

    def _still_ours(self) -> bool:
        """Whether moving a file aside is this process's to do (see `guard`)."""
        try:
            self._guard()
        except StorageError:
            return False
        return True

    def _unreadable(self, reason: str, hint: str = "") -> dict[str, Any]:
        self._refusal = (f"{printable(str(self.path))} {reason}; it was left as it is and "
                         "nothing was written to it")
        self._refused(self.path, reason, hint)
        return {}
