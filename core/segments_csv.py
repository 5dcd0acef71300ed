"""The segments CSV of design.md: one row per segment, the export format and the import input.

Pure: rows in, rows and problems out. Every row is checked before anything is written, and
each problem is named by line and column. The rules across rows (one session's rows agree, a
session is on its date, timed minutes of one therapist never overlap) are checked as rows
stream by, keeping a few numbers per row, never the rows: a million rows fit in memory.
Cells a spreadsheet would run as a formula are neutralised on the way out and restored on the
way in, so a round trip changes nothing.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import NamedTuple, TypeVar
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from core.catalog import Catalog, CodeError
from core.csv_cells import neutralise, restore
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


class Memo:
    """What a cell's text was found to be, by column: most cells of an import repeat (a
    session's id, its patient, the payer, the codes, an empty note), so each distinct text is
    checked once. Bounded: a column's memory is let go of when it grows large."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self._seen: dict[str, dict[str, object]] = {}

    def convert(self, column: str, text: str, convert: Callable[[str], T]) -> T:
        seen = self._seen.setdefault(column, {})
        if text in seen:
            return seen[text]  # type: ignore[return-value]
        value = convert(text)
        if len(seen) >= self.LIMIT:
            seen.clear()
        seen[text] = value
        return value


def parse_row(line: int, raw: Sequence[str], catalog: Catalog, now: datetime,
              memo: Memo | None = None) -> Row | list[RowError]:
    """One row checked on its own: every cell, and what a segment cannot be."""
    if len(raw) != len(COLUMNS):
        return [RowError(line=line, column="row",
                         message=f"{len(raw)} cells, expected {len(COLUMNS)}")]
    cells = dict(zip(COLUMNS, (restore(cell) for cell in raw), strict=True))
    found: list[RowError] = []
    remember = memo or Memo()

    def check(column: str, convert: Callable[[str], T], repeats: bool = True) -> T:
        try:
            if repeats:
                return remember.convert(column, cells[column], convert)
            return convert(cells[column])
        except (ValueError, OverflowError, CodeError, ValidationError) as error:
            found.append(RowError(line=line, column=column,
                                  message=f"{_shown(cells[column])}: {_plain(error)}"))
            return None  # type: ignore[return-value]  # never used: `found` is not empty

    values = (
        check("session_id", UUID), check("date_of_service", _date),
        check("patient", _PATIENT.validate_python), check("payer", _PAYER.validate_python),
        check("method", Method), check("discipline", Discipline),
        check("code", lambda text: catalog.get(text).code),
        check("start", lambda text: _instant(text, now), repeats=False),
        check("end", lambda text: _instant(text, now) if text else None, repeats=False),
        check("furnished_by", FurnishedBy), check("note", _NOTE.validate_python),
    )
    if found:
        return found
    row = Row(line, *values)
    if row.end is None and now - row.start > MAX_SEGMENT:
        return [RowError(line=line, column="end", message=(
            f"still running after {now - row.start}: a timer over 12 hours is forgotten, "
            "give its end"))]
    if row.end is not None:
        if row.end < row.start:
            return [RowError(line=line, column="end", message="ends before it starts")]
        if row.end - row.start > MAX_SEGMENT:
            return [RowError(line=line, column="end", message=(
                f"the segment lasts {row.end - row.start}: over 12 hours on one code is not "
                "a treatment record"))]
        seconds = int((row.end - row.start).total_seconds())
        if cells["seconds"] and cells["seconds"] != str(seconds):
            return [RowError(line=line, column="seconds", message=(
                f"{_shown(cells['seconds'])} does not match start and end ({seconds})"))]
    return row


_MICRO = 1_000_000
_RUNNING = 2**62  # the end of a running segment, for comparing: it reaches into the future


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * _MICRO)


class _Seen(NamedTuple):
    fields: tuple[object, ...]
    first_start: datetime
    first_line: int


