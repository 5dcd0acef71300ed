"""The rules across the rows of one segments CSV import, checked as the rows stream by,
keeping a few numbers per row, never the rows (a million rows fit in memory): one session's
rows agree, a session is on its date of service, a patient's date holds at most a day of
minutes, timed minutes of one therapist never overlap each other or the therapist's group.
"""

from __future__ import annotations

import itertools
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from datetime import date, timedelta, tzinfo
from enum import Enum
from uuid import UUID

from core.billing.explain import ASSISTANT_EVALUATION
from core.billing.units import MINUTES_IN_A_DAY
from core.catalog import Catalog
from core.formats.segment_rows import (
    EPOCH,
    MICROSECOND,
    OFFSETS,
    SECOND,
    Row,
    SessionCells,
    instant,
    micros,
)
from core.formats.segments_csv import SESSION_COLUMNS, RowError, shown
from core.models import FurnishedBy, Segment

_RUNNING = 2**62  # the end of a running segment, for comparing: it reaches into the future
_DAY = 86_400 * SECOND
_EPOCH_DAY = EPOCH.date()


class _Kind(Enum):
    """What the overlap rules see of a code."""

    TIMED = 1
    GROUP = 2
    EVALUATION = 3
    OTHER = 4


def _said(value: object) -> str:
    """A session cell's value in a message: quoted, blank (in person) said as blank."""
    return "blank" if value in (None, "") else shown(str(value))


def _surely_on_time(day: date) -> int:
    """The instant before which a segment starts at most a day after `day` in every zone:
    midnight UTC two days after it, less the latest UTC offset on Earth."""
    return ((day - _EPOCH_DAY).days + 2) * _DAY - OFFSETS[1] // MICROSECOND


