"""The files of a data folder as TinyDB databases, validated when read, written atomically.

`Store` holds one TinyDB per file (a few dozen at most), each over a `DocumentStorage`
(storage/document_storage.py), and is the only cache: what it read stays true until this
process writes that file itself, because only the lock holder writes. A change updates the
kept records too, so a file is parsed once, not once per change.

A file that is not what it should be is moved aside by a writer (never overwritten) and
skipped by a reader, and the user is told which, once; every other file keeps working. A file
that cannot be read for another reason (permissions, a newer Tabletime) is never written.
Whatever is written can be read back: each record put is validated with the model its read
uses (one its constructor just validated, `put_valid`, only checked to be of that model), and
the file's own rules checked for what the change touches, before the disk is.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from tinydb import TinyDB
from tinydb.table import Table

from core.models import Frozen, problem
from core.text import printable
from storage import layout
from storage.atomic import file_state
from storage.document_storage import DocumentStorage, Records, Report, record_key
from storage.errors import DiskReadOnly, InvalidChange, StorageError
from storage.journal import SUFFIX, change_line, journal_path

MAX_OPEN_FILES = 24


def file_stamp(path: Path) -> str | None:
    """Size and modification time, of the file and of its journal if it has one (a day
    file): any write to either changes it (None: no file)."""
    stamp = file_state(path)
    if stamp is None:
        return None
    appended = file_state(journal_path(path))
    return stamp if appended is None else f"{stamp}+{appended}"


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
        self._valid: set[tuple[str, Any]] = set()
        """What `put_valid` put last, by table and key: not validated again."""
        self._final: dict[tuple[str, Any], tuple[dict[str, Any], BaseModel] | None] = {}

    def put(self, table: str, record: Frozen) -> None:
        key = record_key(getattr(record, self._storage.kind.KEYS[table]))
        self.done.append((table, key, record))
        self._valid.discard((table, key))

    def put_valid(self, table: str, record: Frozen) -> None:
        """A record its caller made with the model the read uses (its constructor, or
        `model_validate` with the read's context; never `model_copy(update=)`): not validated
        again (an import's million records were validated twice); the file's rules are still
        checked."""
        self.put(table, record)
        self._valid.add(self.done[-1][:2])

    def add(self, table: str, record: Frozen) -> None:
        """A record that is new for sure (an audit entry)."""
        self.put(table, record)

    def drop(self, table: str, key: object) -> None:
        self.done.append((table, record_key(key), None))
        self._valid.discard(self.done[-1][:2])

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
        skipped its validators) unless it was `put_valid`, and the file's rules checked for
        what the change touches.
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
            model = kind.record_model(table)
            valid: BaseModel = record
            if (table, key) not in self._valid or type(record) is not model:
                try:
                    valid = model.model_validate(row, context=context)
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

    def journal_line(self) -> bytes | None:
        """The change as one journal line, when it is a timer event (segments and their
        audit entries); None when it changes a session: the file is then written whole."""
        put: dict[str, list[dict[str, Any]]] = {}
        drop: dict[str, list[Any]] = {}
        for (table, key), found in self._final.items():
            if table == "sessions":
                return None
            if found is None:
                drop.setdefault(table, []).append(key)
            else:
                put.setdefault(table, []).append(found[0])
        return change_line(put, drop)

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

    def day_stamps(self) -> dict[date, str]:
        """Every day file's stamp (with its journal's), by date: each file stat'ed once and
        the journals found in one listing of each year's folder (every open does this)."""
        files = self.day_files()
        journals = {str(found) for folder in {path.parent for path in files.values()}
                    for found in folder.glob(f"*{SUFFIX}")}
        stamps = {}
        for day, path in files.items():
            stamp = file_state(path)
            appended = str(path)[:-len(path.suffix)] + SUFFIX
            if stamp is not None and appended in journals:
                stamp = file_stamp(path)
            if stamp is not None:
                stamps[day] = stamp
        return stamps

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
        with storage.batch(change.apply, change.journal_line):
            yield change
            change.write()

    def fold_journals(self, days: list[Path] | None = None) -> None:
        """Write day files whole with their journals in them: those this process wrote
        (`days`), or every day file that has one (a writer opening after a crash)."""
        if not self.saves:
            return
        if days is None:
            days = [path.with_suffix(".json") for path in
                    (self.root / layout.DAYS).glob(f"*/*{SUFFIX}")]
        for path in days:
            if (layout.day_of(self.root, path) is not None and path.exists()
                    and journal_path(path).exists()):
                storage = self._storage(path) if path in self._dbs else self._new_storage(path)
                storage.fold()

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
