"""Crash-safe files: every write replaces the whole file atomically and durably.

TinyDB's JSONStorage rewrites its file in place and truncates afterwards, so a kill mid-write
leaves a torn file. Here a write is serialised first (a value that cannot be saved fails before
the disk is touched), goes to a temp file in the same folder, is flushed and fsynced, replaces
the target with os.replace, and the folder is fsynced so the rename itself survives a power cut.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from tinydb import Storage

from storage.errors import StorageError

FILE_MODE = 0o600
DIR_MODE = 0o700
TEMP_SUFFIX = ".tmp"


class CorruptFileError(StorageError):
    """A data file could not be parsed; it was moved aside, never overwritten."""

    def __init__(self, path: Path, moved_to: Path, reason: str) -> None:
        super().__init__(
            f"{path.name} could not be read ({reason}); it was moved aside to {moved_to} "
            "and nothing in it was changed"
        )
        self.path = path
        self.moved_to = moved_to


def ensure_private_dir(path: Path) -> None:
    """Create a folder readable by this user only, and so every missing parent it needs.

    mkdir(parents=True) would create the parents with the default mode; folders that already
    existed (the user's home) are left as they are, except the data folder itself.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(folder, DIR_MODE)
    os.chmod(path, DIR_MODE)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Replace `path` with `content` so that a crash leaves either the old file or the new one."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, FILE_MODE)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete temp files left by a process killed mid-write (they were never acknowledged)."""
    stale = list(folder.rglob(f".*{TEMP_SUFFIX}"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def quarantine(path: Path, reason: str) -> CorruptFileError:
    """Move an unreadable file aside as `name.corrupt-<timestamp>` and describe where it went."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    moved_to = path.with_name(f"{path.name}.corrupt-{stamp}")
    os.replace(path, moved_to)
    _fsync_dir(path.parent)
    return CorruptFileError(path, moved_to, reason)


def read_json(path: Path) -> dict[str, Any] | None:
    """The file's object, None when it does not exist; an unreadable file is quarantined."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise quarantine(path, f"not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise quarantine(path, "not a JSON object")
    return data


class AtomicJSONStorage(Storage):
    """TinyDB storage with atomic durable writes and explicit batches.

    Inside `batch()`, TinyDB's writes are collected and reach the disk as one atomic write when
    the block ends; if the block raises, nothing is written. TinyDB itself always reads what is
    on disk. `snapshot` is the content last written or read, for readers that own the file
    (TinyDB mutates what read() returns, so it never gets the snapshot object itself).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.snapshot: dict[str, Any] | None = None
        self._pending: dict[str, Any] | None = None
        self._dirty = False
        self._batch_depth = 0

    def read(self) -> dict[str, Any] | None:
        if not self._batch_depth:
            return read_json(self.path)
        if self._pending is None:  # read once per batch; TinyDB edits this object in place
            self._pending = read_json(self.path)
        return self._pending

    def write(self, data: dict[str, Any]) -> None:
        if self._batch_depth:
            self._pending, self._dirty = data, True
            return
        write_atomic(self.path, orjson.dumps(data))
        self.snapshot = data  # TinyDB is done with this object once it has been written

    @contextmanager
    def batch(self) -> Iterator[None]:
        self._batch_depth += 1
        try:
            yield
        except BaseException:
            self._batch_depth -= 1
            if not self._batch_depth:
                self._pending, self._dirty = None, False
            raise
        self._batch_depth -= 1
        if not self._batch_depth:
            pending, dirty = self._pending, self._dirty
            self._pending, self._dirty = None, False
            if dirty and pending is not None:
                self.write(pending)

    def close(self) -> None:
        """Nothing is held open between operations."""