class FileCheck:
    """The rules across the rows of one import file, checked as they stream by.

    Rows of sessions already stored are added with `stored=True`: they are skipped on import,
    so only the rule that one session's rows agree applies to them.
    """

    def __init__(self, catalog: Catalog, zone: tzinfo) -> None:
        self._catalog = catalog
        self._zone = zone
        self.errors: list[RowError] = []
        self.sessions: list[SessionCells] = []
        """Each session of the file once, in the order they came: its number is its place."""
        self._numbers: dict[UUID, int] = {}
        self._first_start: array[int] = array("q")
        self._first_line: array[int] = array("q")
        """Where each session's earliest segment starts, and its line."""
        self._late: set[int] = set()
        self._starts: array[int] = array("q")
        self._ends: array[int] = array("q")
        self._lines: array[int] = array("q")
        self._groups: list[tuple[int, int, int, str]] = []
        """(start, end, line, code) of each group-therapy segment (a few per day)."""
        self._evaluations: list[tuple[int, int, int]] = []
        """(start, end, line) of each evaluation: one-on-one time too, outside any group."""
        self._seconds: dict[tuple[str, date], int] = {}
        """Seconds recorded per patient and date of service (a day has 1,440 minutes)."""
        self._kinds: dict[str, _Kind] = {}
        self._on_time: dict[date, int] = {}
        """Per date of service, the instant before which a start is surely at most a day
        after it, in any zone: most rows need no clinic clock."""
        self.warnings: list[RowError] = []
        """What is imported but flagged (an evaluation furnished by an assistant)."""

    def add(self, row: Row, *, stored: bool = False) -> int:
        """Check `row` with the rows before it; its session's number (its place in
        `sessions`)."""
        number = self._agrees(row)
        if stored:
            return number
        self._on_its_date(row)
        self._keep_times(row)
        self._within_a_day(row)
        if row.furnished_by is FurnishedBy.ASSISTANT and self._catalog.is_evaluation(row.code):
            self.warnings.append(RowError(line=row.line, column="furnished_by", message=(
                f"{row.code} is an evaluation furnished by an assistant: "
                f"{ASSISTANT_EVALUATION}; imported as recorded, left off the claim and "
                "flagged on the day summary")))
        return number

    def _agrees(self, row: Row) -> int:
        """One session's rows agree on its date, patient, payer, method, discipline, place of
        service, telehealth and rendering therapist."""
        session = row.session
        number = self._numbers.get(session.session_id)
        if number is None:
            number = self._numbers[session.session_id] = len(self.sessions)
            self.sessions.append(session)
            self._first_start.append(row.start)
            self._first_line.append(row.line)
            return number
        first = self.sessions[number]
        if session != first:
            for column, mine, theirs in zip(SESSION_COLUMNS, session[1:], first[1:],
                                            strict=True):
                if mine != theirs:
                    self.errors.append(RowError(line=row.line, column=column, message=(
                        f"{_said(mine)} differs from {_said(theirs)} on an earlier row of "
                        "the same session")))
        if row.start < self._first_start[number]:
            self._first_start[number], self._first_line[number] = row.start, row.line
        return number

    def _on_its_date(self, row: Row) -> None:
        """A segment starts at most a day after its session's date of service."""
        day = row.session.date_of_service
        on_time = self._on_time.get(day)
        if on_time is None:
            on_time = self._on_time[day] = _surely_on_time(day)
        if row.start < on_time:
            return
        started = instant(row.start).astimezone(self._zone).date()
        if started > day + timedelta(days=1):
            self._late.add(row.line)
            self.errors.append(RowError(line=row.line, column="start", message=(
                f"starts on {started} (clinic time), more than a day after its session's "
                f"date_of_service {day}")))

    def _keep_times(self, row: Row) -> None:
        """A few numbers per timed or group segment, for the overlaps at the end."""
        end = _RUNNING if row.end is None else row.end
        kind = self._kinds.get(row.code) or self._kind(row.code)
        if kind is _Kind.TIMED:
            self._starts.append(row.start)
            self._ends.append(end)
            self._lines.append(row.line)
        elif kind is _Kind.GROUP:
            self._groups.append((row.start, end, row.line, row.code))
        elif kind is _Kind.EVALUATION:
            self._evaluations.append((row.start, end, row.line))

    def _kind(self, code: str) -> _Kind:
        catalog = self._catalog
        kind = (_Kind.TIMED if catalog.is_timed(code) else _Kind.GROUP if catalog.is_group(code)
                else _Kind.EVALUATION if catalog.is_evaluation(code) else _Kind.OTHER)
        self._kinds[code] = kind
        return kind

    def _within_a_day(self, row: Row) -> None:
        """A patient's segments of one date add up to at most the 1,440 minutes of a day."""
        if row.end is None:
            return
        session = row.session
        key = (session.patient, session.date_of_service)
        total = self._seconds[key] = self._seconds.get(key, 0) + (row.end - row.start) // SECOND
        if total > MINUTES_IN_A_DAY * 60:
            self.errors.append(RowError(line=row.line, column="end", message=(
                f"{session.patient}'s segments of {session.date_of_service} add up to "
                f"{total // 60:,} minutes with this one, more than the "
                f"{MINUTES_IN_A_DAY:,} of a day")))

    def finish(self, stored_timed: Iterable[Segment] = (), stored: Iterable[UUID] = (),
               stored_groups: Iterable[Segment] = ()) -> list[RowError]:
        """Every problem found, by line: a session whose first segment is not on its date of
        service (clinic time; it may run past midnight, no further), timed segments that
        overlap each other or `stored_timed`, the therapist's segments already recorded, and
        timed segments inside a group (of the file or `stored_groups`)."""
        skipped = set(stored)
        for session, start, line in zip(self.sessions, self._first_start, self._first_line,
                                        strict=True):
            day = session.date_of_service
            started = instant(start).astimezone(self._zone).date()
            if session.session_id not in skipped and started != day and line not in self._late:
                self.errors.append(RowError(line=line, column="start", message=(
                    f"the session's first segment starts on {started} (clinic time), but its "
                    f"date_of_service is {day}")))
        self.errors += self._overlaps(list(stored_timed))
        self.errors += self._in_groups(stored_groups)
        return sorted(self.errors, key=lambda error: error.line)

    def _in_groups(self, stored: Iterable[Segment]) -> list[RowError]:
        """One-on-one time (timed, or an evaluation) inside the therapist's own group (Pub.
        100-02 ch.15 §230): the groups' times merged into spans, each segment looked up."""
        groups = sorted([*self._groups, *(
            (micros(g.start), _RUNNING if g.end is None else micros(g.end), 0, g.code)
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
        timed = zip(self._starts, self._ends, self._lines, strict=True)
        for start, end, line in itertools.chain(timed, self._evaluations):
            index = bisect_left(starts, end) - 1
            if index >= 0 and spans[index][1] > start:
                _, _, group_line, code = spans[index]
                where = f"line {group_line}" if group_line else "a stored session"
                errors.append(RowError(line=line, column="start", message=(
                    f"overlaps the group {code} of {where}: one-on-one time cannot overlap "
                    "the therapist's own group")))
        return errors

    def _overlaps(self, stored: list[Segment]) -> list[RowError]:
        """Sorted by start, a segment overlaps the file when it starts before the furthest end
        so far. Stored segments never overlap each other (the store refuses it), so sorted by
        start they are sorted by end too: the last one starting before a segment ends is the
        only one that can reach into it."""
        kept = sorted(stored, key=lambda segment: segment.start)
        kept_starts = [micros(segment.start) for segment in kept]
        errors = []
        reach_end, reach_line = -1, 0
        for index in sorted(range(len(self._starts)), key=self._starts.__getitem__):
            start, end, line = self._starts[index], self._ends[index], self._lines[index]
            before = bisect_left(kept_starts, end) - 1
            if before >= 0:
                other = kept[before]
                other_end = _RUNNING if other.end is None else micros(other.end)
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
