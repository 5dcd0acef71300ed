"""Where the data lives and who may write it: one process per data folder."""

from __future__ import annotations

import os
from pathlib import Path

from filelock import FileLock, Timeout
from platformdirs import user_data_path

from storage.atomic import FILE_MODE, ensure_private_dir
from storage.errors import StorageError

ENV_DATA_DIR = "TABLETIME_DATA_DIR"
LOCK_NAME = "tabletime.lock"


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """--data-dir, else $TABLETIME_DATA_DIR, else the platform's user data folder."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get(ENV_DATA_DIR)
    if from_env:
        return Path(from_env).expanduser().resolve()
    return user_data_path("tabletime", appauthor=False)


class DataFolderLocked(StorageError):
    """Another running Tabletime writes this data folder."""

    def __init__(self, folder: Path) -> None:
        super().__init__(
            f"the data folder {folder} is in use by another running Tabletime: close it "
            "first (tabletime summary and tabletime export can read it meanwhile)"
        )
        self.folder = folder


class WriterLock:
    """Held for as long as a process may write the folder; released on exit or on a kill."""

    def __init__(self, folder: Path) -> None:
        ensure_private_dir(folder)
        self.folder = folder
        self._lock = FileLock(folder / LOCK_NAME, mode=FILE_MODE, timeout=0)

    def acquire(self) -> WriterLock:
        try:
            self._lock.acquire()
        except Timeout:
            raise DataFolderLocked(self.folder) from None
        return self

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> WriterLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
