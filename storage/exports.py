"""Files written for the user: exports on the command line (`--out`, standard output) and
from the app (`exports/`). Nothing is ever destroyed on the way, and a file appears complete
or not at all; `lacking` says what an export would be without (a day file that could not be
read, sessions a day file lost), so that the command line can refuse a partial one.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TextIO, cast

from core.text import plural, printable
from storage import layout
from storage.atomic import FILE_MODE, ensure_private_dir, fsync_dir
from storage.errors import BadPath, IncompleteExport
from storage.reading import FolderReader

Produce = Callable[[TextIO], int]
"""Writes a CSV into the stream it is given; returns how many rows."""
SPOOL_IN_MEMORY = 16 * 1024 * 1024
"""An export to standard output is held in memory up to this size, then in a temp file."""


def lacking(folder: FolderReader, first: date | None, last: date | None, *,
            year_to_date: bool) -> dict[str, str]:
    """What an export of the dates [first, last] lacks, by file: each day file of the range
    that could not be read, each date of the range whose file lost sessions the index knew,
    and, when the export counts the year so far (KX), the day files of that year before the
    range and patients.json. Call it after the export read its days."""
    start = date(first.year, 1, 1) if year_to_date and first is not None else first

    def within(day: date, since: date | None) -> bool:
        return (since is None or day >= since) and (last is None or day <= last)

    found = {}
    for skipped in folder.skipped():
        if skipped.day is not None:
            if within(skipped.day, start):
                found[str(skipped.path)] = skipped.reason
        elif year_to_date and skipped.entered:
            found[str(skipped.path)] = skipped.reason
    for day_file in folder.missing():
        if within(day_file.day, first):
            found.setdefault(str(day_file.path),
                             f"lost {plural(day_file.lost, 'session')} the index knew")
    return found


MAX_LACKING_NAMED = 10


def named_files(lacks: dict[str, str]) -> str:
    """`2 files (days/2026/2026-03-02.json: is a folder, not a regular file; ...)`."""
    listed = [f"{file}: {reason}" for file, reason in sorted(lacks.items())]
    more = len(listed) - MAX_LACKING_NAMED
    return (f"{plural(len(listed), 'file')} ({'; '.join(listed[:MAX_LACKING_NAMED])}"
            + (f"; and {more} more" if more > 0 else "") + ")")


def require_whole(folder: FolderReader, first: date | None, last: date | None, *,
                  year_to_date: bool, partial: bool = False) -> dict[str, str]:
    """What an export lacks (`lacking`): IncompleteExport naming it, so that nothing is
    written, unless the user accepts a `partial` export."""
    lacks = lacking(folder, first, last, year_to_date=year_to_date)
    if lacks and not partial:
        raise IncompleteExport(f"the export would lack {named_files(lacks)}: nothing was "
                               "written; repair it (tabletime check says how)")
    return lacks


def write_stream(out: TextIO, produce: Produce) -> int:
    """Produce into a spool, and copy it to `out` only once `produce` returned: standard
    output gets the whole export or nothing (a refusal midway writes nothing to it)."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+", encoding="utf-8",
                                       newline="") as spool:
        stream = cast(TextIO, spool)
        rows = produce(stream)
        stream.seek(0)
        shutil.copyfileobj(stream, out)
    return rows


