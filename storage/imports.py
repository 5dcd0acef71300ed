"""Importing a segments CSV: all rows checked before anything is written, then written a day at
a time, with memory that does not grow with the file.

The file is read twice. The first pass checks every row and the rules across rows, keeping a
few numbers per row (and where each new row starts in the file); the second reads the rows of
one date of service at a time and writes that day in one durable write. A session already
stored is skipped, so an import killed half-way is finished by running it again; the index
learns of each written day (and, if killed, finds out at the next open from the stamps).
"""

from __future__ import annotations

import csv
from array import array
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO
from uuid import UUID

from core.billing.minutes import code_minutes
from core.billing.recorded import terms_of
from core.billing.session import bill_session
from core.formats.import_rules import FileCheck
from core.formats.segments_csv import COLUMNS, Row, RowError, RowParser, is_blank
from core.models import Frozen, PayerProfile, Segment
from core.session import Session
from core.text import printable
from storage.errors import BadPath, disk_problem
from storage.repository import Repository

MAX_CELL = 8192
"""Characters in one CSV cell: far above any field's limit, far below what fills memory."""
MAX_LISTED = 100
"""Bad rows listed in full; beyond that, a count."""
MAX_SKIPPED_LISTED = 5
"""Sessions already stored named in the report; beyond that, a count."""


class ImportReport(Frozen):
    sessions: int = 0
    segments: int = 0
    skipped: int = 0
    """Sessions already stored, left as they are."""
    skipped_listed: tuple[str, ...] = ()
    """The first of them (by id), named so a person can look one up."""
    errors: tuple[RowError, ...] = ()
    more_errors: int = 0
    """Bad rows beyond the ones listed."""
    warnings: tuple[RowError, ...] = ()
    """Rows imported as recorded but flagged (an evaluation furnished by an assistant)."""


class _Lines:
    """A binary file as text lines for csv.reader, knowing where each row began in bytes."""

    def __init__(self, handle: BinaryIO, start: int = 0) -> None:
        self._handle = handle
        self.position = start
        handle.seek(start)

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        raw = self._handle.readline()
        if not raw:
            raise StopIteration
        at_start = self.position == 0
        self.position += len(raw)  # in the file's bytes, a byte-order mark included
        if at_start:
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # a spreadsheet's "CSV UTF-8"
        return raw.decode("utf-8")


def _rows(handle: BinaryIO, errors: list[RowError]) -> Iterator[tuple[int, int, list[str]]]:
    """(line, byte offset, cells) of each row after the header; csv problems become errors."""
    lines = _Lines(handle)
    reader = csv.reader(lines)
    first = True
    while True:
        offset = lines.position
        try:
            cells = next(reader)
        except StopIteration:
            if first:  # not even a header: an empty file is no import
                errors.append(RowError(line=1, column="header", message=(
                    f"the file is empty: expected {','.join(COLUMNS)}")))
            return
        except csv.Error as error:
            errors.append(RowError(line=reader.line_num, column="header" if first else "row",
                                   message=str(error)))
            first = False
            continue
        if first:
            first = False
            if tuple(cells) != COLUMNS:
                errors.append(RowError(line=1, column="header",
                                       message=f"expected {','.join(COLUMNS)}"))
                return
            continue
        yield reader.line_num, offset, cells


def import_segments(repo: Repository, path: Path) -> ImportReport:
    """Import a segments CSV: every row is checked first and nothing is written if one is bad.

    A session already stored (on the same date) is skipped and reported, never duplicated.
    """
    limit = csv.field_size_limit(MAX_CELL)
    try:
        with path.open("rb") as handle:
            report, days = _check(repo, handle)
            if report.errors:
                return report
            written = _write(repo, handle, days)
    except UnicodeDecodeError:
        raise BadPath(f"cannot read {printable(str(path))}: it is not UTF-8 text (save it as "
                      "CSV UTF-8)") from None
    except OSError as error:
        if error.filename and Path(error.filename) == path:
            raise BadPath(f"cannot read {printable(str(path))}: {disk_problem(error)}") from None
        raise
    finally:
        csv.field_size_limit(limit)
    return report.model_copy(update={"sessions": written[0], "segments": written[1]})


