"""Reports read from a data folder: a day, a patient's history, claim lines and sessions as CSV.

The rules are in core; this module only finds the records they need (through the queries),
so the screen, the command line and the export all say the same thing. The CSV reports are
written as they are read, a day at a time, so their memory does not grow with the range.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TextIO

from core.billing.day import ClaimRow, SessionData, YearToDate, day_claim_rows
from core.billing.modifiers import KX_THRESHOLDS, TherapyBucket, threshold_status
from core.billing.recorded import bill_recorded
from core.billing.summary import DaySummary, summarize_day
from core.care.history import HistoryEntry, patient_history
from core.formats.chart_note import chart_note
from core.formats.claims_csv import LINE_COLUMNS, SESSION_COLUMNS, line_row, session_row
from core.kinds import LATEST_YEAR
from core.models import Frozen
from core.session import Session
from core.text import plural
from storage.indexes import medicare_by_day, year_to_date
from storage.repository import Repository


def load_day(repo: Repository, day: date, now: datetime) -> DaySummary:
    """The day, with each Medicare patient's amount so far this year for KX and each
    patient's clocks (progress report, plan of care, authorization)."""
    sessions = repo.queries.day_sessions(day)
    return summarize_day(day, sessions, now, repo.catalog, repo.zone,
                         year_to_date=repo.queries.year_to_date(day),
                         forgotten_minutes=repo.settings.forgotten_timer_minutes,
                         report_deadlines=repo.queries.report_deadlines(day, sessions),
                         certifications=repo.queries.plan_of_care_deadlines(day, sessions),
                         authorizations=repo.queries.authorization_balances(day, sessions),
                         therapist_discipline=repo.settings.discipline)


def _summarize(repo: Repository, day: date, sessions: list[SessionData], now: datetime,
               ytd: YearToDate) -> DaySummary:
    """The day as its claim lines need it (no clocks)."""
    return summarize_day(day, sessions, now, repo.catalog, repo.zone, year_to_date=ytd,
                         forgotten_minutes=repo.settings.forgotten_timer_minutes)


def load_history(repo: Repository, patient: str) -> list[HistoryEntry]:
    """Every session of a patient with the year so far, from the index alone."""
    visits = repo.queries.visits(patient)
    daily = {}
    for year in sorted({day.year for day, _ in visits}):
        daily.update(medicare_by_day(repo.indexes.year(year), patient))
    elsewhere = {(e.year, e.bucket): e.amount for e in repo.patients.entries(patient)}
    return patient_history(visits, daily, elsewhere)


class BucketYear(Frozen):
    """A patient's Medicare allowed amounts in one KX bucket and year, as KX counts them."""

    bucket: TherapyBucket
    here: Decimal
    elsewhere: Decimal
    threshold: Decimal | None
    messages: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        return self.here + self.elsewhere


def patient_year(repo: Repository, patient: str, year: int) -> list[BucketYear]:
    """Each KX bucket's year so far for a patient: this folder's closed sessions and what was
    entered as used at other providers."""
    here = year_to_date(repo.indexes.year(year).values(), date(year + 1, 1, 1)) \
        if year < LATEST_YEAR else {}
    elsewhere = repo.patients.used_elsewhere(year)
    found = []
    for bucket in TherapyBucket:
        mine = here.get((patient, bucket), Decimal(0))
        other = elsewhere.get((patient, bucket), Decimal(0))
        threshold = KX_THRESHOLDS.get(year)
        messages = (threshold_status(year, bucket, mine + other).messages if threshold
                    else (f"no KX threshold is known for {year}",))
        found.append(BucketYear(bucket=bucket, here=mine, elsewhere=other, threshold=threshold,
                                messages=messages))
    return found


def claim_rows(repo: Repository, first: date | None, last: date | None,
               now: datetime) -> Iterator[ClaimRow]:
    """Every claim line of the closed sessions in the range, oldest first, KX included (the
    year so far before each day is the index's, as for the day summary). Open sessions are
    not billed yet (`left_open` names them)."""
    for day in repo.queries.days(first, last):
        closed = [(s, segs) for s, segs in repo.queries.day_sessions(day, keep=False)
                  if not s.is_open]
        yield from day_claim_rows(day, closed, now, repo.catalog,
                                  repo.queries.year_to_date(day))


def left_open(repo: Repository, first: date | None, last: date | None) -> list[Session]:
    """Sessions in the range that are still open, so not in a claim-line export."""
    return [s for s in repo.queries.open_sessions()
            if (first is None or s.date_of_service >= first)
            and (last is None or s.date_of_service <= last)]


def left_open_text(sessions: list[Session]) -> str:
    names = ", ".join(f"{s.patient} {s.date_of_service}" for s in sessions)
    return (f"left out {plural(len(sessions), 'open session')} (not billed until closed): "
            f"{names}")


def write_lines(repo: Repository, first: date | None, last: date | None, now: datetime,
                out: TextIO) -> int:
    """The claim-lines CSV; returns how many lines."""
    writer = csv.writer(out)
    writer.writerow(LINE_COLUMNS)
    count = 0
    for row in claim_rows(repo, first, last, now):
        writer.writerow(line_row(row))
        count += 1
    return count


def write_sessions(repo: Repository, first: date | None, last: date | None, now: datetime,
                   out: TextIO) -> int:
    """One row per session with its chart note; returns how many sessions."""
    writer = csv.writer(out)
    writer.writerow(SESSION_COLUMNS)
    settings = repo.settings
    count = 0
    for day in repo.queries.days(first, last):
        sessions = repo.queries.day_sessions(day, keep=False)
        summary = _summarize(repo, day, sessions, now, repo.queries.year_to_date(day))
        segments = {s.id: segs for s, segs in sessions}
        for item in summary.sessions:
            mine = segments[item.session.id]
            note = chart_note(item.session, mine,
                              bill_recorded(item.session, mine, now, repo.catalog), repo.zone,
                              therapist=settings.therapist, credentials=settings.credentials,
                              discipline=settings.discipline)
            writer.writerow(session_row(item, note))
            count += 1
    return count
