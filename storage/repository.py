"""A data folder, opened: its settings, its files, its derived indexes, and the two ways in:
`queries` (reading, never writing) and `commands` (every change, audited and durable), both
over one context (storage/context.py). It is also what reports and exports read
(storage/reading.py).

A writer holds the folder's lock for as long as it is open, and writes only while the folder
at the path is still the one it locked; a reader changes nothing at all. On a read-only disk
a writer opens without writing anything and refuses every change.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from core.billing.day import YearToDate
from core.models import Clock, Frozen
from core.session import Session, SessionData
from core.settings import Settings
from core.text import printable
from core.timing import ClampedClock
from storage import layout
from storage.atomic import ensure_private_dir, remove_stale_temps, wider_than_private
from storage.context import Context
from storage.derive import derive_day
from storage.document_storage import Records, Severity
from storage.documents import DayEntry
from storage.errors import DiskReadOnly, FolderReplaced, InvalidChange, MissingDataFolder
from storage.folder import (
    POSIX_LOCK,
    RESTORE_MARK,
    WriterLock,
    interrupted_restores,
    on_read_only_disk,
    refuse_non_folder,
)
from storage.indexes import Indexes
from storage.layout import LOCK_NAME, settings_path
from storage.patients import Patients
from storage.reading import MissingSessions, SkippedFile
from storage.settings_file import read_settings, replace_settings, settings_content
from storage.store import Store

if TYPE_CHECKING:
    from storage.commands import Commands

OBSOLETE = ("open.json", "patients", "ledger")
"""Indexes of earlier versions, derived like today's: removed when a writer opens."""


class Notice(Frozen):
    """Something the user must be told: a timer stopped elsewhere, a file moved aside..."""

    message: str
    severity: Literal["information", "warning", "error"] = "information"


class Repository:
    """One data folder. Open it with `Repository.open`; a writer holds the folder's lock."""

    def __init__(self, data_dir: Path, clock: Clock, settings: Settings,
                 lock: WriterLock | None, *, settings_read: bytes | None = None,
                 read_only_disk: bool = False) -> None:
        self.data_dir = data_dir
        self.clock = ClampedClock(clock)
        self._lock = lock
        self._notices: list[Notice] = []
        self._settings_read = settings_read
        """settings.toml as read (or last written): a save over anything else is refused."""
        self.first_run = False
        """The settings were missing when the folder was opened (the defaults were written)."""
        self.store = Store(data_dir, self._notify, writer=lock is not None, lost=self._lost,
                           guard=self.verify_folder, read_only_disk=read_only_disk)
        self.indexes = Indexes(self.store, self._derive, self._notify)
        self.patients = Patients(self.store)
        self._use(settings)

    def _use(self, settings: Settings) -> None:
        self.settings = settings
        self.catalog = settings.catalog()
        self.zone = settings.zone
        context = Context(store=self.store, indexes=self.indexes, patients=self.patients,
                          settings=settings, catalog=self.catalog, zone=self.zone,
                          clock=self.clock, notify=self._notify)
        self.queries = context.queries
        self._context = context
        self._commands: Commands | None = None

    @property
    def commands(self) -> Commands:
        """What changes the folder, loaded at first use: a reader such as `summary` never
        loads it (a command's start)."""
        if self._commands is None:
            from storage.commands import Commands

            self._commands = Commands(self._context)
        return self._commands

    def change_settings(self, settings: Settings) -> None:
        """Save new settings (atomically) and work with them from now on; only over the file
        as Tabletime read it (SettingsChanged: an edit made meanwhile is kept)."""
        if self.read_only:
            raise InvalidChange(f"{self.data_dir} is open read-only: no change was saved")
        if self.store.read_only_disk:
            raise DiskReadOnly()
        self.verify_folder()
        self._settings_read = replace_settings(self.data_dir, settings, self._settings_read)
        self._use(settings)

    def verify_folder(self) -> None:
        """FolderReplaced when the folder at the path is no longer the one this writer locked
        (checked before every write; cheap: two stats)."""
        if self._lock is not None:
            self._lock.verify()

    @classmethod
    def open(cls, data_dir: Path, clock: Clock, settings: Settings | None = None, *,
             read_only: bool = False, lock: WriterLock | None = None,
             before_long_rebuild: Callable[[int], None] | None = None) -> Repository:
        """Open a data folder; a writer takes the lock (DataFolderLocked if another has it),
        or is handed it held (`lock`: a restore that just put the folder in place). Without
        settings.toml, the defaults are used and nothing written (`first_run`: the app asks
        who bills, and its answer or skip writes the file).
        `before_long_rebuild(days)`: told before a writer derives the index again from many
        day files (a folder copied or restored), so that the wait can be said.

        A reader changes nothing at all: it creates, chmods and repairs nothing, so reading
        works on a read-only disk and never disturbs a running app. On a read-only disk a
        writer does the same and says so once; every change is then refused (DiskReadOnly).
        """
        refuse_non_folder(data_dir)
        lock = _writer_lock(data_dir, read_only, lock)
        try:
            disk_read_only = lock is not None and (on_read_only_disk(data_dir)
                                                   or not _housekeeping(data_dir))
            restores = interrupted_restores(data_dir)
            writes = lock is not None and not disk_read_only and not restores
            first_run = settings is None and writes and not settings_path(data_dir).exists()
            settings, seen = _settings(data_dir, settings, lock)
            repo = cls(data_dir, clock, settings, lock, settings_read=seen,
                       read_only_disk=disk_read_only)
            repo.first_run = first_run
            for message, severity in _opening_notices(data_dir, disk_read_only, restores):
                repo._notify(message, severity)
            repo.indexes.open(before_long_rebuild)
            with contextlib.suppress(OSError):  # a full disk: the journals are read as they are
                repo.store.fold_journals()  # left by a process that did not close the folder
            _recover(repo)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return repo

    def close(self) -> None:
        """Bring the index up to date and let go of the folder. A folder replaced under this
        writer gets nothing (the user was told at the first refused write; the index is
        derived there at the next open)."""
        if self._lock is not None:
            try:
                with contextlib.suppress(FolderReplaced, OSError):  # or replayed at next open
                    self.store.fold_journals(list(self.store.written))
                with contextlib.suppress(FolderReplaced):
                    self.indexes.flush()
            finally:
                self._lock.release()
                self._lock = None

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def read_only(self) -> bool:
        return self._lock is None

    def pop_notices(self) -> list[Notice]:
        notices, self._notices = self._notices, []
        return notices

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def _notify(self, message: str, severity: Severity = "information") -> None:
        self._notices.append(Notice(message=message, severity=severity))

    def _derive(self, day: date, records: Records, stamp: str) -> DayEntry:
        return derive_day(day, records, stamp, self.clock.raw(), self.catalog)

    def _lost(self, path: Path) -> None:
        """A file was moved aside: a day's sessions leave the index until it is back; a
        month's index is derived again from its day files. (The summary is read only when the
        index opens, which then derives every month again.)"""
        day = layout.day_of(self.data_dir, path)
        if day is not None:
            self.indexes.forget_day(day)
        elif layout.is_month_index(self.data_dir, path):
            self.indexes.forget_month(path.stem)

    # ---- what reports and exports read (storage/reading.py) ------------------------------

    def days(self, first: date | None = None, last: date | None = None) -> list[date]:
        return self.queries.days(first, last)

    def day_sessions(self, day: date, *, keep: bool = True) -> list[SessionData]:
        return self.queries.day_sessions(day, keep=keep)

    def year_to_date(self, day: date) -> YearToDate:
        return self.queries.year_to_date(day)

    def open_sessions(self) -> list[Session]:
        return self.queries.open_sessions()

    def skipped(self) -> list[SkippedFile]:
        return [SkippedFile(path, reason, layout.day_of(self.data_dir, path),
                            path == self.patients.path)
                for path, reason in self.store.skipped().items()]

    def missing(self) -> list[MissingSessions]:
        return [MissingSessions(self.store.day_path(entry.date), entry.date,
                                len(entry.sessions)) for entry in self.indexes.missing()]


