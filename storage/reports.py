"""Reports read from a data folder: a day, a patient's history, claim lines and sessions as CSV.

The rules are in core; this module only finds the records they need, so the screen, the
command line and the export all say the same thing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from core.chart_note import chart_note
from core.claims_csv import LINE_COLUMNS, SESSION_COLUMNS, line_row, session_row
from core.day import ClaimRow, DaySummary, SessionData, YearToDate, day_claim_rows, summarize_day
from core.history import HistoryEntry, patient_history
from core.models import Segment
from core.modifiers import therapy_bucket
from core.session import Session
from storage.repository import Repository


def day_sessions(repo: Repository, day: date) -> list[SessionData]:
    by_session: dict[UUID, list[Segment]] = {}
    for segment in repo.segments_on(day):
        by_session.setdefault(segment.session_id, []).append(segment)
    return [(s, by_session.get(s.id, [])) for s in repo.sessions_on(day)]


def load_history(repo: Repository, patient: str, now: datetime) -> list[HistoryEntry]:
    sessions = repo.sessions_for_patient(patient)
    return patient_history([(s, repo.segments_of(s.id)) for s in sessions], now, repo.catalog)


def load_day(repo: Repository, day: date, now: datetime) -> DaySummary:
    """The day, with each Medicare patient's amount so far this year (from the ledger) for KX."""
    return _summarize(repo, day, day_sessions(repo, day), now, repo.year_to_date(day))


def _summarize(repo: Repository, day: date, sessions: list[SessionData], now: datetime,
               ytd: YearToDate) -> DaySummary:
    return summarize_day(day, sessions, now, repo.catalog, repo.zone, year_to_date=ytd,
                         forgotten_minutes=repo.settings.forgotten_timer_minutes)


def days_in_range(repo: Repository, first: date | None, last: date | None) -> list[date]:
    return [d for d in repo.all_days() if (first is None or d >= first)
            and (last is None or d <= last)]


def claim_rows(repo: Repository, first: date | None, last: date | None,
               now: datetime) -> Iterable[ClaimRow]:
    """Every claim line of the closed sessions in the range, oldest first, KX included: the
    year so far comes from the ledger at the first day, then from the lines themselves. Open
    sessions are not billed yet (`left_open` names them)."""
    ytd: YearToDate = {}
    year = None
    for day in days_in_range(repo, first, last):
        if day.year != year:
            ytd, year = repo.year_to_date(day), day.year
        closed = [(s, segs) for s, segs in day_sessions(repo, day) if not s.is_open]
        rows = day_claim_rows(day, closed, now, repo.catalog, ytd)
        for row in rows:
            if row.medicare:
                key = (row.patient, therapy_bucket(row.discipline))
                ytd[key] = ytd.get(key, Decimal(0)) + (row.amount or Decimal(0))
        yield from rows


def left_open(repo: Repository, first: date | None, last: date | None) -> list[Session]:
    """Sessions in the range that are still open, so not in a claim-line export."""
    return [s for day in days_in_range(repo, first, last) for s in repo.sessions_on(day)
            if s.is_open]


def left_open_text(sessions: list[Session]) -> str:
    names = ", ".join(f"{s.patient} {s.date_of_service}" for s in sessions)
    return f"left out {len(sessions)} open session(s), close them first: {names}"


def export_lines(repo: Repository, first: date | None, last: date | None,
                 now: datetime) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(LINE_COLUMNS)
    writer.writerows(line_row(row) for row in claim_rows(repo, first, last, now))
    return out.getvalue()


def export_sessions(repo: Repository, first: date | None, last: date | None,
                    now: datetime) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(SESSION_COLUMNS)
    settings = repo.settings
    for day in days_in_range(repo, first, last):
        sessions = day_sessions(repo, day)
        summary = _summarize(repo, day, sessions, now, {})
        segments = {s.id: segs for s, segs in sessions}
        for item in summary.sessions:
            note = chart_note(item.session, segments[item.session.id], item.billing,
                              repo.catalog, repo.zone, therapist=settings.therapist,
                              credentials=settings.credentials)
            writer.writerow(session_row(item, note))
    return out.getvalue()
