"""Importing a segments CSV: all rows checked before anything is written, then written a day at
a time, with memory that does not grow with the file's text.

The file is parsed once. The check goes through every row and the rules across rows, and
holds each row of a new session as a few numbers (core/formats/held_rows.py); the write then
takes one date of service at a time, bills each session once and writes that day in one
durable write, from whose records (kept by the store, not read again) the index derives the
day's entry (storage/commands/imported.py). A session already stored is skipped, so an import killed
half-way is finished by running it again; the index learns of each written day (and, if
killed, finds out at the next open from the stamps).
"""

from __future__ import annotations

import csv
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO
from uuid import UUID

from core.billing.minutes import code_minutes
from core.billing.recorded import terms_of
from core.billing.session import Terms, bill_session
from core.formats.csv_cells import neutralise
from core.formats.held_rows import HeldRows, HeldSegment
from core.formats.import_rules import FileCheck
from core.formats.segment_rows import Layout, RowParser, SessionCells, instant, is_blank
from core.formats.segments_csv import COLUMNS, RowError
from core.models import Frozen, Method, PayerProfile, Segment
from core.session import Session
from core.text import printable
from storage.atomic import folders_synced_once
from storage.errors import BadPath, disk_problem
from storage.repository import Repository

MAX_CELL = 8192
"""Characters in one CSV cell: far above any field's limit, far below what fills memory."""
MAX_LISTED = 100
"""Bad rows listed in full; beyond that, a count."""
MAX_SKIPPED_LISTED = 5
"""Sessions already stored named in the report; beyond that, a count."""
YOUNG_OBJECTS = 100_000
"""How many new objects the cycle collector lets by during an import before it looks (700
by default): an import makes millions of objects that never form cycles, and looking every
700 took a third of its time."""


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
    """(line, byte offset, cells) of each row, the header first; csv problems become errors."""
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
            if first:
                return
            continue
        first = False
        yield reader.line_num, offset, cells


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The cycle collector looks less often while the block runs (YOUNG_OBJECTS)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def import_segments(repo: Repository, path: Path) -> ImportReport:
    """Import a segments CSV: every row is checked first and nothing is written if one is bad.

    A session already stored (on the same date) is skipped and reported, never duplicated.
    A session keeps the file's place, telehealth and rendering therapist; a file written
    before those columns existed was furnished in the office, in person, by this folder's
    therapist.
    """
    limit = csv.field_size_limit(MAX_CELL)
    try:
        with path.open("rb") as handle, _fewer_collections():
            report, held, parser = _check(repo, handle)
            if report.errors or parser is None:
                return report
            written = _Writer(repo, handle, parser).write(held)
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


def _parser(repo: Repository, header: list[str]) -> RowParser:
    """The rows' reader for a file with this header (ValueError: not a segments file's); a
    file that does not name the rendering therapist was furnished by the folder's."""
    settings = repo.settings
    rendering = (neutralise(settings.therapist), settings.npi,
                 neutralise(settings.provider_code))
    return RowParser(repo.catalog, repo.clock.raw(), Layout(header, rendering))


def _check(repo: Repository, handle: BinaryIO
           ) -> tuple[ImportReport, HeldRows, RowParser | None]:
    """The pass over the file: every row and every rule; each row of a new session held.
    The file's rows' reader, None when its header is not a segments file's."""
    errors: list[RowError] = []
    check = FileCheck(repo.catalog, repo.zone)
    held = HeldRows(check.sessions)
    rows = _rows(handle, errors)
    header = next(rows, None)
    parser = None
    if header is not None:
        try:
            parser = _parser(repo, header[2])
        except ValueError as error:
            errors.append(RowError(line=1, column="header", message=str(error)))
    if parser is None:
        return ImportReport(errors=tuple(errors)), held, None
    stored = repo.indexes.session_dates()
    seen_stored: set[UUID] = set()
    for line, offset, cells in rows:
        if is_blank(cells):
            continue
        row = parser.parse(line, cells)
        if isinstance(row, list):
            errors += row
            continue
        session = row.session
        known = stored.get(session.session_id)
        if known is not None and known != session.date_of_service:
            errors.append(RowError(line=line, column="session_id", message=(
                f"this session is already stored with the date of service {known}, not "
                f"{session.date_of_service}")))
            continue
        number = check.add(row, stored=known is not None)
        if known is None:
            held.add(row, number, offset)
        else:
            seen_stored.add(session.session_id)
    if not errors:
        errors += _with_the_store(repo, check, held, seen_stored)
    errors.sort(key=lambda error: error.line)
    listed = tuple(sorted(str(i) for i in seen_stored)[:MAX_SKIPPED_LISTED])
    return ImportReport(skipped=len(seen_stored), skipped_listed=listed,
                        errors=tuple(errors[:MAX_LISTED]),
                        more_errors=max(len(errors) - MAX_LISTED, 0),
                        warnings=tuple(check.warnings[:MAX_LISTED])), held, parser


