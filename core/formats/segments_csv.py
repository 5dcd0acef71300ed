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

from core.billing.explain import ASSISTANT_EVALUATION
from core.billing.units import MINUTES_IN_A_DAY
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
                shown = "" if column in UNQUOTED else f"{_shown(text)}: "
                found.append(RowError(line=line, column=column,
                                      message=f"{shown}{_plain(error)}"))
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
                    f"{_shown(seconds)} does not match start and end ({length})"))]
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
        self._groups: list[tuple[int, int, int, str]] = []
        """(start, end, line, code) of each group-therapy segment (a few per day)."""
        self._seconds: dict[tuple[str, date], int] = {}
        """Seconds recorded per patient and date of service (a day has 1,440 minutes)."""
        self.warnings: list[RowError] = []
        """What is imported but flagged (an evaluation furnished by an assistant)."""

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
        end = _RUNNING if row.end is None else _micros(row.end)
        if self._catalog.is_timed(row.code):
            self._starts.append(_micros(row.start))
            self._ends.append(end)
            self._lines.append(row.line)
        elif self._catalog.is_group(row.code):
            self._groups.append((_micros(row.start), end, row.line, row.code))
        if row.end is not None:
            key = (row.patient, row.date_of_service)
            total = self._seconds[key] = self._seconds.get(key, 0) + int(
                (row.end - row.start).total_seconds())
            if total > MINUTES_IN_A_DAY * 60:
                self.errors.append(RowError(line=row.line, column="end", message=(
                    f"{row.patient}'s segments of {row.date_of_service} add up to "
                    f"{total // 60:,} minutes with this one, more than the "
                    f"{MINUTES_IN_A_DAY:,} of a day")))
        if row.furnished_by is FurnishedBy.ASSISTANT and self._catalog.is_evaluation(row.code):
            self.warnings.append(RowError(line=row.line, column="furnished_by", message=(
                f"{row.code} is an evaluation furnished by an assistant: "
                f"{ASSISTANT_EVALUATION}; imported as recorded, left off the claim and "
                "flagged on the day summary")))

    def finish(self, stored_timed: Iterable[Segment] = (), stored: Iterable[UUID] = (),
               stored_groups: Iterable[Segment] = ()) -> list[RowError]:
        """Every problem found, by line: a session whose first segment is not on its date of
        service (clinic time; it may run past midnight, no further), timed segments that
        overlap each other or `stored_timed`, the therapist's segments already recorded, and
        timed segments inside a group (of the file or `stored_groups`)."""
        skipped = set(stored)
        for session_id, seen in self._sessions.items():
            day = seen.fields[0]
            started = seen.first_start.astimezone(self._zone).date()
            if session_id not in skipped and started != day and seen.first_line not in self._late:
                self.errors.append(RowError(line=seen.first_line, column="start", message=(
                    f"the session's first segment starts on {started} (clinic time), but its "
                    f"date_of_service is {day}")))
        self.errors += self._overlaps(list(stored_timed))
        self.errors += self._in_groups(stored_groups)
        return sorted(self.errors, key=lambda error: error.line)

    def _in_groups(self, stored: Iterable[Segment]) -> list[RowError]:
        """One-on-one timed time inside the therapist's own group (Pub. 100-02 ch.15 §230):
        the groups' times merged into spans, each timed segment looked up among them."""
        groups = sorted([*self._groups, *(
            (_micros(g.start), _RUNNING if g.end is None else _micros(g.end), 0, g.code)
            for g in stored)])
        spans: list[tuple[int, int, int, str]] = []
        for start, end, line, code in groups:
            if spans and start < spans[-1][1]:
                last = spans[-1]
                spans[-1] = (last[0], max(last[1], end), last[2] or line, last[3])
            else:
                spans.append((start, end, line, code))
        if not spans:
            return []
        starts = [span[0] for span in spans]
        errors = []
        for start, end, line in zip(self._starts, self._ends, self._lines, strict=True):
            index = bisect_left(starts, end) - 1
            if index >= 0 and spans[index][1] > start:
                _, _, group_line, code = spans[index]
                where = f"line {group_line}" if group_line else "a stored session"
                errors.append(RowError(line=line, column="start", message=(
                    f"overlaps the group {code} of {where}: one-on-one time cannot overlap "
                    "the therapist's own group")))
        return errors

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