class FileCheck:
    """The rules across the rows of one import file, checked as they stream by.

    Rows of sessions already stored are added with `stored=True`: they are skipped on import,
    so only the rule that one session's rows agree applies to them.
    """

    def __init__(self, catalog: Catalog, zone: tzinfo) -> None:
        self._catalog = catalog
        self._zone = zone
        self.errors: list[RowError] = []
        self._sessions: dict[UUID, _Seen] = {}
        self._late: set[int] = set()
        self._starts: array[int] = array("q")
        self._ends: array[int] = array("q")
        self._lines: array[int] = array("q")

    def add(self, row: Row, *, stored: bool = False) -> None:
        seen = self._sessions.get(row.session_id)
        if seen is None:
            self._sessions[row.session_id] = _Seen(row.session_fields(), row.start, row.line)
        else:
            for column, mine, theirs in zip(SESSION_COLUMNS, row.session_fields(), seen.fields,
                                            strict=True):
                if mine != theirs:
                    self.errors.append(RowError(line=row.line, column=column, message=(
                        f"{_shown(str(mine))} differs from {theirs!s} on an earlier row of "
                        "the same session")))
            if row.start < seen.first_start:
                self._sessions[row.session_id] = _Seen(seen.fields, row.start, row.line)
        if stored:
            return
        started = row.start.astimezone(self._zone).date()
        if started > row.date_of_service + timedelta(days=1):
            self._late.add(row.line)
            self.errors.append(RowError(line=row.line, column="start", message=(
                f"starts on {started} (clinic time), more than a day after its session's "
                f"date_of_service {row.date_of_service}")))
        if self._catalog.is_timed(row.code):
            self._starts.append(_micros(row.start))
            self._ends.append(_RUNNING if row.end is None else _micros(row.end))
            self._lines.append(row.line)

    def finish(self, stored_timed: Iterable[Segment] = (), stored: Iterable[UUID] = ()
               ) -> list[RowError]:
        """Every problem found, by line: a session whose first segment is not on its date of
        service (clinic time; it may run past midnight, no further), and timed segments that
        overlap each other or `stored_timed`, the therapist's segments already recorded."""
        skipped = set(stored)
        for session_id, seen in self._sessions.items():
            day = seen.fields[0]
            started = seen.first_start.astimezone(self._zone).date()
            if session_id not in skipped and started != day and seen.first_line not in self._late:
                self.errors.append(RowError(line=seen.first_line, column="start", message=(
                    f"the session's first segment starts on {started} (clinic time), but its "
                    f"date_of_service is {day}")))
        self.errors += self._overlaps(list(stored_timed))
        return sorted(self.errors, key=lambda error: error.line)

    def dates(self) -> set[date]:
        """The dates of service of the file's sessions."""
        return {seen.fields[0] for seen in self._sessions.values()}  # type: ignore[misc]

    def _overlaps(self, stored: list[Segment]) -> list[RowError]:
        """Sorted by start, a segment overlaps the file when it starts before the furthest end
        so far. Stored segments never overlap each other (the store refuses it), so sorted by
        start they are sorted by end too: the last one starting before a segment ends is the
        only one that can reach into it."""
        kept = sorted(stored, key=lambda segment: segment.start)
        kept_starts = [_micros(segment.start) for segment in kept]
        errors = []
        reach_end, reach_line = -1, 0
        for index in sorted(range(len(self._starts)), key=self._starts.__getitem__):
            start, end, line = self._starts[index], self._ends[index], self._lines[index]
            before = bisect_left(kept_starts, end) - 1
            if before >= 0:
                other = kept[before]
                other_end = _RUNNING if other.end is None else _micros(other.end)
                if other_end > start:
                    errors.append(RowError(line=line, column="start", message=(
                        f"overlaps a stored {other.code} segment of "
                        f"{other.start.astimezone(self._zone):%Y-%m-%d %H:%M}: timed minutes "
                        "of one therapist cannot overlap")))
                    continue
            if start < reach_end:
                errors.append(RowError(line=line, column="start", message=(
                    f"overlaps the timed segment of line {reach_line}: timed minutes of one "
                    "therapist cannot overlap")))
                continue
            reach_end, reach_line = end, line
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
    return value.astimezone(UTC)


_PATIENT: TypeAdapter[str] = TypeAdapter(PatientRef)
_PAYER: TypeAdapter[str] = TypeAdapter(PayerName)
_NOTE: TypeAdapter[str] = TypeAdapter(Note)
SHOWN = 40


def _shown(text: str) -> str:
    """A cell quoted in a message: escaped, and cut short (a cell may be kilobytes long)."""
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "...")


def _plain(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return str(error.errors()[0]["msg"]).removeprefix("Value error, ")
    return str(error)
