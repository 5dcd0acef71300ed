"""The files of a data folder as TinyDB databases, validated when read, written atomically.

`DocumentStorage` is TinyDB's documented extension point (a `Storage` subclass): it reads a
file once, validates it as a whole against its model (storage/documents.py) and keeps it;
a change goes through TinyDB's tables and reaches the disk as one atomic, durable replacement
of the file. `Store` holds one TinyDB per file (a few dozen at most) and is the only cache:
what it read stays true until this process writes that file itself, because only the lock
holder writes. A change updates the kept records too, so a file is parsed once, not once per
change.

A file that is not what it should be is moved aside by a writer (never overwritten) and
skipped by a reader, and the user is told which, once; every other file keeps working. A file
that cannot be read for another reason (permissions, a newer Tabletime) is never written.
Whatever is written can be read back: each record put is validated with the model its read
uses, and the file's own rules checked for what the change touches, before the disk is.
"""

from __future__ import annotations

import stat
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import orjson
from pydantic import BaseModel, ValidationError
from tinydb import Storage, TinyDB
from tinydb.table import Table

from core.models import Frozen, problem
from core.text import printable
from storage import layout
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
from storage.errors import DiskReadOnly, InvalidChange, StorageError

Severity = Literal["information", "warning", "error"]
Report = Callable[[str, Severity], None]
Records = dict[str, dict[Any, Any]]
MAX_OPEN_FILES = 24
MAX_FILE_BYTES = 64 * 1024 * 1024


class _NotOurs(Exception):
    """Something at a data file's path that Tabletime did not write and will not read."""


class UnwritableFile(StorageError):
    """A file this process could not read as it is: writing it would lose what it holds."""


