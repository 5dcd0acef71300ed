"""The segments CSV of design.md: one row per segment, the export format and the import input.

Pure. This module writes the rows; core.formats.segment_rows reads them back (each cell
checked, each problem named by line and column) and core.formats.import_rules checks the
rules across rows. Cells a spreadsheet would run as a formula are neutralised on the way out
and restored on the way in, so a round trip changes nothing.

Columns: the twelve of design.md (`COLUMNS`, every file has them, in that order), then where,
how and by whom the session was furnished (`WHERE_AND_WHO`, written by every export, optional
on import): `place_of_service` (a CMS POS code; blank: 11, office), `telehealth` (blank: in
person, `video`, `audio`), `rendering_therapist`, `rendering_npi` and `provider_code` (as the
session was stamped when it opened). Like the first six columns, they are the session's:
every row of one session repeats them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import tzinfo
from typing import Protocol

from core.formats.csv_cells import neutralise
from core.models import Frozen, Segment
from core.place import Telehealth, mode_value
from core.session import Session

COLUMNS = ("session_id", "date_of_service", "patient", "payer", "method", "discipline", "code",
           "start", "end", "seconds", "furnished_by", "note")
"""The columns every segments file has, in this order (those of files written before the
columns below existed)."""
WHERE = ("place_of_service", "telehealth")
RENDERING = ("rendering_therapist", "rendering_npi", "provider_code")
WHERE_AND_WHO = (*WHERE, *RENDERING)
EXPORT_COLUMNS = (*COLUMNS, *WHERE_AND_WHO)
SESSION_COLUMNS = ("date_of_service", "patient", "payer", "method", "discipline",
                   *WHERE_AND_WHO)
"""The columns one session's rows agree on (after its id)."""
SHOWN = 40


def segment_rows(session: Session, segments: Iterable[Segment], zone: tzinfo
                 ) -> Iterator[list[str]]:
    """A session's rows, one per segment, in `EXPORT_COLUMNS` (the session's cells made once).
    Times, second counts and fixed words never start like a formula: only free text is
    neutralised."""
    head = [neutralise(cell) for cell in (
        str(session.id), session.date_of_service.isoformat(), session.patient,
        session.payer.name, session.payer.method.value, session.discipline.value)]
    tail = [neutralise(cell) for cell in where_and_who(session)]
    for segment in segments:
        start, end = segment.start, segment.end
        yield [*head, neutralise(segment.code), start.astimezone(zone).isoformat(),
               "" if end is None else end.astimezone(zone).isoformat(),
               "" if end is None else str(int((end - start).total_seconds())),
               segment.furnished_by.value, neutralise(segment.note), *tail]


class Furnished(Protocol):
    """Where, how and by whom: a session, or a claim line (which has them from its session)."""

    @property
    def place_of_service(self) -> str: ...
    @property
    def telehealth(self) -> Telehealth | None: ...
    @property
    def therapist(self) -> str: ...
    @property
    def npi(self) -> str: ...
    @property
    def provider_code(self) -> str: ...


def where_and_who(record: Furnished) -> list[str]:
    """The `WHERE_AND_WHO` cells of a record, as text (not yet neutralised)."""
    return [record.place_of_service, mode_value(record.telehealth) or "",
            record.therapist, record.npi, record.provider_code]


class RowError(Frozen):
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


def shown(text: str) -> str:
    """A cell quoted in a message: escaped, and cut short (a cell may be kilobytes long)."""
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "...")
