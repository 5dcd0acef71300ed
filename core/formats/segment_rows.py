"""Rows of a segments CSV read back in: each cell checked, and each problem named by line and
column (core.formats.segments_csv says what the columns are).

A file's header says which of the optional columns it has, in which order (`Layout`); a
column it leaves out says what files written before it existed meant: POS 11, in person, and
the rendering therapist of the folder it is imported into (a file that names any rendering
column names the rendering therapist: the others are blank).

An import may read a million rows, so a row is a tuple of plain values (its times as whole
microseconds since the epoch, UTC) and the usual row takes a short path: its repeating cells
were seen before and its times need no word. Any other row goes through every cell, one at a
time, and says what is wrong with each; both paths give the same row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import NamedTuple, TypeVar
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from core.catalog import Catalog, CodeError
from core.formats.csv_cells import restore
from core.formats.segments_csv import (
    COLUMNS,
    EXPORT_COLUMNS,
    RENDERING,
    WHERE_AND_WHO,
    RowError,
    shown,
)
from core.models import (
    EARLIEST_YEAR,
    LATEST_YEAR,
    Discipline,
    FurnishedBy,
    Method,
    Name,
    Note,
    PatientRef,
    PayerName,
    ProviderCode,
    Segment,
)
from core.npi import npi
from core.place import OFFICE, Telehealth, is_telehealth_place, place_code, place_name

MAX_SEGMENT = timedelta(hours=12)
OFFSETS = (timedelta(hours=-12), timedelta(hours=14))
"""The UTC offsets that exist on Earth."""
FUTURE_SLACK = timedelta(minutes=1)
UNQUOTED = frozenset({"note", "place_of_service"})
"""Columns whose text an error does not repeat: a clinical note stays out of messages (and
a place of service's own message quotes it)."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
SECOND = 1_000_000
_Key = TypeVar("_Key")
_Value = TypeVar("_Value")


def micros(moment: datetime) -> int:
    """An aware instant as whole microseconds since the epoch (exact, unlike a float)."""
    return (moment - EPOCH) // MICROSECOND


def instant(count: int) -> datetime:
    """The UTC instant `count` microseconds after the epoch (`micros` undone)."""
    return EPOCH + timedelta(microseconds=count)


class SessionCells(NamedTuple):
    """The columns every row of one session repeats: checked once per session."""

    session_id: UUID
    date_of_service: date
    patient: str
    payer: str
    method: Method
    discipline: Discipline
    place_of_service: str
    telehealth: Telehealth | None
    therapist: str
    npi: str
    provider_code: str


_HEAD = 6
"""The session's columns before the segment's (the rest are at the end of a row)."""
_CODE, _START, _END, _SECONDS, _FURNISHED_BY, _NOTE_CELL = range(_HEAD, len(COLUMNS))
_SESSION_INDEXES = (*range(_HEAD), *range(len(COLUMNS), len(EXPORT_COLUMNS)))
"""The session's columns in `EXPORT_COLUMNS`, in `SessionCells` order."""


class Row(NamedTuple):
    """One checked row (a tuple, not a model: an import reads a million of them)."""

    line: int
    session: SessionCells
    code: str
    start: int
    """Microseconds since the epoch (`micros`), as `end`; None: the timer still runs."""
    end: int | None
    furnished_by: FurnishedBy
    note: str

    def segment(self) -> Segment:
        return Segment(session_id=self.session.session_id, code=self.code,
                       start=instant(self.start),
                       end=None if self.end is None else instant(self.end),
                       furnished_by=self.furnished_by, note=self.note)


def is_blank(cells: Sequence[str]) -> bool:
    """A blank line, e.g. at the end of a file saved by a spreadsheet."""
    return not any(map(str.strip, cells))


class Layout:
    """Where a file's header puts the session's columns (the twelve first, in order, then
    any of the optional ones in any order), and the text of those it leaves out. A segment's
    own columns are where they always were."""

    def __init__(self, header: Sequence[str] = COLUMNS,
                 rendering: Sequence[str] = ("", "", "")) -> None:
        """`rendering`: the cells of the rendering columns when the file has none of them
        (the importing folder's therapist, as a segments export writes them). ValueError
        naming the problem when `header` is not a segments file's."""
        _check_header(header)
        said = dict.fromkeys(WHERE_AND_WHO, "")
        if not any(name in header for name in RENDERING):
            said.update(zip(RENDERING, rendering, strict=True))
        at = {name: index for index, name in enumerate(header)}
        names = [EXPORT_COLUMNS[index] for index in _SESSION_INDEXES]
        self.width = len(header)
        self.key = itemgetter(*(at[name] for name in names if name in at))
        """A row's session cells that the file has: which session it is."""
        self._slots = [(at.get(name), said.get(name, "")) for name in names]

    def session(self, raw: Sequence[str]) -> list[str]:
        """A row's session cells in `SessionCells` order, a missing one as `said`."""
        return [text if index is None else raw[index] for index, text in self._slots]


def _check_header(header: Sequence[str]) -> None:
    if tuple(header[:len(COLUMNS)]) != COLUMNS:
        raise ValueError(f"expected {','.join(COLUMNS)}, then any of "
                         f"{','.join(WHERE_AND_WHO)}")
    extra = header[len(COLUMNS):]
    for name in extra:
        if name not in WHERE_AND_WHO:
            raise ValueError(f"{shown(name)} is not a segments column: after "
                             f"{','.join(COLUMNS)} come only {','.join(WHERE_AND_WHO)}")
        if extra.count(name) > 1:
            raise ValueError(f"{name} is there twice")


class RowParser:
    """Checks rows one at a time: every cell, then what a segment cannot be.

    Most cells of an import repeat (a session's columns on each of its rows, the codes,
    an empty note): each distinct text is checked once and remembered (a memory is let go of
    when it grows large). Start and end are checked every time.
    """

    LIMIT = 4096
    """Texts remembered per column (and sessions): a session's rows come together, and the
    few codes, payers and notes of a file repeat within far fewer rows than this."""

    def __init__(self, catalog: Catalog, now: datetime, layout: Layout | None = None) -> None:
        """`layout`: the file's columns (default: the twelve of old files, no therapist)."""
        self._now = micros(now)
        self._latest = micros(now + FUTURE_SLACK)
        self._layout = layout or Layout()
        self._convert: tuple[Callable[[str], object], ...] = (
            UUID, _date, _PATIENT.validate_python, _PAYER.validate_python, Method, Discipline,
            lambda text: catalog.get(text).code, self._instant,
            lambda text: self._instant(text) if text else None, str, FurnishedBy,
            _NOTE.validate_python, _place, _telehealth, _NAME.validate_python, npi,
            _PROVIDER_CODE.validate_python)
        self._seen: tuple[dict[str, object], ...] = tuple({} for _ in EXPORT_COLUMNS)
        self._sessions: dict[tuple[str, ...], SessionCells] = {}

    def parse(self, line: int, raw: Sequence[str]) -> Row | list[RowError]:
        """One row of the file as csv.reader gives it."""
        width = self._layout.width
        if len(raw) != width:
            return [RowError(line=line, column="row",
                             message=f"{len(raw)} cells, expected {width}")]
        key = self._layout.key(raw)
        session = self._sessions.get(key) or self._session(line, key, raw)
        if session is not None:
            try:
                return self._usual(line, session, raw)
            except (KeyError, ValueError):
                pass
        return self._careful(line, raw)

    def _session(self, line: int, key: tuple[str, ...], raw: Sequence[str]
                 ) -> SessionCells | None:
        """A session's cells seen for the first time; None when one is not right."""
        found: list[RowError] = []
        session = self._session_cells(line, raw, found)
        if found:
            return None
        _remember(self._sessions, key, session)
        return session

    def _session_cells(self, line: int, raw: Sequence[str], found: list[RowError]
                       ) -> SessionCells:
        """The session's cells, each checked, and its place: POS 02 and 10 are telehealth's
        own (a session is refused in person there when it is opened in the app too)."""
        before = len(found)
        cells = self._layout.session(raw)
        session = SessionCells._make([self._known(line, index, cell, found)
                                      for index, cell in zip(_SESSION_INDEXES, cells,
                                                             strict=True)])
        pos = session.place_of_service
        if len(found) == before and session.telehealth is None and is_telehealth_place(pos):
            found.append(RowError(line=line, column="telehealth", message=(
                f"blank (in person), but POS {pos} ({place_name(pos)}) is for telehealth "
                "only: write video or audio, or another place of service")))
        return session

    def _usual(self, line: int, session: SessionCells, raw: Sequence[str]
               ) -> Row | list[RowError]:
        """A row whose other repeating cells were all seen before: KeyError when one was not,
        ValueError when a time is not one (the careful path then says why)."""
        seen = self._seen
        end = raw[_END]
        row = Row._make([line, session, seen[_CODE][raw[_CODE]], self._instant(raw[_START]),
                         self._instant(end) if end else None,
                         seen[_FURNISHED_BY][raw[_FURNISHED_BY]],
                         seen[_NOTE_CELL][raw[_NOTE_CELL]]])
        return self._plausible(row, restore(raw[_SECONDS]))

    def _careful(self, line: int, raw: Sequence[str]) -> Row | list[RowError]:
        """Every cell on its own, each problem named; what repeats is remembered."""
        found: list[RowError] = []
        session = self._session_cells(line, raw, found)
        values = [self._known(line, _CODE, raw[_CODE], found),
                  self._checked(line, _START, raw[_START], found),
                  self._checked(line, _END, raw[_END], found),
                  self._known(line, _FURNISHED_BY, raw[_FURNISHED_BY], found),
                  self._known(line, _NOTE_CELL, raw[_NOTE_CELL], found)]
        seconds = self._checked(line, _SECONDS, raw[_SECONDS], found)
        if found:
            return found
        return self._plausible(Row._make([line, session, *values]), str(seconds))

    def _known(self, line: int, column: int, cell: str, found: list[RowError]) -> object:
        """A cell that repeats: checked the first time its text is seen."""
        seen = self._seen[column]
        if cell in seen:
            return seen[cell]
        errors = len(found)
        value = self._checked(line, column, cell, found)
        if len(found) == errors:
            _remember(seen, cell, value)
        return value

    def _checked(self, line: int, column: int, cell: str, found: list[RowError]) -> object:
        """A cell's value; None and a RowError in `found` when it is not one."""
        text = restore(cell)
        try:
            return self._convert[column](text)
        except (ValueError, OverflowError, CodeError, ValidationError) as error:
            name = EXPORT_COLUMNS[column]
            quoted = "" if name in UNQUOTED else f"{shown(text)}: "
            found.append(RowError(line=line, column=name, message=f"{quoted}{_plain(error)}"))
            return None

    def _plausible(self, row: Row, seconds: str) -> Row | list[RowError]:
        line, start, end = row.line, row.start, row.end
        if end is None:
            if self._now - start > MAX_SEGMENT // MICROSECOND:
                return [RowError(line=line, column="end", message=(
                    f"still running after {timedelta(microseconds=self._now - start)}: a "
                    "timer over 12 hours is forgotten, give its end"))]
            return row
        if end < start:
            return [RowError(line=line, column="end", message="ends before it starts")]
        if end - start > MAX_SEGMENT // MICROSECOND:
            return [RowError(line=line, column="end", message=(
                f"the segment lasts {timedelta(microseconds=end - start)}: over 12 hours on "
                "one code is not a treatment record"))]
        length = (end - start) // SECOND
        if seconds and seconds != str(length):
            return [RowError(line=line, column="seconds", message=(
                f"{shown(seconds)} does not match start and end ({length})"))]
        return row

    def _instant(self, text: str) -> int:
        value = datetime.fromisoformat(text)
        offset = value.utcoffset()
        if offset is None:
            raise ValueError("needs a UTC offset, e.g. 2026-03-02T09:00:00-05:00")
        if not OFFSETS[0] <= offset <= OFFSETS[1]:
            raise ValueError("the UTC offset is outside -12:00 to +14:00")
        if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValueError(f"the year {value.year} is out of range "
                             f"({EARLIEST_YEAR}-{LATEST_YEAR})")
        count = (value - EPOCH) // MICROSECOND  # `micros`, inline: twice a row
        if count > self._latest:
            raise ValueError("is in the future")
        return count


def _remember(memory: dict[_Key, _Value], key: _Key, value: _Value) -> None:
    if len(memory) >= RowParser.LIMIT:
        memory.clear()
    memory[key] = value


def _date(text: str) -> date:
    value = date.fromisoformat(text)
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"the year {value.year} is out of range ({EARLIEST_YEAR}-{LATEST_YEAR})")
    return value


def _place(text: str) -> str:
    """A place of service cell; blank: the office (11), as every session was before. One
    digit is a code a spreadsheet took for a number and stripped of its zero (02 -> 2)."""
    cleaned = text.strip()
    if not cleaned:
        return OFFICE
    return place_code(cleaned.zfill(2) if len(cleaned) == 1 else cleaned)


def _telehealth(text: str) -> Telehealth | None:
    """A telehealth cell; blank: in person. Its case and outer blanks do not matter."""
    cleaned = text.strip().lower()
    if not cleaned:
        return None
    try:
        return Telehealth(cleaned)
    except ValueError:
        raise ValueError("not a telehealth mode: leave it blank for in person, or write "
                         "video or audio (audio only)") from None


_PATIENT: TypeAdapter[str] = TypeAdapter(PatientRef)
_PAYER: TypeAdapter[str] = TypeAdapter(PayerName)
_NOTE: TypeAdapter[str] = TypeAdapter(Note)
_NAME: TypeAdapter[str] = TypeAdapter(Name)
_PROVIDER_CODE: TypeAdapter[str] = TypeAdapter(ProviderCode)


def _plain(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return str(error.errors()[0]["msg"]).removeprefix("Value error, ")
    return str(error)
