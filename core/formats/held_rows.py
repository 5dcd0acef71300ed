"""The checked rows an import will write, held as four numbers each until their date's turn.

An import checks every row before it writes any, then writes a date of service at a time.
Holding the rows as objects would take a million rows' worth of memory, and reading the
file again would parse every row twice; instead each row is kept as its session's number,
its code's, its start, its end and, when it has a note, where the row begins in the file (a
note can be 500 characters: it is read again when its date is written).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, Sequence
from datetime import date
from typing import NamedTuple

from core.formats.segment_rows import Row, SessionCells
from core.models import FurnishedBy

_FIELDS = 4
_KIND_BITS = 16
"""A code and who furnished it, numbered in 16 bits: a catalog holds a few hundred codes."""
_RUNNING = -1
_NO_NOTE = -1


class HeldSegment(NamedTuple):
    code: str
    furnished_by: FurnishedBy
    start: int
    """Microseconds since the epoch, as `end` (None: still running)."""
    end: int | None
    note_at: int | None
    """Where the row begins in the file when it has a note, else None (no note)."""


class HeldRows:
    """Rows of new sessions by date of service, in the order they came."""

    def __init__(self, sessions: Sequence[SessionCells]) -> None:
        """`sessions`: the file's sessions by number (core.formats.import_rules.FileCheck's)."""
        self._sessions = sessions
        self._days: dict[date, array[int]] = {}
        self._kinds: list[tuple[str, FurnishedBy]] = []
        self._kind_numbers: dict[tuple[str, FurnishedBy], int] = {}

    def add(self, row: Row, session: int, offset: int) -> None:
        """Hold `row` of the session numbered `session`; it begins at byte `offset`."""
        kind = (row.code, row.furnished_by)
        code = self._kind_numbers.get(kind)
        if code is None:
            code = self._kind_numbers[kind] = len(self._kinds)
            assert code >> _KIND_BITS == 0, "more codes than a catalog holds"
            self._kinds.append(kind)
        day = row.session.date_of_service
        numbers = self._days.get(day)
        if numbers is None:
            numbers = self._days[day] = array("q")
        numbers.extend(((session << _KIND_BITS) | code, row.start,
                        _RUNNING if row.end is None else row.end,
                        offset if row.note else _NO_NOTE))

    def days(self) -> list[date]:
        return sorted(self._days)

    def take(self, day: date) -> Iterator[tuple[SessionCells, list[HeldSegment]]]:
        """The sessions of `day` with their segments, in the order their rows came; let go
        of once taken."""
        numbers = self._days.pop(day)
        found: dict[int, list[HeldSegment]] = {}
        for index in range(0, len(numbers), _FIELDS):
            who, start, end, note_at = numbers[index:index + _FIELDS]
            code, furnished_by = self._kinds[who & ((1 << _KIND_BITS) - 1)]
            found.setdefault(who >> _KIND_BITS, []).append(HeldSegment(
                code, furnished_by, start, None if end == _RUNNING else end,
                None if note_at == _NO_NOTE else note_at))
        for number, segments in found.items():
            yield self._sessions[number], segments
