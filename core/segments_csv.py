"""The segments CSV of design.md: one row per segment, the export format and the import input.

Pure: rows in, rows out. Every row is checked before anything is written, and each problem
is named by line and column. Cells a spreadsheet would run as a formula are neutralised on
the way out and restored on the way in, so a round trip changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, TypeVar
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from core.catalog import Catalog, CodeError
from core.csv_cells import neutralise, restore
from core.models import Discipline, Frozen, FurnishedBy, Method, PayerName, Segment
from core.session import Session
from core.text import PatientRef

COLUMNS = ("session_id", "date_of_service", "patient", "payer", "method", "discipline", "code",
           "start", "end", "seconds", "furnished_by", "note")
SESSION_COLUMNS = ("date_of_service", "patient", "payer", "method", "discipline")
T = TypeVar("T")


def segment_row(session: Session, segment: Segment, zone: tzinfo) -> list[str]:
    end = segment.end
    cells = [
        str(session.id),
        session.date_of_service.isoformat(),
        session.patient,
        session.payer.name,
        session.payer.method.value,
        session.discipline.value,
        segment.code,
        segment.start.astimezone(zone).isoformat(),
        "" if end is None else end.astimezone(zone).isoformat(),
        "" if end is None else str(int((end - segment.start).total_seconds())),
        segment.furnished_by.value,
        segment.note,
    ]
    return [neutralise(cell) for cell in cells]


class RowError(Frozen):
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


class ImportedSession(Frozen):
    """A session as the CSV describes it, with its segments and the CSV lines they came from."""

    id: UUID
    date_of_service: date
    patient: str
    payer: str
    method: Method
    discipline: Discipline
    segments: tuple[Segment, ...]
    lines: tuple[int, ...]


EARLIEST_YEAR, LATEST_YEAR = 1990, 2100
MAX_SEGMENT = timedelta(hours=12)
OFFSETS = (timedelta(hours=-12), timedelta(hours=14))
"""The UTC offsets that exist on Earth."""
FUTURE_SLACK = timedelta(minutes=1)


def parse_segment_rows(
    header: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    catalog: Catalog,
    zone: tzinfo,
    now: datetime,
) -> tuple[list[ImportedSession], list[RowError]]:
    """Check every row; return the sessions only when no row is bad.

    `rows` pairs each row with its line number in the file; blank rows are skipped. A
    session's date of service is the clinic-local date (`zone`) its first segment started on;
    no segment starts in the future, lasts over 12 hours or carries an offset no place has.
    """
    if tuple(header) != COLUMNS:
        return [], [RowError(line=1, column="header", message=f"expected {','.join(COLUMNS)}")]
    errors: list[RowError] = []
    fields: dict[UUID, dict[str, Any]] = {}
    segments: dict[UUID, list[tuple[int, Segment]]] = {}
    for line, raw in rows:
        if not any(cell.strip() for cell in raw):
            continue  # a blank line, e.g. at the end of a file saved by a spreadsheet
        if len(raw) != len(COLUMNS):
            errors.append(RowError(line=line, column="row",
                                   message=f"{len(raw)} cells, expected {len(COLUMNS)}"))
            continue
        cells = dict(zip(COLUMNS, (restore(cell) for cell in raw), strict=True))
        parsed = _parse_row(line, cells, catalog, now, errors)
        if parsed is None:
            continue
        session_id, session_fields, segment = parsed
        first = fields.setdefault(session_id, session_fields)
        for column in SESSION_COLUMNS:
            if first[column] != session_fields[column]:
                errors.append(RowError(line=line, column=column, message=(
                    f"{_shown(cells[column])} differs from {first[column]!s} on an earlier "
                    "row of the same session")))
        segments.setdefault(session_id, []).append((line, segment))
    for session_id, values in fields.items():
        errors += _on_its_date(values["date_of_service"], segments[session_id], zone)
    errors += _overlaps(segments, catalog)
    if errors:
        return [], sorted(errors, key=lambda e: e.line)
    sessions = []
    for session_id, values in fields.items():
        ordered = sorted(segments[session_id], key=lambda pair: pair[1].start)
        sessions.append(ImportedSession.model_validate({
            **values,
            "id": session_id,
            "segments": tuple(segment for _, segment in ordered),
            "lines": tuple(line for line, _ in ordered),
        }))
    return sessions, []


def _parse_row(
    line: int, cells: dict[str, str], catalog: Catalog, now: datetime, errors: list[RowError]
) -> tuple[UUID, dict[str, Any], Segment] | None:
    found: list[RowError] = []

    def check(column: str, convert: Callable[[str], T]) -> T | None:
        try:
            return convert(cells[column])
        except (ValueError, OverflowError, CodeError, ValidationError) as error:
            found.append(RowError(line=line, column=column,
                                  message=f"{_shown(cells[column])}: {_plain(error)}"))
            return None

    session_id = check("session_id", UUID)
    values: dict[str, Any] = {
        "date_of_service": check("date_of_service", _date),
        "patient": check("patient", _PATIENT.validate_python),
        "payer": check("payer", _PAYER.validate_python),
        "method": check("method", Method),
        "discipline": check("discipline", Discipline),
    }
    code = check("code", lambda text: catalog.get(text).code)
    start = check("start", lambda text: _instant(text, now))
    end = check("end", lambda text: _instant(text, now) if text else None)
    furnished_by = check("furnished_by", FurnishedBy)
    if found:
        errors.extend(found)
        return None
    if session_id is None or start is None or code is None or furnished_by is None:
        return None
    if end is not None:
        if end < start:
            errors.append(RowError(line=line, column="end", message="ends before it starts"))
            return None
        if end - start > MAX_SEGMENT:
            errors.append(RowError(line=line, column="end", message=(
                f"the segment lasts {end - start}: over 12 hours on one code is not a "
                "treatment record")))
            return None
        seconds = int((end - start).total_seconds())
        if cells["seconds"] and cells["seconds"] != str(seconds):
            errors.append(RowError(line=line, column="seconds", message=(
                f"{_shown(cells['seconds'])} does not match start and end ({seconds})")))
            return None
    try:
        segment = Segment(session_id=session_id, code=code, start=start, end=end,
                          furnished_by=furnished_by, note=cells["note"])
    except ValidationError as error:
        errors.append(RowError(line=line, column="note", message=_plain(error)))
        return None
    return session_id, values, segment


def _on_its_date(day: date, rows: Sequence[tuple[int, Segment]], zone: tzinfo
                 ) -> list[RowError]:
    """A session belongs to the local date its first segment started on (and may run past
    midnight into the next day, never further)."""
    first_line, first = min(rows, key=lambda pair: pair[1].start)
    started = first.start.astimezone(zone).date()
    if started != day:
        return [RowError(line=first_line, column="start", message=(
            f"the session's first segment starts on {started} (clinic time), but its "
            f"date_of_service is {day}"))]
    return [RowError(line=line, column="start", message=(
                f"starts on {segment.start.astimezone(zone).date()}, more than a day after its "
                f"session's date of service {day}"))
            for line, segment in rows
            if segment.start.astimezone(zone).date() > day + timedelta(days=1)]


def _overlaps(
    segments: dict[UUID, list[tuple[int, Segment]]], catalog: Catalog
) -> list[RowError]:
    """Timed segments in the file must not overlap: the file is one therapist's record."""
    timed = sorted(
        ((line, s) for rows in segments.values() for line, s in rows
         if catalog.get(s.code).timed),
        key=lambda pair: pair[1].start,
    )
    errors = []
    reach: tuple[int, Segment] | None = None  # the segment that ends last so far
    for line, segment in timed:
        if reach is not None:
            line_a, a = reach
            if a.end is None or segment.start < a.end:
                errors.append(RowError(line=line, column="start", message=(
                    f"{segment.code} overlaps {a.code} of line {line_a}: timed minutes of one "
                    "therapist cannot overlap")))
                continue
        reach = (line, segment)  # it starts after the previous reach, so it ends later too
    return errors


def _date(text: str) -> date:
    value = date.fromisoformat(text)
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year {value.year} is out of range ({EARLIEST_YEAR}-{LATEST_YEAR})")
    return value


def _instant(text: str, now: datetime) -> datetime:
    value = datetime.fromisoformat(text)
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("needs a UTC offset, e.g. 2026-03-02T09:00:00-05:00")
    if not OFFSETS[0] <= offset <= OFFSETS[1]:
        raise ValueError("the UTC offset is outside -12:00 to +14:00")
    _date(value.date().isoformat())
    if value.astimezone(UTC) > now + FUTURE_SLACK:
        raise ValueError("is in the future")
    return value


_PATIENT: TypeAdapter[str] = TypeAdapter(PatientRef)
_PAYER: TypeAdapter[str] = TypeAdapter(PayerName)
SHOWN = 40


def _shown(text: str) -> str:
    """A cell quoted in a message: escaped, and cut short (a cell may be kilobytes long)."""
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "...")


def _plain(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return str(error.errors()[0]["msg"]).removeprefix("Value error, ")
    return str(error)