def file_stamp(path: Path) -> str | None:
    """Size and modification time: any write to the file changes it (None: no file)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return f"{info.st_mtime_ns}-{info.st_size}"


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


class Change:
    """Changes to one file: records put (inserted or replaced, by their own key) and dropped.

    They reach TinyDB's tables when the change ends, each table in as few calls as TinyDB
    allows (a replaced record keeps its place and document id: the audit trail stays in the
    order it was written). TinyDB's queries are not needed: the store knows each record's
    document id.
    """

    def __init__(self, db: TinyDB, storage: DocumentStorage) -> None:
        self._db = db
        self._storage = storage
        self.done: list[tuple[str, Any, Frozen | None]] = []
        self._final: dict[tuple[str, Any], tuple[dict[str, Any], BaseModel] | None] = {}

    def put(self, table: str, record: Frozen) -> None:
        key = record_key(getattr(record, self._storage.kind.KEYS[table]))
        self.done.append((table, key, record))

    def add(self, table: str, record: Frozen) -> None:
        """A record that is new for sure (an audit entry)."""
        self.put(table, record)

    def drop(self, table: str, key: object) -> None:
        self.done.append((table, record_key(key), None))

    def write(self) -> None:
        """Hand the changes to TinyDB (inside the storage's batch: one write of the file),
        once `_readable` found every record one the read takes."""
        last: dict[tuple[str, Any], Frozen | None] = {}
        for name, key, record in self.done:
            last[(name, key)] = record
        self._final = self._readable(last)
        for name in dict.fromkeys(name for name, _ in last):
            ids = self._storage.doc_ids(name)
            table: Table = self._db.table(name, cache_size=0)
            gone = [ids.pop(key) for (t, key), found in self._final.items()
                    if t == name and found is None and key in ids]
            if gone:
                table.remove(doc_ids=gone)
            new: list[tuple[Any, dict[str, Any]]] = []
            for (t, key), found in self._final.items():
                if t != name or found is None:
                    continue
                row = found[0]
                if key in ids:
                    table.update(row, doc_ids=[ids[key]])
                else:
                    new.append((key, row))
            if new:
                for (key, _), doc_id in zip(new, table.insert_multiple(row for _, row in new),
                                            strict=True):
                    ids[key] = doc_id

    def _readable(self, last: dict[tuple[str, Any], Frozen | None]
                  ) -> dict[tuple[str, Any], tuple[dict[str, Any], BaseModel] | None]:
        """Each record put as its JSON row and as the read would take it back: validated from
        that row with the read's model and context (a record made with `model_copy(update=)`
        skipped its validators), and the file's rules checked for what the change touches.
        InvalidChange naming the field, before anything is written, if the read would refuse."""
        kind, context = self._storage.kind, self._storage.context
        final: dict[tuple[str, Any], tuple[dict[str, Any], BaseModel] | None] = {}
        put: dict[str, dict[Any, BaseModel]] = {}
        dropped: dict[str, set[Any]] = {}
        for (table, key), record in last.items():
            if record is None:
                final[(table, key)] = None
                dropped.setdefault(table, set()).add(key)
                continue
            row = record.model_dump(mode="json")
            try:
                valid = kind.record_model(table).model_validate(row, context=context)
            except ValidationError as error:
                raise self._unreadable_by_read(f"{table}: {problem(error)}") from None
            final[(table, key)] = (row, valid)
            put.setdefault(table, {})[key] = valid
        wrong = kind.change_problem(self._storage.records(), put, dropped, context)
        if wrong is not None:
            raise self._unreadable_by_read(wrong)
        return final

    def _unreadable_by_read(self, what: str) -> InvalidChange:
        return InvalidChange(f"not saved: {self._storage.path.name} would hold what Tabletime "
                             f"cannot read back ({what}); nothing was written")

    def apply(self, records: Records) -> None:
        for (table, key), found in self._final.items():
            if found is None:
                records[table].pop(key, None)
            else:
                records[table][key] = found[1]


class Store:
    """The files of one data folder: their paths, one TinyDB each, and durable changes."""

    def __init__(self, root: Path, report: Report, *, writer: bool,
                 lost: Callable[[Path], None] = lambda path: None,
                 guard: Callable[[], None] = lambda: None,
                 read_only_disk: bool = False) -> None:
        self.root = root
        self.writer = writer
        """This process holds the folder's lock: its commands may change it."""
        self.read_only_disk = read_only_disk
        self.saves = writer and not read_only_disk
        """Whether anything is written at all (on a read-only disk every change is refused
        with DiskReadOnly, and damaged files are skipped, not moved aside)."""
        self._report = report
        self._on_lost = lost
        self._guard = guard
        """Raises (FolderReplaced) when the folder at `root` is not the one locked."""
        self._dbs: OrderedDict[Path, TinyDB] = OrderedDict()
        self._day_paths: dict[date, Path] = {}
        self.written: dict[Path, str | None] = {}
        """Each file this process wrote, with its stamp right after the last write."""
        self.moved_aside: list[tuple[Path, Path]] = []
        """Each damaged file this process moved aside, and where it went."""
        self._moved_why: dict[Path, str] = {}
        self.unreadable: dict[Path, str] = {}
        """Each file left as it is because it could not be read, and why ("is a folder, not
        a regular file"): the user is told once per file."""

    def day_path(self, day: date) -> Path:
        path = self._day_paths.get(day)
        if path is None:
            path = self._day_paths[day] = layout.day_path(self.root, day)
        return path

    def index_path(self, month: str) -> Path:
        return layout.month_index_path(self.root, month)

    def summary_path(self) -> Path:
        return layout.summary_path(self.root)

    def day_files(self) -> dict[date, Path]:
        """Every day file, by date (what is not one is left alone)."""
        return layout.day_files(self.root)

    def tables(self, path: Path) -> Records:
        """Every table of a file, its validated records by key (kept: do not change them)."""
        return self._storage(path).records()

    def records(self, path: Path, table: str) -> list[Any]:
        """The validated records of one table of a file, in the order they were written."""
        return list(self._storage(path).records()[table].values())

    def record(self, path: Path, table: str, key: object) -> Any:
        """One record by its key, or None."""
        return self._storage(path).records()[table].get(record_key(key))

    def read_once(self, path: Path) -> Records:
        """A file's records without keeping them (for reading every file once, as an export
        or a rebuild does, without pushing out what the app works with)."""
        if path in self._dbs:
            return self._storage(path).records()
        return self._new_storage(path).records()

    def skipped(self) -> dict[Path, str]:
        """Every file that could not be read, and why: left as it is, or moved aside."""
        found = {path: f"{self._moved_why[path]}; moved aside to {moved}"
                 for path, moved in self.moved_aside}
        found.update(self.unreadable)
        return found

    @contextmanager
    def change(self, path: Path) -> Iterator[Change]:
        """Records put and dropped in the block reach the disk as one atomic write at its end."""
        if self.read_only_disk:
            raise DiskReadOnly()
        if not self.writer:
            raise StorageError(f"{self.root} is open read-only: no change was saved")
        db = self._db(path)
        storage = self._storage(path)
        change = Change(db, storage)
        with storage.batch(change.apply):
            yield change
            change.write()

    def _lost(self, path: Path, moved: Path, why: str) -> None:
        self.moved_aside.append((path, moved))
        self._moved_why[path] = why
        self._dbs.pop(path, None)
        self._on_lost(path)

    def _refused(self, path: Path, reason: str, hint: str) -> None:
        """A file left as it is: said once, by a writer and a reader alike."""
        if path not in self.unreadable:
            self.unreadable[path] = reason
            self._report(f"{printable(str(path))} {reason}; it was skipped and left as it "
                         f"is{hint}", "error")

    def _note_written(self, path: Path) -> None:
        self.written[path] = file_stamp(path)

    def forget(self, path: Path) -> None:
        self._dbs.pop(path, None)

    def _storage(self, path: Path) -> DocumentStorage:
        storage = self._db(path).storage
        assert isinstance(storage, DocumentStorage)
        return storage

    def _new_storage(self, path: Path) -> DocumentStorage:
        return DocumentStorage(path, **self._storage_options())

    def _storage_options(self) -> dict[str, Any]:
        return {"root": self.root, "report": self._report, "writer": self.saves,
                "lost": self._lost, "written": self._note_written, "refused": self._refused,
                "guard": self._guard}

    def _db(self, path: Path) -> TinyDB:
        db = self._dbs.get(path)
        if db is not None:
            self._dbs.move_to_end(path)
            return db
        db = TinyDB(path, storage=DocumentStorage, **self._storage_options())
        self._dbs[path] = db
        if len(self._dbs) > MAX_OPEN_FILES:
            self._dbs.popitem(last=False)
        return db