def _with_the_store(repo: Repository, check: FileCheck, held: HeldRows,
                    seen_stored: set[UUID]) -> list[RowError]:
    """The rules across rows, against what is stored on the days around the new ones (and
    the timers still running from any earlier day)."""
    files = repo.store.day_files()
    near = {day + timedelta(days=shift) for day in held.days() for shift in (-1, 0, 1)}
    nearby = [s for day in sorted(near & set(files))
              for _, segments in repo.queries.day_sessions(day, keep=False) for s in segments]
    kept = {s.id: s for s in nearby if repo.catalog.is_timed(s.code)}
    kept.update((s.id, s) for s in repo.queries.running_timed())
    groups = [s for s in nearby if repo.catalog.is_group(s.code)]
    return check.finish(kept.values(), seen_stored, groups)


class _Writer:
    """The write of the held rows, a date of service at a time: each session billed once."""

    def __init__(self, repo: Repository, handle: BinaryIO, parser: RowParser) -> None:
        self._repo = repo
        self._handle = handle
        self._parser = parser
        self._payers: dict[tuple[str, Method], tuple[PayerProfile, Terms]] = {}

    def write(self, held: HeldRows) -> tuple[int, int]:
        """Each date of service in one durable write; how many sessions and segments."""
        sessions = segments = 0
        with folders_synced_once(), self._repo.indexes.deferred():
            for day in held.days():
                bundles = [self._session(cells, found) for cells, found in held.take(day)]
                self._repo.commands.add_imported(day, bundles)
                sessions += len(bundles)
                segments += sum(len(found) for _, found in bundles)
        return sessions, segments

    def _session(self, cells: SessionCells, held: list[HeldSegment]
                 ) -> tuple[Session, list[Segment]]:
        """The stored form of an imported session: closed (with its billing) once all its
        segments end."""
        segments = sorted((Segment(
            session_id=cells.session_id, code=part.code, start=instant(part.start),
            end=None if part.end is None else instant(part.end),
            furnished_by=part.furnished_by, note=self._note(part.note_at))
            for part in held), key=lambda s: s.start)
        payer, terms = self._payer(cells.payer, cells.method)
        ends = [s.end for s in segments]
        closed_at = None if None in ends else max(e for e in ends if e is not None)
        billing = None
        if closed_at is not None:
            billing = bill_session(code_minutes(segments, closed_at), terms, cells.discipline,
                                   cells.date_of_service, self._repo.catalog).billing
        session = Session(id=cells.session_id, patient=cells.patient, payer=payer,
                          discipline=cells.discipline, date_of_service=cells.date_of_service,
                          opened_at=segments[0].start, closed_at=closed_at, billing=billing,
                          therapist=cells.therapist, npi=cells.npi,
                          provider_code=cells.provider_code,
                          place_of_service=cells.place_of_service, telehealth=cells.telehealth)
        return session, segments

    def _payer(self, name: str, method: Method) -> tuple[PayerProfile, Terms]:
        """The settings' profile of that name (its medicare flag, its fee table) with the
        method the file says was used; a profile of its own when the settings have none."""
        found = self._payers.get((name, method))
        if found is None:
            try:
                payer = self._repo.settings.payer(name)
                if payer.method is not method:  # validated: the session is put as valid
                    payer = PayerProfile.model_validate({**payer.model_dump(), "method": method})
            except KeyError:
                payer = PayerProfile(name=name, method=method)
            found = self._payers[(name, method)] = (payer, terms_of(payer))
        return found

    def _note(self, at: int | None) -> str:
        """A segment's note: its row read again (checked already) when it has one."""
        if at is None:
            return ""
        row = self._parser.parse(0, next(csv.reader(_Lines(self._handle, at))))
        assert not isinstance(row, list), "checked before anything was written"
        return row.note
