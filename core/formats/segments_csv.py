"""The segments CSV of design.md: one row per segment, the export format and the import input.

Pure. This module writes the rows; core.formats.segment_rows reads them back (each cell
checked, each problem named by line and column) and core.formats.import_rules checks the
rules across rows. Cells a spreadsheet would run as a formula are neutralised on the way out
and restored on the way in, so a round trip changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import tzinfo

from core.formats.csv_cells import neutralise
from core.models import Frozen, Segment
from core.session import Session

COLUMNS = ("session_id", "date_of_service", "patient", "payer", "method", "discipline", "code",
           "start", "end", "seconds", "furnished_by", "note")
SESSION_COLUMNS = ("date_of_service", "patient", "payer", "method", "discipline")
SHOWN = 40


def segment_rows(session: Session, segments: Iterable[Segment], zone: tzinfo
                 ) -> Iterator[list[str]]:
    """A session's rows, one per segment (the session's cells made once). Times, second
    counts and fixed words never start like a formula: only free text is neutralised."""
    head = [neutralise(cell) for cell in (
        str(session.id), session.date_of_service.isoformat(), session.patient,
        session.payer.name, session.payer.method.value, session.discipline.value)]
    for segment in segments:
        start, end = segment.start, segment.end
        yield [*head, neutralise(segment.code), start.astimezone(zone).isoformat(),
               "" if end is None else end.astimezone(zone).isoformat(),
               "" if end is None else str(int((end - start).total_seconds())),
               segment.furnished_by.value, neutralise(segment.note)]


class RowError(Frozen):
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


def shown(text: str) -> str:
    """A cell quoted in a message: escaped, and cut short (a cell may be kilobytes long)."""
    return repr(text if len(text) <= SHOWN else text[:SHOWN] + "...")
