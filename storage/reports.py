"""Reports read from a data folder as CSV: claim lines, sessions with their chart notes, segments.

The rules are in core; this module only finds the records they need (through a folder's
narrow read protocol, storage/reading.py), so the screen, the command line and the export all
say the same thing. The CSV reports are written as they are read, a day at a time, so their
memory does not grow with the range.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TextIO

from core.billing.day import ClaimRow, YearToDate, day_claim_rows, medicare_amounts
from core.billing.recorded import bill_recorded
from core.billing.summary import DaySummary, summarize_day
from core.formats.chart_note import chart_note
from core.formats.claims_csv import LINE_COLUMNS, SESSION_COLUMNS, line_row, session_row
from core.formats.segments_csv import EXPORT_COLUMNS, segment_rows
from core.session import Session, SessionData
from core.text import plural
from storage.reading import FolderReader


class _YearSoFar:
    """The year so far (KX) before each day of an export, asked in date order: the folder's
    read once per year of the range, then each exported day's Medicare amounts added as it is
    billed (what the index keeps of that day: its closed sessions' claim lines)."""

    def __init__(self, folder: FolderReader) -> None:
        self._folder = folder
        self._year: int | None = None
        self._totals: YearToDate = {}

    def before(self, day: date) -> YearToDate:
        if day.year != self._year:
            self._year, self._totals = day.year, self._folder.year_to_date(day)
        return self._totals

    def add(self, rows: Iterable[ClaimRow]) -> None:
        """A day's claim lines of closed sessions, once billed."""
        for key, amount in medicare_amounts(rows).items():
            self._totals[key] = self._totals.get(key, Decimal(0)) + amount


def _summarize(folder: FolderReader, day: date, sessions: list[SessionData], now: datetime,
               ytd: YearToDate) -> DaySummary:
    """The day as its claim lines need it (no clocks)."""
    return summarize_day(day, sessions, now, folder.catalog, folder.zone, year_to_date=ytd,
                         forgotten_minutes=folder.settings.forgotten_timer_minutes,
                         therapist_discipline=folder.settings.discipline)


def claim_rows(folder: FolderReader, first: date | None, last: date | None,
               now: datetime) -> Iterator[ClaimRow]:
    """Every claim line of the closed sessions in the range, oldest first, KX included (the
    year so far before each day is the index's, as for the day summary). Open sessions are
    not billed yet (`left_open` names them)."""
    year = _YearSoFar(folder)
    for day in folder.days(first, last):
        closed = [(s, segs) for s, segs in folder.day_sessions(day, keep=False)
                  if not s.is_open]
        rows = day_claim_rows(day, closed, now, folder.catalog, year.before(day))
        year.add(rows)
        yield from rows


def left_open(folder: FolderReader, first: date | None, last: date | None) -> list[Session]:
    """Sessions in the range that are still open, so not in a claim-line export."""
    return [s for s in folder.open_sessions()
            if (first is None or s.date_of_service >= first)
            and (last is None or s.date_of_service <= last)]


def left_open_text(sessions: list[Session]) -> str:
    names = ", ".join(f"{s.patient} {s.date_of_service}" for s in sessions)
    return (f"left out {plural(len(sessions), 'open session')} (not billed until closed): "
            f"{names}")


def write_lines(folder: FolderReader, first: date | None, last: date | None, now: datetime,
                out: TextIO) -> int:
    """The claim-lines CSV; returns how many lines."""
    return write_line_rows(claim_rows(folder, first, last, now), out)


def write_line_rows(rows: Iterable[ClaimRow], out: TextIO) -> int:
    """Claim lines as the claim-lines CSV (a therapist's or the clinic's); how many."""
    writer = csv.writer(out)
    writer.writerow(LINE_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow(line_row(row))
        count += 1
    return count


def write_sessions(folder: FolderReader, first: date | None, last: date | None, now: datetime,
                   out: TextIO) -> int:
    """One row per session with its chart note; returns how many sessions."""
    writer = csv.writer(out)
    writer.writerow(SESSION_COLUMNS)
    settings = folder.settings
    year = _YearSoFar(folder)
    count = 0
    for day in folder.days(first, last):
        sessions = folder.day_sessions(day, keep=False)
        summary = _summarize(folder, day, sessions, now, year.before(day))
        closed = [(s, segs) for s, segs in sessions if not s.is_open]
        year.add(summary.rows if len(closed) == len(sessions) else
                 day_claim_rows(day, closed, now, folder.catalog, year.before(day)))
        segments = {s.id: segs for s, segs in sessions}
        for item in summary.sessions:
            mine = segments[item.session.id]
            note = chart_note(item.session, mine,
                              bill_recorded(item.session, mine, now, folder.catalog),
                              folder.zone,
                              therapist=settings.therapist, credentials=settings.credentials,
                              discipline=settings.discipline)
            writer.writerow(session_row(item, summary.units_text(item), note))
            count += 1
    return count


def write_segments(folder: FolderReader, first: date | None, last: date | None,
                   out: TextIO) -> int:
    """The segments CSV (the import format) of the sessions dated in [first, last], written a
    day at a time. Returns how many segments."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for day in folder.days(first, last):
        for session, segments in folder.day_sessions(day, keep=False):
            count += len(segments)
            writer.writerows(segment_rows(session, segments, folder.zone))
    return count