def check_out(path: Path, data_dir: Path, *, force: bool = False) -> bool:
    """Whether `path` is a regular file that `force` allows to replace; BadPath for a path
    inside the data folder or any other (a folder holding settings.toml and days/: another
    therapist's, a restored copy), a folder, a missing folder, anything that is not a regular
    file (a device, a pipe, a link), and an existing file without `force`."""
    where = printable(str(path))
    data = data_dir.resolve()
    resolved = path.resolve()
    folders = [folder for folder in resolved.parents
               if (folder / layout.SETTINGS_NAME).exists() and (folder / layout.DAYS).is_dir()]
    if resolved == data or data in resolved.parents or folders:
        inside = folders[0] if folders and data not in resolved.parents else data
        raise BadPath(f"{where} is inside the data folder {printable(str(inside))}: a file "
                      "there could replace Tabletime's own files; choose a file outside it")
    if not path.parent.is_dir():
        raise BadPath(f"{where}: the folder {printable(str(path.parent))} does not exist")
    try:
        found = path.lstat()
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(found.st_mode):
        raise BadPath(f"{where} is a folder: give a file name inside it")
    if not stat.S_ISREG(found.st_mode):
        raise BadPath(f"{where} is not a regular file (a device, pipe or link): nothing was "
                      "written; give the name of a new file")
    if not force:
        raise BadPath(f"{where} exists: nothing was written; add --force to replace it")
    return True


def write_out(path: Path, data_dir: Path, produce: Produce, *, force: bool = False) -> int:
    """Write a file the user named (checked by `check_out`), 0600: it holds patient data."""
    return write_built(path, data_dir, _text(produce), force=force)


def write_built(path: Path, data_dir: Path, build: Callable[[Path], int], *,
                force: bool = False) -> int:
    """As `write_out`, for a file `build` writes itself at the path it is given (a SQLite
    database): built beside the target, made durable, then put in its place."""
    replace = check_out(path, data_dir, force=force)
    return _publish(path.parent, build, lambda temp: _place(temp, path, replace))


def write_export(data_dir: Path, name: str, produce: Produce) -> tuple[Path, int]:
    """Write an export made in the app into the data folder's exports/ under a name not yet
    taken (`lines-2026-03-02.csv`, then `lines-2026-03-02-2.csv`...); say where it went."""
    folder = data_dir / layout.EXPORTS
    ensure_private_dir(folder)
    stem, suffix = os.path.splitext(name)
    placed: list[Path] = []

    def place(temp: Path) -> None:
        for number in range(1, 1000):
            path = folder / (name if number == 1 else f"{stem}-{number}{suffix}")
            try:
                _place(temp, path, replace=False)
            except BadPath:
                continue
            placed.append(path)
            return
        raise BadPath(f"{printable(str(folder))} already holds 999 exports named {name}")

    rows = _publish(folder, _text(produce), place)
    return placed[0], rows


def _text(produce: Produce) -> Callable[[Path], int]:
    """A CSV producer as a builder of the file at a path."""
    def build(path: Path) -> int:
        with path.open("w", encoding="utf-8", newline="") as handle:
            return produce(handle)
    return build


def _publish(folder: Path, build: Callable[[Path], int], place: Callable[[Path], None]) -> int:
    """Build a temp file beside the target, make it durable, then place it."""
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".tabletime-export.", suffix=".tmp")
    except OSError as error:
        raise BadPath(f"cannot write a file in {printable(str(folder))}: "
                      f"{error.strerror or error}") from None
    os.close(fd)
    temp = Path(name)
    try:
        rows = build(temp)
        with temp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(temp, FILE_MODE)
        place(temp)
        fsync_dir(folder)
    finally:
        temp.unlink(missing_ok=True)
    return rows


NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK})


def _place(temp: Path, path: Path, replace: bool) -> None:
    """Put the finished temp file at `path`: replacing it only when asked, else never
    over something that is there (a link, unlike a rename, fails if the name is taken)."""
    if replace:
        os.replace(temp, path)
        return
    try:
        os.link(temp, path)
    except FileExistsError:
        raise BadPath(f"{printable(str(path))} exists: nothing was written") from None
    except OSError as error:
        if error.errno not in NO_HARD_LINKS:
            raise
        _copy_exclusive(temp, path)  # a USB stick's FAT or exFAT has no hard links


def _copy_exclusive(temp: Path, path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        raise BadPath(f"{printable(str(path))} exists: nothing was written") from None
    try:
        with os.fdopen(fd, "wb") as out, temp.open("rb") as source:
            shutil.copyfileobj(source, out)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
