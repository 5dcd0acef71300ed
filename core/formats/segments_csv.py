"""The segments CSV of design.md: one row per segment, the export format and the import input.

Pure: rows in, rows and problems out. Every row is checked before anything is written, and
each problem is named by line and column. The rules across rows are core.formats.import_rules'.
Cells a spreadsheet would run as a formula are neutralised on the way out and restored on the
way in, so a round trip changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import NamedTuple
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from core.catalog import Catalog, CodeError
from core.formats.csv_cells import neutralise, restore
from core.models import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    Discipline,
    Frozen,
    FurnishedBy,
    Method,
    Note,
    PatientRef,
    PayerName,
    Segment,
)
from core.session import Session

COLUMNS = ("session_id", "date_of_service", "patient", "payer", "method", "discipline", "code",
           "start", "end", "seconds", "furnished_by", "note")
SESSION_COLUMNS = ("date_of_service", "patient", "payer", "method", "discipline")
MAX_SEGMENT = timedelta(hours=12)
OFFSETS = (timedelta(hours=-12), timedelta(hours=14))
"""The UTC offsets that exist on Earth."""
FUTURE_SLACK = timedelta(minutes=1)
UNQUOTED = frozenset({"note"})
"""Columns whose text an error never repeats: a clinical note stays out of messages."""


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


class Row(NamedTuple):
    """One checked row (a tuple, not a model: an import may hold a million of them briefly)."""

    line: int
    session_id: UUID
    date_of_service: date
    patient: str
    payer: str
    method: Method
    discipline: Discipline
    code: str
    start: datetime
    end: datetime | None
    furnished_by: FurnishedBy
    note: str

    def session_fields(self) -> tuple[object, ...]:
        return (self.date_of_service, self.patient, self.payer, self.method, self.discipline)

    def segment(self) -> Segment:
        return Segment(session_id=self.session_id, code=self.code, start=self.start,
                       end=self.end, furnished_by=self.furnished_by, note=self.note)


def is_blank(cells: Sequence[str]) -> bool:
    """A blank line, e.g. at the end of a file saved by a spreadsheet."""
    return not any(cell.strip() for cell in cells)


class RowParser:
    """Checks rows one at a time: every cell, then what a segment cannot be.

    Most cells of an import repeat (a session's id on each of its rows, the patient, the
    payer, the codes, an empty note): each distinct text of those columns is checked once and
    remembered (a column's memory is let go of when it grows large). Start and end are
    checked every time.
    """

    LIMIT = 50_000

    def __init__(self, catalog: Catalog, now: datetime) -> None:
        self._now = now
        instant = self._instant
        self._columns: tuple[tuple[str, Callable[[str], object], bool], ...] = (
            ("session_id", UUID, True), ("date_of_service", _date, True),
            ("patient", _PATIENT.validate_python, True), ("payer", _PAYER.validate_python, True),
            ("method", Method, True), ("discipline", Discipline, True),
            ("code", lambda text: catalog.get(text).code, True),
            ("start", instant, False),
            ("end", lambda text: instant(text) if text else None, False),
            ("seconds", str, False),
            ("furnished_by", FurnishedBy, True), ("note", _NOTE.validate_python, True),
        )
        self._seen: dict[str, dict[str, object]] = {column: {} for column in COLUMNS}

    def parse(self, line: int, raw: Sequence[str]) -> Row | list[RowError]:
        if len(raw) != len(COLUMNS):
            return [RowError(line=line, column="row",
                             message=f"{len(raw)} cells, expected {len(COLUMNS)}")]
        values: list[object] = []
        found: list[RowError] = []
        for (column, convert, repeats), cell in zip(self._columns, raw, strict=True):
            seen = self._seen[column]
            if repeats and cell in seen:
                values.append(seen[cell])
                continue
            text = restore(cell)
            try:
                value = convert(text)
            except (ValueError, OverflowError, CodeError, ValidationError) as error:
                quoted = "" if column in UNQUOTED else f"{shown(text)}: "
                found.append(RowError(line=line, column=column,
                                      message=f"{quoted}{_plain(error)}"))
                continue
            if repeats:
                if len(seen) >= self.LIMIT:
                    seen.clear()
                seen[cell] = value
            values.append(value)
        if found:
            return found
        *fields, seconds, furnished_by, note = values
        return self._plausible(Row._make([line, *fields, furnished_by, note]), str(seconds))

    def _plausible(self, row: Row, seconds: str) -> Row | list[RowError]:
        line = row.line
        if row.end is None and self._now - row.start > MAX_SEGMENT:
            return [RowError(line=line, column="end", message=(
                f"still running after {self._now - row.start}: a timer over 12 hours is "
                "forgotten, give its end"))]
        if row.end is not None:
            if row.end < row.start:
                return [RowError(line=line, column="end", message="ends before it starts")]
            if row.end - row.start > MAX_SEGMENT:
                return [RowError(line=line, column="end", message=(
                    f"the segment lasts {row.end - row.start}: over 12 hours on one code is "
                    "not a treatment record"))]
            length = int((row.end - row.start).total_seconds())
            if seconds and seconds != str(length):
                return [RowError(line=line, column="seconds", message=(
                    f"{shown(seconds)} does not match start and end ({length})"))]
        return row

    def _instant(self, text: str) -> datetime:
        value = datetime.fromisoformat(text)
        offset = value.utcoffset()
        if offset is None:
            raise ValueError("needs a UTC offset, e.g. 2026-03-02T09:00:00-05:00")
        if not OFFSETS[0] <= offset <= OFFSETS[1]:
            raise ValueError("the UTC offset is outside -12:00 to +14:00")
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValueError(f"the year {value.year} is out of range "
                             f"({EARLIEST_YEAR}-{LATEST_YEAR})")
        value = value.astimezone(UTC)
        if value > self._now + FUTURE_SLACK:
            raise ValueError("is in the future")
        return value


def _date(text: str) -> date:
    value = date.fromisoformat(text)
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year {value.year} is out of range ({EARLIEST_YEAR}-{LATEST_YEAR})")
    return value


_PATIENT: TypeAdapter[str] = TypeAdapter(PatientRef)
_PAYER: TypeAdapter[str] = TypeAdapter(PayerName)
_NOTE: TypeAdapter[str] = TypeAdapter(Note)
SHOWN = 40


def shown(text: str) -> str:
    """A cell quoted in a message: escaped, and cut short (a cell may be kilobytes long)."""
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "...")


def _plain(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return str(error.errors()[0]["msg"]).removeprefix("Value error, ")
    return str(error)
