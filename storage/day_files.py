"""The partitioned files of a data folder, each one small TinyDB database.

    days/2026/2026-03-02.json   sessions of that date of service, their segments and audit
    open.json                   which sessions are open (a hint that heals itself)
    patients/2026.json          which dates each patient was seen in that year
    ledger/2026.json            each day's Medicare amounts per patient and KX bucket

A write costs the same on the first day and after five years because no file grows with
history. One TinyDB instance per file per process; a file's schema version is checked the first
time it is opened, older versions are upgraded, newer ones refused without being touched.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.table import Table

from storage.atomic import AtomicJSONStorage, CorruptFileError, ensure_private_dir, read_json
from storage.errors import NewerSchemaError

SCHEMA_VERSION = 1
META = "_meta"
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}
"""Upgrade steps: MIGRATIONS[n] turns a version-n file's tables into version n+1."""

OPEN_INDEX = "open.json"
MAX_OPEN_FILES = 64


class DayFiles:
    """Paths, TinyDB instances and durable batched writes for one data folder."""

    def __init__(
        self,
        root: Path,
        report: Callable[[str], None],
        written: Callable[[Path], None],
        *,
        owner: bool,
    ) -> None:
        """`owner`: this process holds the folder's lock, so a file it read stays as read."""
        self.root = root
        self._owner = owner
        self._report = report
        self._written = written
        self._dbs: OrderedDict[Path, TinyDB] = OrderedDict()
        self._day_paths: dict[date, Path] = {}

    def day_path(self, day: date) -> Path:
        path = self._day_paths.get(day)
        if path is None:
            path = self._day_paths[day] = (
                self.root / "days" / f"{day.year:04d}" / f"{day.isoformat()}.json"
            )
        return path

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
            if (first is None or day >= first) and (last is None or day <= last):
                days.append(day)
        return sorted(days)

    def rows(self, path: Path, table: str) -> list[dict[str, Any]]:
        """Every document of `table`; an unreadable file is quarantined, reported, read as empty."""
        storage = cast(AtomicJSONStorage, self._db(path).storage)
        data = storage.snapshot if self._owner else None
        if data is None:
            try:
                data = read_json(path) or {}
            except CorruptFileError as error:
                self._report(str(error))
                data = {}
            if self._owner:
                storage.snapshot = data
        return [dict(doc) for doc in data.get(table, {}).values()]

    @contextmanager
    def writing(self, path: Path) -> Iterator[Callable[[str], Table]]:
        """Tables of one file whose changes reach the disk as one atomic write at the end."""
        db = self._db(path)
        storage = cast(AtomicJSONStorage, db.storage)
        ensure_private_dir(path.parent)
        storage.snapshot = None
        try:
            with storage.batch():
                try:
                    meta = db.table(META)
                    if not meta.all():
                        meta.insert({"schema": SCHEMA_VERSION})
                except CorruptFileError as error:
                    self._report(str(error))
                yield lambda name: db.table(name, cache_size=0)
        finally:
            self._written(path)

    def _db(self, path: Path) -> TinyDB:
        db = self._dbs.get(path)
        if db is not None:
            self._dbs.move_to_end(path)
            return db
        try:
            self._upgrade(path)
        except CorruptFileError as error:
            self._report(str(error))
        db = TinyDB(path, storage=AtomicJSONStorage)
        self._dbs[path] = db
        if len(self._dbs) > MAX_OPEN_FILES:
            self._dbs.popitem(last=False)
        return db

    def _upgrade(self, path: Path) -> None:
        data = read_json(path)
        if data is None:
            return
        meta_docs = list((data.get(META) or {}).values())
        version = int(meta_docs[0].get("schema", SCHEMA_VERSION)) if meta_docs else SCHEMA_VERSION
        if version > SCHEMA_VERSION:
            raise NewerSchemaError(
                f"{path} was written by a newer Tabletime (schema {version}, this one reads up "
                f"to {SCHEMA_VERSION}): update Tabletime; the file was not changed"
            )
        if version == SCHEMA_VERSION:
            return
        while version < SCHEMA_VERSION:
            data = MIGRATIONS[version](data)
            version += 1
        data[META] = {"1": {"schema": SCHEMA_VERSION}}
        AtomicJSONStorage(path).write(data)
