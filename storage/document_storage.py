"""One data-folder file for TinyDB: read once, validated as a whole, written in atomic batches.

`DocumentStorage` is TinyDB's documented extension point (a `Storage` subclass): it reads a
file once, validates it as a whole against its model (storage/documents.py) and keeps it;
a change goes through TinyDB's tables and reaches the disk as one atomic, durable replacement
of the file, or, for a timer event on a day file, as one line appended to the day's journal
(storage/journal.py), which every read replays. A file that is not what it should be is moved
aside by a writer (never overwritten) and skipped by a reader; one that cannot be read for
another reason (permissions, a newer Tabletime) is never written.
"""

from __future__ import annotations

import contextlib
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

import orjson
from tinydb import Storage

from core.text import printable
from storage import journal
from storage.atomic import (
    NotAFile,
    ensure_private_dir,
    file_kind,
    file_state,
    fsync_dir,
    quarantine,
    read_regular,
    write_atomic,
)
from storage.documents import (
    META,
    SCHEMA_VERSION,
    DayDocument,
    Document,
    DocumentError,
    NewerSchema,
    document_kind,
    upgrade,
    validate,
)
from storage.errors import StorageError, UnwritableFile

Severity = Literal["information", "warning", "error"]
Report = Callable[[str, Severity], None]
Records = dict[str, dict[Any, Any]]
MAX_FILE_BYTES = 64 * 1024 * 1024
MIN_FOLD_BYTES = 64 * 1024
"""A journal grows until it is as large as its day file (at least this): then the next change
rewrites the file whole, so that a read replays a bounded journal."""


class _NotOurs(Exception):
    """Something at a data file's path that Tabletime did not write and will not read."""


class _DamagedJournal(Exception):
    """A day file whose journal cannot be replayed on it; the message says why."""


