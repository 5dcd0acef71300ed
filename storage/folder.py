"""Where the data lives and who may write it: one process per data folder."""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from filelock import FileLock, Timeout
from platformdirs import user_data_path

from storage.atomic import FILE_MODE, ensure_private_dir
from storage.errors import DataFolderLocked

ENV_DATA_DIR = "TABLETIME_DATA_DIR"
LOCK_NAME = "tabletime.lock"
POSIX_LOCK = fcntl is not None
"""The lock is on the folder itself (else on the file LOCK_NAME)."""


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """--data-dir, else $TABLETIME_DATA_DIR, else the platform's user data folder."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get(ENV_DATA_DIR)
    if from_env:
        return Path(from_env).expanduser().resolve()
    return user_data_path("tabletime", appauthor=False)


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
        self._file: FileLock | None = None

    def acquire(self) -> WriterLock:
        if fcntl is None:
            self._file = FileLock(self.folder / LOCK_NAME, mode=FILE_MODE, timeout=0)
            try:
                self._file.acquire()
            except Timeout:
                raise DataFolderLocked(self.folder) from None
            return self
        fd = os.open(self.folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DataFolderLocked(self.folder) from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the last descriptor releases the flock
            self._fd = None
        if self._file is not None:
            self._file.release()
            self._file = None

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
