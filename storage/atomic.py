"""Crash-safe files: every write replaces the whole file atomically and durably.

TinyDB's JSONStorage rewrites its file in place and truncates afterwards, so a kill mid-write
leaves a torn file. Here a write is serialised first (a value that cannot be saved fails before
the disk is touched), goes to a temp file in the same folder, is flushed and fsynced, replaces
the target with os.replace, and the folder is fsynced so the rename itself survives a power cut
(once per folder for many files: `folders_synced_once`).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
TEMP_SUFFIX = ".tmp"


def ensure_private_dir(path: Path) -> None:
    """Create a missing folder, and every missing parent, readable by this user only.

    A folder that exists is never chmodded (it may be shared, or a link the user made on
    purpose): `wider_than_private` lets the caller warn about it instead.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue  # made meanwhile by someone else: theirs, not to chmod
        os.chmod(folder, DIR_MODE)  # mkdir's mode is masked by the umask


def wider_than_private(path: Path) -> int | None:
    """The folder's mode when others may read or enter it, else None."""
    mode = stat.S_IMODE(path.stat().st_mode)
    return mode if mode & 0o077 else None


class NotAFile(Exception):
    """Something other than a regular file where one was expected; the message says what."""


def file_kind(mode: int) -> str:
    """What a non-regular file is, in a user's words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def read_regular(path: Path, *, follow_links: bool = False) -> bytes:
    """A regular file's content, never blocking: a named pipe would wait for a writer forever
    and a device may do something when opened, so the kind is looked at first (lstat, or stat
    when `follow_links`), the file opened without waiting and looked at again. NotAFile
    otherwise; OSError as the system says (FileNotFoundError, PermissionError...)."""
    found = path.stat() if follow_links else path.lstat()
    if not stat.S_ISREG(found.st_mode):
        raise NotAFile(f"is {file_kind(found.st_mode)}, not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
    if not follow_links:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        opened = os.fstat(handle.fileno())
        if not stat.S_ISREG(opened.st_mode):  # swapped in between
            raise NotAFile(f"is {file_kind(opened.st_mode)}, not a regular file")
        return handle.read()


def file_state(path: Path, *, with_inode: bool = False) -> str | None:
    """Modification time and size (and the inode, `with_inode`: a file replaced by another
    program's rename changes it); None when there is no file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    state = f"{info.st_mtime_ns}-{info.st_size}"
    return f"{info.st_ino}-{state}" if with_inode else state


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_UNSYNCED: ContextVar[set[Path] | None] = ContextVar("unsynced_folders", default=None)
"""Inside `folders_synced_once`: the folders whose renames are not yet durable."""


@contextmanager
def folders_synced_once() -> Iterator[None]:
    """Many files written in a few folders (an import's day files): each folder is fsynced
    once for the renames into it, not once per file. Each file is still atomic at once (a
    kill leaves the old or the new) and every rename is durable when the block ends; a write
    into another folder first makes durable the renames before it (an index file is never
    durable before the day files it derives from)."""
    token = _UNSYNCED.set(set())
    try:
        yield
    finally:
        try:
            _sync_folders_but(None)  # whatever stopped the block: what was renamed stays
        finally:
            _UNSYNCED.reset(token)


def _sync_folders_but(folder: Path | None) -> None:
    """Fsync the folders with renames not yet durable, but `folder`."""
    unsynced = _UNSYNCED.get()
    if not unsynced:
        return
    for other in sorted(unsynced - {folder}):
        fsync_dir(other)
        unsynced.discard(other)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Replace `path` with `content` so that a crash leaves either the old file or the new one."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    _sync_folders_but(path.parent)
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
    unsynced = _UNSYNCED.get()
    if unsynced is None:
        fsync_dir(path.parent)
    else:
        unsynced.add(path.parent)


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete temp files left by a process killed mid-write (they were never acknowledged)."""
    stale = list(folder.rglob(f".*{TEMP_SUFFIX}"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def quarantine(path: Path) -> Path:
    """Move an unreadable file aside as `name.corrupt-<timestamp>`; never overwrite it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    moved_to = path.with_name(f"{path.name}.corrupt-{stamp}")
    os.replace(path, moved_to)
    fsync_dir(path.parent)
    return moved_to
