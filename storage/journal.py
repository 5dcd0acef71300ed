"""A day file's journal: the timer events of the day appended, not the whole file rewritten.

A start, a stop or an edit of a segment is one line appended to `days/2026/2026-03-02.journal`
and fsynced, so its cost does not grow with the day; a change to a session (opened, closed,
corrected, deleted, imported) rewrites the day file whole, which folds the journal into it, as
does a writer at open and at close. Every read of a day file replays its journal, so the file
and its journal are read as one.

    <crc32 of the JSON, 8 hex digits> <JSON>\\n
    first line   {"base": <digest of the day file the journal applies to>}
    then         {"put": {table: [record, ...]}, "drop": {table: [key, ...]}}

A journal names the day file it applies to: one left behind by a crash between rewriting the
day file and removing the journal (or by another program's rewrite) applies to another file
and is never replayed (replaying it would take back what the rewrite changed after it). A
writer removes it when the file already holds every audit entry it adds (the rewrite folded
it in: nothing is lost) and otherwise sets it aside as `NAME.stale-<timestamp>` and says so.
A line cut short by a crash was never acknowledged and is ignored; a damaged line before the
last is a damaged journal.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from storage.atomic import FILE_MODE, file_kind, fsync_dir
from storage.documents import DocumentError, upgrade

SUFFIX = ".journal"


def journal_path(day_file: Path) -> Path:
    """`days/2026/2026-03-02.journal`, beside its day file."""
    return day_file.with_suffix(SUFFIX)


def base_digest(content: bytes) -> str:
    """What names a day file's content in its journal's first line."""
    return hashlib.sha256(content).hexdigest()[:32]


def header(base: str) -> bytes:
    return _line({"base": base})


def change_line(put: Mapping[str, Sequence[Any]], drop: Mapping[str, Sequence[Any]]) -> bytes:
    """One change: records put whole (as JSON rows) and records dropped (by their key)."""
    return _line({"put": put, "drop": drop})


def _line(value: object) -> bytes:
    body = orjson.dumps(value)
    return b"%08x " % zlib.crc32(body) + body + b"\n"


class Replay(NamedTuple):
    changes: list[dict[str, Any]]
    """The changes of a journal that applies to the day file, in order ([] for another's)."""
    applies: bool
    """Whether the journal was written over this very day file."""
    whole: int
    """Bytes up to the end of the last whole line (what a writer keeps of a cut-short tail)."""


def replay(content: bytes, base: str) -> Replay:
    """The changes a journal holds for the day file whose digest is `base`; DocumentError
    when a line before the last is damaged."""
    parsed, whole = _parsed(content)
    if not parsed or parsed[0].get("base") != base:
        return Replay([], False, whole)
    changes = parsed[1:]
    for change in changes:
        if not (isinstance(change.get("put"), dict) and isinstance(change.get("drop"), dict)):
            raise DocumentError("its journal holds a line that is not a change")
    return Replay(changes, True, whole)


def folded_into(content: bytes, raw: Mapping[str, Any]) -> bool:
    """Whether a journal of another file is one a rewrite of `raw` already folded in (a crash
    came between the rewrite and the journal's removal): every audit entry it adds is in the
    file. Audit entries are never dropped and their ids are new UUIDs, so only a file written
    after reading the whole journal holds them all."""
    try:
        parsed, _ = _parsed(content)
    except DocumentError:
        return False
    added: set[str] = set()
    for change in parsed[1:]:
        put = change.get("put")
        added.update(_ids(put.get("audit") if isinstance(put, dict) else None))
    audit = raw.get("audit")
    return bool(added) and added <= _ids(audit.values() if isinstance(audit, dict) else None)


def _ids(rows: object) -> set[str]:
    """The ids of the records among `rows` (anything a file holds)."""
    if not isinstance(rows, Iterable) or isinstance(rows, str | bytes):
        return set()
    return {row["id"] for row in rows if isinstance(row, dict) and isinstance(row.get("id"), str)}


def _parsed(content: bytes) -> tuple[list[dict[str, Any]], int]:
    """The whole lines of a journal, parsed, and the bytes they take."""
    lines = content.split(b"\n")
    whole = len(content) - len(lines[-1])  # the part after the last newline was cut short
    parsed: list[dict[str, Any]] = []
    for number, line in enumerate(lines[:-1], start=1):
        value = _parse(line)
        if value is None:
            if number == len(lines) - 1:  # the last line: never acknowledged
                whole -= len(line) + 1
                break
            raise DocumentError(f"its journal's line {number} is damaged")
        parsed.append(value)
    return parsed, whole


def _parse(line: bytes) -> dict[str, Any] | None:
    crc, _, body = line.partition(b" ")
    try:
        if len(crc) != 8 or int(crc, 16) != zlib.crc32(body):
            return None
        value = orjson.loads(body)
    except (ValueError, orjson.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def apply(raw: dict[str, Any], changes: list[dict[str, Any]], keys: Mapping[str, str]) -> None:
    """The changes, in order, on a day file's tables as TinyDB lays them out (document id ->
    record): a record put replaces the one of the same key or comes last; DocumentError for a
    change that is not one of a day file's."""
    tables: dict[str, _Table] = {}
    for change in changes:
        for action in ("put", "drop"):
            for name, items in change[action].items():
                if name not in keys or not isinstance(items, list):
                    raise DocumentError(f"its journal changes records of {name!r}")
                if name not in tables:
                    tables[name] = _Table(raw, name, keys[name])
                table = tables[name]
                for item in items:
                    if action == "put":
                        table.put(item)
                    else:
                        table.drop(item)


class _Table:
    """One table of a day file's tables, findable by each record's own key."""

    def __init__(self, raw: dict[str, Any], name: str, key: str) -> None:
        rows = raw.setdefault(name, {})
        if not isinstance(rows, dict):
            raise DocumentError(f"its {name} table is not a table")
        self._rows, self._name, self._key = rows, name, key
        self._ids = {row.get(key): doc_id for doc_id, row in rows.items()
                     if isinstance(row, dict)}
        self._next = max((int(doc_id) for doc_id in rows if doc_id.isdigit()), default=0) + 1

    def put(self, row: object) -> None:
        if not isinstance(row, dict) or not isinstance(row.get(self._key), str):
            raise DocumentError(f"its journal puts a {self._name} record without its "
                                f"{self._key}")
        doc_id = self._ids.get(row[self._key])
        if doc_id is None:
            doc_id = self._ids[row[self._key]] = str(self._next)
            self._next += 1
        self._rows[doc_id] = row

    def drop(self, key: object) -> None:
        doc_id = self._ids.pop(key, None) if isinstance(key, str) else None
        if doc_id is not None:
            del self._rows[doc_id]


def append(path: Path, lines: bytes, *, fresh: bool = False) -> None:
    """Add `lines` at the end of the journal, durably (a new journal's folder entry too);
    on failure the journal is cut back to what it was. `fresh`: a new journal, over anything
    at its path (which applies to no file)."""
    flags = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_NONBLOCK", 0))  # a named pipe put there never blocks the app
    fd = os.open(path, flags | (os.O_TRUNC if fresh else 0), FILE_MODE)
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            raise OSError(errno.EINVAL, f"the journal is {file_kind(found.st_mode)}")
        size = found.st_size
        try:
            if os.write(fd, lines) != len(lines):
                raise OSError(errno.ENOSPC, "the journal was written in part")
            os.fsync(fd)
        except BaseException:
            os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)
    if size == 0:
        fsync_dir(path.parent)


def cut(path: Path, whole: int) -> None:
    """Drop a tail cut short by a crash, so the next line starts on a line of its own."""
    fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        os.ftruncate(fd, whole)
        os.fsync(fd)
    finally:
        os.close(fd)


def folded(content: bytes, appended: bytes, keys: Mapping[str, str]) -> bytes:
    """A day file's content with its journal in it, as a read sees them (a backup holds day
    files this way); the content as it is when it is not JSON tables (the read refuses it)
    or the journal applies to another file. DocumentError for a damaged journal."""
    try:
        raw = upgrade(orjson.loads(content))
    except (orjson.JSONDecodeError, DocumentError):
        return content
    found = replay(appended, base_digest(content))
    if not found.changes:
        return content
    apply(raw, found.changes, keys)
    return orjson.dumps(raw)


def set_aside(path: Path) -> Path:
    """A journal that applies to no file, kept beside it as `NAME.stale-<timestamp>`."""
    moved = path.with_name(f"{path.name}.stale-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}")
    os.replace(path, moved)
    fsync_dir(path.parent)
    return moved
