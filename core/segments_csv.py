"""The segments CSV of design.md: one row per segment, the export format and the import input.

Pure: rows in, rows out. Every row is checked before anything is written, and each problem
is named by line and column. Cells a spreadsheet would run as a formula are neutralised on
the way out and restored on the way in, so a round trip changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, tzinfo
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

from core.catalog import Catalog, CodeError
from core.csv_cells import neutralise, restore
from core.models import Discipline, Frozen, FurnishedBy, Method, Segment
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


class _Patient(BaseModel):
    patient: PatientRef


def parse_segment_rows(
    header: Sequence[str], rows: Iterable[tuple[int, Sequence[str]]], catalog: Catalog
) -> tuple[list[ImportedSession], list[RowError]]:
    """Check every row; return the sessions only when no row is bad.

    `rows` pairs each row with its line number in the file.
    """
    if tuple(header) != COLUMNS:
        return [], [RowError(line=1, column="header", message=f"expected {','.join(COLUMNS)}")]
    errors: list[RowError] = []
    fields: dict[UUID, dict[str, Any]] = {}
    segments: dict[UUID, list[tuple[int, Segment]]] = {}
    for line, raw in rows:
        if len(raw) != len(COLUMNS):
            errors.append(RowError(line=line, column="row",
                                   message=f"{len(raw)} cells, expected {len(COLUMNS)}"))
            continue
        cells = dict(zip(COLUMNS, (restore(cell) for cell in raw), strict=True))
        parsed = _parse_row(line, cells, catalog, errors)
        if parsed is None:
            continue
        session_id, session_fields, segment = parsed
        first = fields.setdefault(session_id, session_fields)
        for column in SESSION_COLUMNS:
            if first[column] != session_fields[column]:
                errors.append(RowError(line=line, column=column, message=(
                    f"{cells[column]!r} differs from {first[column]!s} on an earlier row of "
                    "the same session")))
        segments.setdefault(session_id, []).append((line, segment))
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
    line: int, cells: dict[str, str], catalog: Catalog, errors: list[RowError]
) -> tuple[UUID, dict[str, Any], Segment] | None:
    found: list[RowError] = []

    def check(column: str, convert: Callable[[str], T]) -> T | None:
        try:
            return convert(cells[column])
        except (ValueError, CodeError, ValidationError) as error:
            found.append(RowError(line=line, column=column,
                                  message=f"{cells[column]!r}: {_plain(error)}"))
            return None

    session_id = check("session_id", UUID)
    values: dict[str, Any] = {
        "date_of_service": check("date_of_service", date.fromisoformat),
        "patient": check("patient", lambda text: _Patient(patient=text).patient),
        "payer": check("payer", _required),
        "method": check("method", Method),
        "discipline": check("discipline", Discipline),
    }
    code = check("code", lambda text: catalog.get(text).code)
    start = check("start", _aware)
    end = check("end", _optional_aware)
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
        seconds = int((end - start).total_seconds())
        if cells["seconds"] and cells["seconds"] != str(seconds):
            errors.append(RowError(line=line, column="seconds", message=(
                f"{cells['seconds']!r} does not match start and end ({seconds})")))
            return None
    try:
        segment = Segment(session_id=session_id, code=code, start=start, end=end,
                          furnished_by=furnished_by, note=cells["note"])
    except ValidationError as error:
        errors.append(RowError(line=line, column="note", message=_plain(error)))
        return None
    return session_id, values, segment


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


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("needs a UTC offset, e.g. 2026-03-02T09:00:00-05:00")
    return value


def _optional_aware(text: str) -> datetime | None:
    return _aware(text) if text else None


def _required(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text


def _plain(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return str(error.errors()[0]["msg"])
    return str(error)
