"""The files of a data folder as TinyDB databases, validated when read, written atomically.

`DocumentStorage` is TinyDB's documented extension point (a `Storage` subclass): it reads a
file once, validates it as a whole against its model (storage/documents.py), keeps it, and
writes a change as one atomic, durable replacement of the file. `Store` holds one TinyDB per
file (a few dozen at most) and is the only cache: what it read stays true until this process
writes that file itself, because only the lock holder writes.

A file that is not what it should be is moved aside by a writer (never overwritten) and
skipped by a reader, and the user is told which; every other file keeps working. A file that
cannot be read for another reason (permissions, a newer Tabletime) is never written.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Literal

import orjson
from tinydb import Storage, TinyDB
from tinydb.table import Table

from core.text import printable
from storage.atomic import ensure_private_dir, quarantine, write_atomic
from storage.documents import (
    META,
    SCHEMA_VERSION,
    Document,
    DocumentError,
    NewerSchema,
    document_kind,
    upgrade,
    validate,
)
from storage.errors import StorageError

Severity = Literal["information", "warning", "error"]
Report = Callable[[str, Severity], None]
OPEN_INDEX = "open.json"
MAX_OPEN_FILES = 32


class UnwritableFile(StorageError):
    """A file this process could not read as it is: writing it would lose what it holds."""


class DocumentStorage(Storage):
    """One data-folder file for TinyDB: read once and validated, written in atomic batches.

    TinyDB edits what `read` returns in place, so a batch that fails drops the kept content
    (the next read is from disk): what is kept is always what is on disk.
    """

    def __init__(self, path: Path, *, root: Path, report: Report, writer: bool) -> None:
        self.path = path
        self._kind, self._context = document_kind(root, path)
        self._report = report
        self._writer = writer
        self._raw: dict[str, Any] | None = None
        self._document: Document | None = None
        self._refusal: str | None = None
        self._pending: dict[str, Any] | None = None
        self._dirty = False
        self._in_batch = False

    def document(self) -> Document:
        """The validated content (empty when the file is missing, damaged or unreadable)."""
        if self._document is None:
            raw = self._current()
            self._document = validate(raw, self._kind, self._context) if raw else self._kind()
        return self._document

    def read(self) -> dict[str, Any]:
        if not self._in_batch:
            return self._current()
        if self._pending is None:
            self._pending = self._current()
        return self._pending

    def write(self, data: dict[str, Any]) -> None:
        if self._refusal is not None:
            raise UnwritableFile(self._refusal)
        self._pending, self._dirty = data, True

    @contextmanager
    def batch(self) -> Iterator[None]:
        """TinyDB's writes in the block reach the disk as one atomic write at its end; if the
        block raises (or the disk refuses), nothing is written and nothing kept."""
        if self._in_batch:
            raise RuntimeError(f"{self.path.name}: a batch inside a batch of the same file")
        self._in_batch = True
        try:
            yield
            if self._dirty and self._pending is not None:
                self._pending.setdefault(META, {"1": {"schema": SCHEMA_VERSION}})
                content = orjson.dumps(self._pending)  # fails before the disk is touched
                ensure_private_dir(self.path.parent)
                write_atomic(self.path, content)
                self._raw, self._document = self._pending, None
        except BaseException:
            self._raw = self._document = None
            raise
        finally:
            self._pending, self._dirty, self._in_batch = None, False, False

    def close(self) -> None:
        """Nothing is held open between operations."""

    def _current(self) -> dict[str, Any]:
        if self._raw is None:
            self._raw = self._load()
        return self._raw

    def _load(self) -> dict[str, Any]:
        self._refusal = None
        try:
            raw = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except orjson.JSONDecodeError as error:
            return self._damaged(DocumentError(f"not valid JSON: {error}"))
        except OSError as error:
            return self._unreadable(f"cannot be read ({error.strerror})")
        try:
            raw = upgrade(raw)
            self._document = validate(raw, self._kind, self._context)
        except NewerSchema as error:
            return self._unreadable(str(error))
        except DocumentError as error:
            return self._damaged(error)
        return raw

    def _damaged(self, error: DocumentError) -> dict[str, Any]:
        where = printable(str(self.path))
        if not self._writer:
            self._unreadable(str(error))
            self._report(f"{where} could not be read ({error}); it was skipped and left as "
                         "it is (the app moves it aside when it opens)", "error")
            return {}
        moved = quarantine(self.path)
        self._report(f"{self.path.name} could not be read ({error}); it was moved aside to "
                     f"{printable(str(moved))} and nothing in it was changed", "error")
        return {}

    def _unreadable(self, reason: str) -> dict[str, Any]:
        self._refusal = (f"{printable(str(self.path))} {reason}; it was left as it is and "
                         "nothing was written to it")
        if self._writer:
            self._report(self._refusal, "error")
        return {}


class Store:
    """The files of one data folder: their paths, one TinyDB each, and durable batches."""

    def __init__(self, root: Path, report: Report, *, writer: bool) -> None:
        self.root = root
        self.writer = writer
        self._report = report
        self._dbs: OrderedDict[Path, TinyDB] = OrderedDict()

    def day_path(self, day: date) -> Path:
        return self.root / "days" / f"{day.year:04d}" / f"{day.isoformat()}.json"

    def ledger_path(self, year: int) -> Path:
        return self.root / "ledger" / f"{year:04d}.json"

    def patients_path(self, year: int) -> Path:
        return self.root / "patients" / f"{year:04d}.json"

    @property
    def open_path(self) -> Path:
        return self.root / OPEN_INDEX

    def days_with_files(self, first: date | None = None, last: date | None = None) -> list[date]:
        """Dates that have a day file, in order, optionally within [first, last]."""
        days = []
        for path in (self.root / "days").glob("*/*.json"):
            try:
                day = date.fromisoformat(path.stem)
            except ValueError:
                continue
            if path.parent.name == f"{day.year:04d}" and (first is None or day >= first) \
                    and (last is None or day <= last):
                days.append(day)
        return sorted(days)

    def document(self, path: Path) -> Document:
        """The file's validated content; empty when it is missing or could not be read."""
        return self._storage(path).document()

    def records(self, path: Path, table: str) -> list[Any]:
        """The validated records of one table of a file, in the order they were written."""
        return list(getattr(self.document(path), table).values())

    @contextmanager
    def writing(self, path: Path) -> Iterator[Callable[[str], Table]]:
        """Tables of one file whose changes reach the disk as one atomic write at the end."""
        if not self.writer:
            raise StorageError(f"{self.root} is open read-only: no change was saved")
        db = self._db(path)
        storage = self._storage(path)
        with storage.batch():
            yield lambda name: db.table(name, cache_size=0)

    def _storage(self, path: Path) -> DocumentStorage:
        storage = self._db(path).storage
        assert isinstance(storage, DocumentStorage)
        return storage

    def _db(self, path: Path) -> TinyDB:
        db = self._dbs.get(path)
        if db is not None:
            self._dbs.move_to_end(path)
            return db
        db = TinyDB(path, storage=DocumentStorage, root=self.root, report=self._report,
                    writer=self.writer)
        self._dbs[path] = db
        if len(self._dbs) > MAX_OPEN_FILES:
            self._dbs.popitem(last=False)
        return db
