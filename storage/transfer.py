"""Segments CSV files in and out of a data folder (export, import, backup)."""

from __future__ import annotations

import csv
import errno
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, tzinfo
from pathlib import Path

from core.catalog import Catalog
from core.minutes import code_minutes
from core.models import Frozen, PayerProfile, Segment
from core.segments_csv import COLUMNS, ImportedSession, RowError, parse_segment_rows, segment_row
from core.session import Session
from core.text import printable
from core.units import compute_units
from storage.atomic import FILE_MODE, ensure_private_dir, write_atomic
from storage.errors import BadPath, disk_problem
from storage.repository import Repository


def export_segments(repo: Repository, first: date | None = None, last: date | None = None) -> str:
    """The segments CSV of every session whose date of service is in [first, last]."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for day in repo.all_days():
        if (first and day < first) or (last and day > last):
            continue
        segments = repo.segments_on(day)
        for session in repo.sessions_on(day):
            for segment in (s for s in segments if s.session_id == session.id):
                writer.writerow(segment_row(session, segment, repo.zone))
    return out.getvalue()


EXPORTS = "exports"


def write_out(path: Path, text: str, data_dir: Path, *, force: bool = False) -> None:
    """Write an export to a file the user named, never destroying anything on the way.

    The file is created 0600 (it holds patient references), complete or not at all.
    """
    if check_out(path, data_dir, force=force):
        write_atomic(path, text)
    else:
        _write_new(path, text.encode("utf-8"))


def check_out(path: Path, data_dir: Path, *, force: bool = False) -> bool:
    """Whether `path` is a regular file that `force` allows to replace; BadPath for a path
    inside the data folder, a folder, a missing folder, anything that is not a regular file
    (a device, a pipe, a link), and an existing file without `force`."""
    where = printable(str(path))
    data = data_dir.resolve()
    resolved = path.resolve()
    if resolved == data or data in resolved.parents:
        raise BadPath(f"{where} is inside the data folder {printable(str(data))}: an export "
                      "there could replace Tabletime's own files; choose a file outside it")
    if not path.parent.is_dir():
        raise BadPath(f"{where}: the folder {printable(str(path.parent))} does not exist")
    try:
        found = path.lstat()
    except FileNotFoundError:
        found = None
    if found is not None:
        if stat.S_ISDIR(found.st_mode):
            raise BadPath(f"{where} is a folder: give a file name inside it")
        if not stat.S_ISREG(found.st_mode):
            raise BadPath(f"{where} is not a regular file (a device, pipe or link): nothing "
                          "was written; use --out - for standard output")
        if not force:
            raise BadPath(f"{where} exists: nothing was written; add --force to replace it")
        return True
    return False


def _write_new(path: Path, data: bytes) -> None:
    """Create `path` with `data`, durably, failing if something appears there meanwhile."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, FILE_MODE)
        try:
            os.link(temp, path)  # unlike a rename, a link never replaces what is there
        except OSError as error:
            if error.errno not in NO_HARD_LINKS:
                raise
            _write_exclusive(path, data)  # a USB stick's FAT or exFAT has no hard links
    except FileExistsError:
        raise BadPath(f"{printable(str(path))} appeared meanwhile: nothing was written") from None
    finally:
        Path(temp).unlink(missing_ok=True)


NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK})