def record_key(value: object) -> Any:
    """A record's key as its JSON form (what TinyDB's queries compare): a UUID or a date as
    text, a number as it is."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


class DocumentStorage(Storage):
    """One data-folder file for TinyDB: read once and validated, written in atomic batches.

    TinyDB edits what `read` returns in place, so a batch that fails drops what was kept
    (the next read is from disk): what is kept is always what is on disk.
    """

    def __init__(self, path: Path, *, root: Path, report: Report, writer: bool,
                 lost: Callable[[Path, Path, str], None], written: Callable[[Path], None],
                 refused: Callable[[Path, str, str], None], guard: Callable[[], None]) -> None:
        self.path = path
        self._written = written
        self._refused = refused
        self._guard = guard
        self.kind, self.context = document_kind(root, path)
        self._report = report
        self._writer = writer
        self._lost = lost
        self._raw: dict[str, Any] | None = None
        self._records: Records | None = None
        self._ids: dict[str, dict[Any, int]] | None = None
        self._refusal: str | None = None
        self._pending: dict[str, Any] | None = None
        self._dirty = False
        self._in_batch = False
        self.journaled = self.kind is DayDocument
        self._journal = journal.journal_path(path)
        self._base: tuple[str, int, str | None] | None = None
        """The day file's digest, size and stamp as read or written (None: no file to journal
        on); a file whose stamp changed since (rewritten by another program) is written whole,
        never journaled on."""
        self._journal_size = 0
        """Bytes of the journal that apply to the day file (0: none)."""

    def records(self) -> Records:
        """The validated records of every table, keyed by their own id (not TinyDB's)."""
        if self._records is None:
            self._load()
        assert self._records is not None
        return self._records

    def doc_ids(self, table: str) -> dict[Any, int]:
        """Each record's TinyDB document id, by the record's own key (found once per file)."""
        if self._ids is None:
            raw = self.read()
            self._ids = {}
            for name in self.kind.TABLES:
                field = self.kind.KEYS[name]
                self._ids[name] = {row[field]: int(doc_id)
                                   for doc_id, row in raw.get(name, {}).items()}
        return self._ids[table]

    def read(self) -> dict[str, Any]:
        if self._raw is None:
            self._load()
        assert self._raw is not None
        if not self._in_batch:
            return self._raw
        if self._pending is None:
            self._pending = self._raw
        return self._pending

    def write(self, data: dict[str, Any]) -> None:
        if self._refusal is not None:
            raise UnwritableFile(self._refusal)
        self._pending, self._dirty = data, True

    @contextmanager
    def batch(self, applied: Callable[[Records], None],
              line: Callable[[], bytes | None] | None = None) -> Iterator[None]:
        """TinyDB's writes in the block reach the disk at its end, as the journal `line` when
        it gives one and the file can take it, else as one atomic write of the file; then
        `applied` updates the kept records. If the block raises (or the disk refuses),
        nothing is written and nothing kept."""
        if self._in_batch:
            raise RuntimeError(f"{self.path.name}: a batch inside a batch of the same file")
        self._in_batch = True
        try:
            yield
            if self._dirty and self._pending is not None:
                change = line() if line is not None else None
                if change is None or not self._append(change):
                    self._write_whole(self._pending)
                self._written(self.path)
                self._raw = self._pending
                applied(self.records())
        except BaseException:
            self._raw = self._records = self._ids = None
            raise
        finally:
            self._pending, self._dirty, self._in_batch = None, False, False

    def fold(self) -> bool:
        """Write the day file whole with its journal in it, and remove the journal; False
        when there was nothing to fold."""
        raw = self.read()
        if not self._journal_size or self._refusal is not None:
            return False
        self._write_whole(raw)
        self._written(self.path)
        return True

    def _append(self, change: bytes) -> bool:
        """The change appended to the journal; False when it should rewrite the file instead
        (no file yet, a journal as large as its file, or a file another program rewrote)."""
        if not self.journaled or self._base is None:
            return False
        size = self._journal_size + len(change)
        if size > max(self._base[1], MIN_FOLD_BYTES) or self._on_disk() != self._base[2]:
            return False
        lines = change if self._journal_size else journal.header(self._base[0]) + change
        self._guard()  # the folder at the path is still the one this process locked
        journal.append(self._journal, lines, fresh=not self._journal_size)
        self._journal_size += len(lines)
        return True

    def _on_disk(self) -> str | None:
        """Which file is at the path (another program's rewrite changes it)."""
        return file_state(self.path, with_inode=True)

    def _write_whole(self, raw: dict[str, Any]) -> None:
        """The file replaced in one atomic durable write, and its journal, now in it, removed
        (a crash in between leaves a journal the file holds: removed at the next open)."""
        raw.setdefault(META, {"1": {"schema": SCHEMA_VERSION}})
        content = orjson.dumps(raw)  # fails before the disk is touched
        self._guard()  # the folder at the path is still the one this process locked
        ensure_private_dir(self.path.parent)
        write_atomic(self.path, content)
        if self.journaled:
            self._base = journal.base_digest(content), len(content), self._on_disk()
            applied, self._journal_size = self._journal_size, 0
            if applied:  # now in the file: its removal is housekeeping (a leftover is set aside)
                with contextlib.suppress(OSError):
                    self._journal.unlink(missing_ok=True)
                    fsync_dir(self.path.parent)
            elif self._journal.exists():  # of another file: set aside, never replayed
                self._set_aside_journal()

    def close(self) -> None:
        """Nothing is held open between operations."""

    def _load(self) -> None:
        self._refusal = None
        self._ids = None
        self._base, self._journal_size = None, 0
        document = self.kind()
        try:
            # The journal first: a fold between the two reads leaves the file holding it.
            appended = self._journal_content() if self.journaled else None
            content = self._content()
            raw = upgrade(orjson.loads(content))
            if self.journaled and (self._writer or appended is not None):
                # What a journal is replayed on and appended after: a reader with no journal
                # to replay (an export reading every day once) digests nothing.
                self._base = (journal.base_digest(content), len(content),
                              self._on_disk())
                document, raw = self._with_journal(raw, appended)
            else:
                document = validate(raw, self.kind, self.context)
        except FileNotFoundError:
            raw = {}
        except _NotOurs as error:
            raw = self._unreadable(str(error))
        except orjson.JSONDecodeError as error:
            raw = self._damaged(DocumentError(f"not valid JSON: {error}"))
        except NewerSchema as error:
            raw = self._unreadable(str(error))
        except _DamagedJournal as error:
            if self._journal_moved_aside(str(error)):
                self._load()  # the day file as it holds, without the journal
                return
            raw = {}
        except DocumentError as error:
            raw = self._damaged(error)
        except OSError as error:
            raw = self._unreadable(f"cannot be read ({error.strerror})")
        self._raw = raw
        self._records = {
            table: {record_key(getattr(record, self.kind.KEYS[table])): record
                    for record in getattr(document, table).values()}
            for table in self.kind.TABLES
        }

    def _content(self) -> bytes:
        info = self.path.lstat()
        if not stat.S_ISREG(info.st_mode):
            raise _NotOurs(f"is {file_kind(info.st_mode)}, not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise _NotOurs(f"is {info.st_size:,} bytes, more than any Tabletime file")
        return self.path.read_bytes()

    def _journal_content(self) -> bytes | None:
        try:
            content = read_regular(self._journal)
        except FileNotFoundError:
            return None
        except NotAFile as error:
            raise _NotOurs(f"has a journal that {error}") from None
        except OSError as error:
            raise _NotOurs(f"has a journal that cannot be read ({error.strerror})") from None
        if len(content) > MAX_FILE_BYTES:
            raise _NotOurs(f"has a journal of {len(content):,} bytes, more than Tabletime writes")
        return content

    def _with_journal(self, raw: dict[str, Any], appended: bytes | None
                      ) -> tuple[Document, dict[str, Any]]:
        """The day file with its journal's changes in it, validated once. A journal of
        another file (the file rewritten after it) is set aside by a writer, never replayed;
        a tail cut short by a crash is cut off by a writer. _DamagedJournal when the journal
        cannot be replayed or makes the file invalid; DocumentError when the file itself is."""
        assert self._base is not None
        if appended is None:
            return validate(raw, self.kind, self.context), raw
        try:
            found = journal.replay(appended, self._base[0])
            merged = {table: dict(rows) if isinstance(rows, dict) else rows
                      for table, rows in raw.items()} if found.changes else raw
            journal.apply(merged, found.changes, self.kind.KEYS)
        except DocumentError as error:
            raise _DamagedJournal(str(error)) from None
        try:
            document = validate(merged, self.kind, self.context)
        except DocumentError:
            if merged is raw:
                raise
            validate(raw, self.kind, self.context)  # the file's own fault: DocumentError
            raise _DamagedJournal("its changes do not make a valid day file") from None
        if self._writer and not found.applies:
            self._drop_journal_of_another_file(appended, raw)
        elif self._writer and found.whole < len(appended):
            journal.cut(self._journal, found.whole)
        self._journal_size = found.whole if found.applies else 0
        return document, merged

    def _drop_journal_of_another_file(self, appended: bytes, raw: dict[str, Any]) -> None:
        """Removed when the file already holds it (a crash between a fold's rewrite and the
        journal's removal), set aside and said otherwise."""
        if not journal.folded_into(appended, raw):
            self._set_aside_journal()
            return
        with contextlib.suppress(OSError):  # housekeeping: the next open tries again
            self._journal.unlink()
            fsync_dir(self.path.parent)

    def _set_aside_journal(self) -> None:
        """A journal written for an earlier version of its day file (rewritten since, by this
        app before a crash or by another program): kept beside it, never replayed."""
        with contextlib.suppress(OSError):
            moved = journal.set_aside(self._journal)
            self._report(f"{self._journal.name} was written for an earlier version of "
                         f"{self.path.name} (rewritten since); it was not replayed and was "
                         f"set aside as {printable(moved.name)}", "warning")

    def _damaged(self, error: DocumentError) -> dict[str, Any]:
        if not self._writer or not self._still_ours():
            return self._unreadable(f"could not be read ({error})",
                                    " (the app moves it aside when it opens)")
        moved = quarantine(self.path)
        self._report(f"{self.path.name} could not be read ({error}); it was moved aside to "
                     f"{printable(str(moved))} and nothing in it was changed", "error")
        if self.journaled and self._journal.exists():  # its changes go with it
            quarantine(self._journal)
        self._lost(self.path, moved, f"could not be read ({error})")
        return {}

    def _journal_moved_aside(self, reason: str) -> bool:
        """A journal that cannot be replayed: moved aside by a writer (the day file is then
        read as it holds, without the journal's timer events), left as it is by a reader,
        which skips the day."""
        if not self._writer or not self._still_ours():
            self._unreadable(f"has a journal that could not be replayed ({reason})",
                             " (the app moves it aside when it opens)")
            return False
        moved = quarantine(self._journal)
        why = f"its journal could not be replayed ({reason})"
        self._report(f"{self.path.name}: {why}; the journal was moved aside to "
                     f"{printable(str(moved))} and the day reads without the timer starts "
                     "and stops it held", "error")
        self._lost(self._journal, moved, why)
        return True

    def _still_ours(self) -> bool:
        """Whether moving a file aside is this process's to do (see `guard`)."""
        try:
            self._guard()
        except StorageError:
            return False
        return True

    def _unreadable(self, reason: str, hint: str = "") -> dict[str, Any]:
        self._refusal = (f"{printable(str(self.path))} {reason}; it was left as it is and "
                         "nothing was written to it")
        self._refused(self.path, reason, hint)
        return {}