def _recover(repo: Repository) -> None:
    """Find open sessions and running timers (also from earlier days) after any exit: the
    clock never goes back before what they recorded."""
    for day in {session.date_of_service for session in repo.queries.open_sessions()}:
        for segment in repo.queries.segments_on(day):
            repo.clock.saw(segment.start, segment.end)


def _writer_lock(data_dir: Path, read_only: bool, lock: WriterLock | None
                 ) -> WriterLock | None:
    """The lock a writer holds (taken here unless handed over); a reader takes none, and
    needs a folder that exists (MissingDataFolder: nothing is created)."""
    if read_only:
        if not data_dir.is_dir():
            raise MissingDataFolder(data_dir)
    elif lock is None:
        ensure_private_dir(data_dir)
        lock = WriterLock(data_dir).acquire()
    return lock


def _settings(data_dir: Path, settings: Settings | None, lock: WriterLock | None
              ) -> tuple[Settings, bytes | None]:
    """The settings to open with (given, else read: the defaults without the file), and
    settings.toml as read (what a writer's later save compares)."""
    if settings is None:
        return read_settings(data_dir)
    return settings, settings_content(data_dir) if lock is not None else None


def _opening_notices(data_dir: Path, disk_read_only: bool, restores: list[Path]
                     ) -> list[tuple[str, Severity]]:
    """What the user is told about the folder as it opens: a read-only disk, an interrupted
    restore beside it, permissions that let other users read it."""
    notices: list[tuple[str, Severity]] = []
    if disk_read_only:
        notices.append((f"{printable(str(data_dir))} is on a read-only disk: Tabletime shows "
                        "what is recorded, but nothing can be saved", "warning"))
    notices += [(f"an interrupted restore left {printable(str(leftover))}: this folder was "
                 "not restored; run tabletime restore again (it removes that folder)", "error")
                for leftover in restores]
    if (mode := wider_than_private(data_dir)) is not None:
        notices.append((f"{printable(str(data_dir))} can be read by other users (mode "
                        f"{mode:o}): it holds patient data; chmod 700 it", "warning"))
    return notices


def _housekeeping(data_dir: Path) -> bool:
    """Remove what a writer leaves behind (temp files, obsolete indexes); False when the disk
    turns out to be read-only (then nothing more is tried)."""
    try:
        remove_stale_temps(data_dir)
        _remove_obsolete(data_dir)
    except OSError as error:
        if error.errno == errno.EROFS:
            return False
        raise
    return True


def _remove_obsolete(data_dir: Path) -> None:
    (data_dir / RESTORE_MARK).unlink(missing_ok=True)  # a restore stopped once in place
    for name in OBSOLETE:
        path = data_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.is_file():
            path.unlink()
    if POSIX_LOCK:
        (data_dir / LOCK_NAME).unlink(missing_ok=True)  # the lock is on the folder now