def _check(repo: Repository, handle: BinaryIO) -> tuple[ImportReport, dict[date, array[int]]]:
    """The first pass: every row and every rule; where the rows of each new session's date
    of service start in the file."""
    errors: list[RowError] = []
    check = FileCheck(repo.catalog, repo.zone)
    stored = repo.indexes.session_dates()
    now = repo.clock.raw()
    days: dict[date, array[int]] = {}
    seen_stored: set[UUID] = set()
    parser = RowParser(repo.catalog, now)
    for line, offset, cells in _rows(handle, errors):
        if is_blank(cells):
            continue
        row = parser.parse(line, cells)
        if isinstance(row, list):
            errors += row
            continue
        known = stored.get(row.session_id)
        if known is not None and known != row.date_of_service:
            errors.append(RowError(line=line, column="session_id", message=(
                f"this session is already stored with the date of service {known}, not "
                f"{row.date_of_service}")))
            continue
        check.add(row, stored=known is not None)
        if known is None:
            days.setdefault(row.date_of_service, array("q")).append(offset)
        else:
            seen_stored.add(row.session_id)
    if not errors:
        files = repo.store.day_files()
        near = {day + timedelta(days=shift) for day in days for shift in (-1, 0, 1)}
        nearby = [s for day in sorted(near & set(files))
                  for _, segments in repo.queries.day_sessions(day, keep=False)
                  for s in segments]
        kept = {s.id: s for s in nearby if repo.catalog.is_timed(s.code)}
        kept.update((s.id, s) for s in repo.queries.running_timed())  # from any earlier day
        groups = [s for s in nearby if repo.catalog.is_group(s.code)]
        errors += check.finish(kept.values(), seen_stored, groups)
    errors.sort(key=lambda error: error.line)
    listed = tuple(sorted(str(i) for i in seen_stored)[:MAX_SKIPPED_LISTED])
    return ImportReport(skipped=len(seen_stored), skipped_listed=listed,
                        errors=tuple(errors[:MAX_LISTED]),
                        more_errors=max(len(errors) - MAX_LISTED, 0),
                        warnings=tuple(check.warnings[:MAX_LISTED])), days


def _write(repo: Repository, handle: BinaryIO, days: dict[date, array[int]]) -> tuple[int, int]:
    """The second pass: each date of service read again and written in one durable write."""
    sessions = segments = 0
    now = repo.clock.raw()
    parser = RowParser(repo.catalog, now)
    lines = _Lines(handle)
    reader = csv.reader(lines)
    with repo.indexes.deferred():
        for day in sorted(days):
            rows: dict[UUID, list[Row]] = {}
            for offset in days[day]:
                if offset != lines.position:  # rows of a date usually follow each other
                    lines = _Lines(handle, offset)
                    reader = csv.reader(lines)
                row = parser.parse(0, next(reader))
                assert not isinstance(row, list), "checked in the first pass"
                rows.setdefault(row.session_id, []).append(row)
            bundles = [_session(repo, found) for found in rows.values()]
            repo.commands.add_imported(day, bundles)
            sessions += len(bundles)
            segments += sum(len(found) for found in rows.values())
    return sessions, segments


def _session(repo: Repository, rows: list[Row]) -> tuple[Session, list[Segment]]:
    """The stored form of an imported session: closed (with its billing) once all segments end."""
    first = rows[0]
    segments = sorted((row.segment() for row in rows), key=lambda s: s.start)
    try:  # the settings' profile of that name (its medicare flag, its fee table)...
        payer = repo.settings.payer(first.payer)
        if payer.method is not first.method:  # ...with the method the file says was used
            payer = payer.model_copy(update={"method": first.method})
    except KeyError:
        payer = PayerProfile(name=first.payer, method=first.method)
    ends = [s.end for s in segments]
    closed_at = None if None in ends else max(e for e in ends if e is not None)
    billing = None
    if closed_at is not None:
        billing = bill_session(code_minutes(segments, closed_at), terms_of(payer),
                               first.discipline, first.date_of_service, repo.catalog).billing
    session = Session(id=first.session_id, patient=first.patient, payer=payer,
                      discipline=first.discipline, date_of_service=first.date_of_service,
                      opened_at=segments[0].start, closed_at=closed_at, billing=billing)
    return session, segments

