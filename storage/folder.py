"""Where the data lives and who may write it: one process per data folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from filelock import BaseFileLock

from core.text import printable
from storage import layout
from storage.atomic import FILE_MODE, ensure_private_dir
from storage.errors import BadPath, DataFolderLocked, FolderReplaced

ENV_DATA_DIR = "TABLETIME_DATA_DIR"
POSIX_LOCK = fcntl is not None
"""The lock is on the folder itself (else on the file layout.LOCK_NAME)."""
RESTORE_MARK = ".tabletime-restoring"
"""In a folder a restore is writing: only a folder holding it is ever removed as a leftover."""


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """--data-dir, else $TABLETIME_DATA_DIR, else the platform's user data folder. An empty
    --data-dir is a mistake (an unset shell variable), never the default folder."""
    if explicit is not None and not str(explicit).strip():
        raise BadPath("--data-dir is empty: give the data folder (an unset variable?)")
    if explicit:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get(ENV_DATA_DIR)
    if from_env:
        return Path(from_env).expanduser().resolve()
    from platformdirs import user_data_path  # only here: a folder given needs none of it

    return user_data_path("tabletime", appauthor=False)


def refuse_non_folder(path: Path) -> None:
    """--data-dir naming a file (or anything but a folder) is bad input, not a disk error."""
    if path.exists() and not path.is_dir():
        raise BadPath(f"{printable(str(path))} is not a folder: --data-dir (or "
                      "TABLETIME_DATA_DIR) names the data folder")


def on_read_only_disk(folder: Path) -> bool:
    """Whether the folder's file system is mounted read-only (then nothing is written)."""
    if not hasattr(os, "statvfs"):
        return False  # Windows: the first write says so
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def interrupted_restores(data_dir: Path) -> list[Path]:
    """Folders beside `data_dir` that a restore was writing when it was stopped (a closed
    terminal, a power cut): the restore never reached the data folder."""
    prefix = layout.restoring_prefix(data_dir)
    try:
        beside = list(data_dir.parent.iterdir())
    except OSError:
        return []
    return sorted(path for path in beside if path.name.startswith(prefix)
                  and not path.is_symlink() and (path / RESTORE_MARK).is_file())


def _identity(info: os.stat_result) -> tuple[int, int]:
    return info.st_dev, info.st_ino


class WriterLock:
    """Held for as long as a process may write the folder; released on exit or on a kill.

    The lock is on the data folder itself (flock on the folder), not on a file in it: a
    lock file can be deleted or replaced while the app runs, and then a second writer would
    get in. Where flock does not exist (Windows), a lock file is used, which Windows will not
    let anyone delete while it is held.
    """

    def __init__(self, folder: Path) -> None:
        ensure_private_dir(folder)
        self.folder = folder
        self._fd: int | None = None
        self._file: BaseFileLock | None = None
        self._identity: tuple[int, int] | None = None
        self._guard: int | None = None
        """The folder found at the path once ours was replaced, locked but never written."""

    def acquire(self) -> WriterLock:
        if fcntl is None:  # Windows only: filelock is loaded where it is needed
            from filelock import FileLock, Timeout

            self._file = FileLock(self.folder / layout.LOCK_NAME, mode=FILE_MODE, timeout=0)
            try:
                self._file.acquire()
            except Timeout:
                raise DataFolderLocked(self.folder) from None
            self._identity = _identity(os.stat(self.folder))
            return self
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataFolderLocked(self.folder) from None
        self._fd = fd
        self._identity = _identity(os.fstat(fd))
        return self

    def verify(self) -> None:
        """Before every write: the folder at the path must still be the one locked. A sync
        client that moved it away and copied it back leaves an unlocked copy there, which a
        second Tabletime could write: this one then writes nothing (FolderReplaced) and locks
        that copy, so that no other Tabletime writes it either until this one quits."""
        if self._identity is None:
            return
        try:
            now: tuple[int, int] | None = _identity(os.stat(self.folder))
        except OSError:
            now = None
        if now != self._identity:
            self._lock_replacement()
            raise FolderReplaced(printable(str(self.folder)))

    def _lock_replacement(self) -> None:
        if fcntl is None or self._guard is not None:
            return
        try:
            fd = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return  # nothing there: nothing to protect
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # another writer got in first: it keeps it
            return
        self._guard = fd

    def moved_to(self, folder: Path) -> None:
        """The locked folder was renamed (a restore put in place): it is now at `folder`."""
        self.folder = folder

    def release(self) -> None:
        for fd in (self._fd, self._guard):
            if fd is not None:
                os.close(fd)  # closing the last descriptor releases the flock
        self._fd = self._guard = self._identity = None
        if self._file is not None:
            self._file.release()
            self._file = None

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
