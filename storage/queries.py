"""Reading the data folder: sessions, segments, what a screen shows, the year so far.

Read only: nothing here writes or repairs (a damaged file is the store's business, a stale
index the indexes'). Records come from the store's cache; a session is found from its id
through the index, whatever day it is on; a patient's sessions and year so far from the
patient index (one small file, not every month).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from core.audit import AuditEntry
from core.billing.day import YearToDate
from core.billing.recorded import bill_recorded
from core.care.deadlines import (
    AuthorizationBalance,
    DeadlineKey,
    PlanOfCareDeadline,
    ReportDeadline,
    day_balances,
    day_plan_of_care_deadlines,
    day_report_deadlines,
)
from core.care.history import Visit
from core.care.patients import Episode
from core.models import Segment
from core.session import Session, SessionData, SessionView, in_day_order
from storage.derive import patient_file
from storage.errors import NotFound
from storage.indexes import Indexes, year_to_date

if TYPE_CHECKING:
    from storage.context import Context


class Queries:
    """The read side of an opened folder, over its context (storage/context.py)."""

    def __init__(self, context: Context) -> None:
        self._ctx = context

    # ---- sessions -------------------------------------------------------------------------

    def day_of(self, session_id: UUID) -> date:
        day = self._ctx.indexes.date_of(session_id)
        if day is None:
            raise NotFound(f"no session {session_id} in {self._ctx.store.root}")
        return day

    def session(self, session_id: UUID) -> Session:
        store = self._ctx.store
        found = store.record(store.day_path(self.day_of(session_id)), "sessions", session_id)
        if found is None:
            raise NotFound(f"no session {session_id} in {store.root}")
        assert isinstance(found, Session)
        return found

    def sessions_on(self, day: date) -> list[Session]:
        sessions = self._ctx.store.records(self._ctx.store.day_path(day), "sessions")
        return sorted(sessions, key=lambda s: s.opened_at)

    def open_sessions(self) -> list[Session]:
        """Sessions not closed yet, from any day (a session may run past midnight)."""
        store = self._ctx.store
        found = []
        for entry in self._ctx.indexes.open_sessions():
            session = store.record(store.day_path(entry.date), "sessions", entry.id)
            if isinstance(session, Session) and session.is_open:
                found.append(session)
        return sorted(found, key=lambda s: s.opened_at)

    def days(self, first: date | None = None, last: date | None = None) -> list[date]:
        """Dates with a day file, in order, optionally within [first, last]."""
        return [day for day in self._ctx.store.day_files()
                if (first is None or day >= first) and (last is None or day <= last)]

    # ---- patients, from the index -----------------------------------------------------------

    def patients(self) -> list[str]:
        """Patient references seen this year and last year, for completion."""
        year = self._ctx.local(self._ctx.clock()).year
        return sorted({s.patient for each in (year - 1, year)
                       for entry in self._ctx.indexes.year(each).values()
                       for s in entry.sessions})

    def visits(self, patient: str) -> list[tuple[date, Visit]]:
        """Every session of a patient, oldest first, from the patient index."""
        return visits_of(self._ctx.indexes, {patient}).get(patient, [])

    def last_visit(self, patient: str) -> Visit | None:
        """A patient's latest session as the index has it (its payer and discipline)."""
        visits = self.visits(patient) if patient else []
        return visits[-1][1] if visits else None

    def year_to_date(self, day: date, patients: Collection[str] | None = None) -> YearToDate:
        """Each Medicare patient's allowed amount per KX bucket in `day`'s year before `day`:
        what other providers billed (as entered) and this folder's closed sessions. Only
        `patients`', when given: read from their files of the patient index, not every month
        of the year."""
        totals = dict(self._ctx.patients.used_elsewhere(day.year))
        if patients is None:
            entries = list(self._ctx.indexes.year(day.year).values())
        else:
            totals = {key: amount for key, amount in totals.items() if key[0] in patients}
            entries = [entry for entries in self._ctx.indexes.patient_files(patients).values()
                       for when, entry in entries.items() if when.year == day.year]
        for key, amount in year_to_date(entries, day).items():
            if patients is None or key[0] in patients:
                totals[key] = totals.get(key, Decimal(0)) + amount
        return totals

    def report_deadlines(self, day: date, sessions: Sequence[SessionData]
                         ) -> dict[DeadlineKey, ReportDeadline]:
        """The progress-report clock of each patient and discipline among `sessions` on
        `day`: the index's visits up to that day, these sessions as they are now."""
        known, episodes = _day_history(self._ctx, day, sessions)
        return day_report_deadlines(day, sessions, known, episodes)

    def plan_of_care_deadlines(self, day: date, sessions: Sequence[SessionData]
                               ) -> dict[DeadlineKey, PlanOfCareDeadline]:
        """The plan-of-care clock of each patient and discipline among `sessions` on `day`
        (an entered episode, else from the first treatment day)."""
        known, episodes = _day_history(self._ctx, day, sessions)
        return day_plan_of_care_deadlines(day, sessions, known, episodes)

    def authorization_balances(self, day: date, sessions: Sequence[SessionData]
                               ) -> dict[tuple[str, str], AuthorizationBalance]:
        """The authorizations of the patients and payers among `sessions` on `day`, counted
        down to that day (these sessions as they are now)."""
        patients = {s.patient for s, _ in sessions if s.date_of_service == day}
        entered = [a for a in self._ctx.patients.authorizations() if a.patient in patients]
        if not entered:
            return {}
        known, _ = _day_history(self._ctx, day, sessions)
        return day_balances(day, sessions, known, entered)

    # ---- segments -------------------------------------------------------------------------

    def segments_on(self, day: date) -> list[Segment]:
        """Every segment of the sessions of one date of service, in start order."""
        segments = self._ctx.store.records(self._ctx.store.day_path(day), "segments")
        return sorted(segments, key=lambda s: s.start)

    def segments_of(self, session_id: UUID) -> list[Segment]:
        return [s for s in self.segments_on(self.day_of(session_id))
                if s.session_id == session_id]

    def day_sessions(self, day: date, *, keep: bool = True) -> list[SessionData]:
        """The sessions of a date (`in_day_order`), each with its segments (by start).

        `keep=False` reads the file without keeping it: for going through every day once
        (exports, reports) without pushing out what the app works with."""
        store = self._ctx.store
        path = store.day_path(day)
        tables = store.tables(path) if keep else store.read_once(path)
        by_session: dict[UUID, list[Segment]] = {}
        for segment in sorted(tables["segments"].values(), key=lambda s: s.start):
            by_session.setdefault(segment.session_id, []).append(segment)
        return in_day_order((s, by_session.get(s.id, [])) for s in tables["sessions"].values())

    def session_view(self, session_id: UUID) -> SessionView:
        session = self.session(session_id)
        segments = self.segments_of(session_id)
        billing = bill_recorded(session, segments, self._ctx.clock(), self._ctx.catalog).billing
        return SessionView(session=session, segments=tuple(segments), billing=billing,
                           running=tuple(s for s in segments if s.running))

    def running_segments(self) -> list[Segment]:
        """Running timers of every open session, whatever day it started on."""
        open_ids = {s.id: s.date_of_service for s in self.open_sessions()}
        return [s for day in sorted(set(open_ids.values())) for s in self.segments_on(day)
                if s.running and s.session_id in open_ids]

    def running_timed(self) -> list[Segment]:
        return [s for s in self.running_segments() if self._ctx.catalog.is_timed(s.code)]

    def audit_of(self, session_id: UUID) -> list[AuditEntry]:
        audit = self._ctx.store.records(self._ctx.store.day_path(self.day_of(session_id)),
                                        "audit")
        return [entry for entry in audit if entry.session_id == session_id]


def visits_of(indexes: Indexes, patients: set[str], before: date | None = None
              ) -> dict[str, list[tuple[date, Visit]]]:
    """The sessions of several patients (before a date), oldest first, from their files of
    the patient index."""
    files = indexes.patient_files(patients)
    found: dict[str, list[tuple[date, Visit]]] = {}
    for patient in sorted(patients):
        visits = [(day, visit) for day, entry in sorted(files[patient_file(patient)].items())
                  if before is None or day < before
                  for visit in entry.sessions if visit.patient == patient]
        if visits:
            found[patient] = visits
    return found


def _day_history(context: Context, day: date, sessions: Sequence[SessionData]
                 ) -> tuple[dict[str, list[tuple[date, Visit]]], list[Episode]]:
    """The visits up to `day` of its sessions' patients, and their episodes."""
    patients = {s.patient for s, _ in sessions if s.date_of_service == day}
    if not patients:
        return {}, []
    known = visits_of(context.indexes, patients, before=day + timedelta(days=1))
    return known, [e for e in context.patients.episodes() if e.patient in patients]