def _write_exclusive(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def write_export(data_dir: Path, name: str, text: str) -> Path:
    """Write an export made in the app into the data folder's exports/ under a name not yet
    taken (`lines-2026-03-02.csv`, then `lines-2026-03-02-2.csv`...), and say where."""
    folder = data_dir / EXPORTS
    ensure_private_dir(folder)
    stem, suffix = os.path.splitext(name)
    for number in range(1, 1000):
        path = folder / (name if number == 1 else f"{stem}-{number}{suffix}")
        try:
            _write_new(path, text.encode("utf-8"))
        except BadPath:
            continue
        return path
    raise BadPath(f"{printable(str(folder))} already holds 999 exports named {name}")


class ImportReport(Frozen):
    sessions: int = 0
    segments: int = 0
    skipped: tuple[str, ...] = ()
    errors: tuple[RowError, ...] = ()


def import_segments(repo: Repository, path: Path) -> ImportReport:
    """Import a segments CSV: every row is checked first and nothing is written if one is bad.

    A session already stored is skipped and reported, never duplicated, so an import that
    was killed half-way can simply be run again.
    """
    sessions, errors = read_segments(path, repo.catalog, repo.zone, repo.now())
    if errors:
        return ImportReport(errors=tuple(errors))
    stored = repo.session_dates({s.id for s in sessions})
    errors = [RowError(line=s.lines[0], column="session_id", message=(
                  f"this session is already stored with the date of service "
                  f"{stored[s.id]}, not {s.date_of_service}"))
              for s in sessions if s.id in stored and stored[s.id] != s.date_of_service]
    fresh = [s for s in sessions if s.id not in stored]
    skipped = tuple(str(s.id) for s in sessions if s.id in stored)
    errors += _overlaps_with_store(repo, fresh)
    if errors:
        return ImportReport(skipped=skipped, errors=tuple(errors))
    bundles = [(_session(repo, item), item.segments) for item in fresh]
    repo.add_imported(bundles)
    # Also for skipped sessions: an import killed before this point is healed by a re-run.
    repo.refresh_ledger({item.date_of_service for item in sessions})
    return ImportReport(sessions=len(fresh), segments=sum(len(s.segments) for s in fresh),
                        skipped=skipped)


MAX_CELL = 8192
"""Characters in one CSV cell: far above any field's limit, far below what fills memory."""


def read_segments(path: Path, catalog: Catalog, zone: tzinfo, now: datetime
                  ) -> tuple[list[ImportedSession], list[RowError]]:
    """Read and check a segments CSV; a cell too long or a NUL byte is a row error."""
    errors: list[RowError] = []

    def rows(reader: Iterator[list[str]], line: Callable[[], int]
             ) -> Iterator[tuple[int, list[str]]]:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                errors.append(RowError(line=line(), column="row", message=str(error)))
                continue
            yield line(), row

    limit = csv.field_size_limit(MAX_CELL)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            try:
                header = next(reader, [])
            except csv.Error as error:
                return [], [RowError(line=1, column="header", message=str(error))]
            sessions, found = parse_segment_rows(
                header, rows(reader, lambda: reader.line_num), catalog, zone, now)
    except UnicodeDecodeError:
        raise BadPath(f"cannot read {printable(str(path))}: it is not UTF-8 text (save it "
                      "as CSV UTF-8)") from None
    except OSError as error:
        raise BadPath(f"cannot read {printable(str(path))}: {disk_problem(error)}") from None
    finally:
        csv.field_size_limit(limit)
    errors = sorted([*errors, *found], key=lambda e: e.line)
    return ([], errors) if errors else (sessions, [])


def _session(repo: Repository, item: ImportedSession) -> Session:
    """The stored form of an imported session: closed (with its billing) once all segments end."""
    try:
        payer = repo.settings.payer(item.payer)
        if payer.method is not item.method:
            payer = PayerProfile(name=item.payer, method=item.method)
    except KeyError:
        payer = PayerProfile(name=item.payer, method=item.method)
    ends = [s.end for s in item.segments]
    closed_at = None if None in ends else max(e for e in ends if e is not None)
    billing = None
    if closed_at is not None:
        billing = compute_units(code_minutes(item.segments, closed_at), item.method, repo.catalog)
    return Session(id=item.id, patient=item.patient, payer=payer, discipline=item.discipline,
                   date_of_service=item.date_of_service,
                   opened_at=min(s.start for s in item.segments),
                   closed_at=closed_at, billing=billing)


def _overlaps_with_store(repo: Repository, sessions: Sequence[ImportedSession]) -> list[RowError]:
    errors = []
    nearby: dict[date, list[Segment]] = {}
    for item in sessions:
        if item.date_of_service not in nearby:
            nearby[item.date_of_service] = repo.timed_segments_near(item.date_of_service)
        stored = nearby[item.date_of_service]
        for line, segment in zip(item.lines, item.segments, strict=True):
            if not repo.catalog.get(segment.code).timed:
                continue
            for other in stored:
                if segment.overlaps(other):
                    errors.append(RowError(line=line, column="start", message=(
                        f"{segment.code} overlaps a stored {other.code} segment of "
                        f"{repo.local(other.start):%Y-%m-%d %H:%M}: timed minutes of one "
                        "therapist cannot overlap")))
                    break
    return errors
