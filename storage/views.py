"""Read models: what a screen or a command shows, gathered in one place from the queries,
the indexes and what was entered about patients, so that the screens, the command line and
the exports never assemble domain facts of their own. Reading only: nothing here writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from core.billing.day import DayBilling, bill_day
from core.billing.live import NextUnit, next_unit
from core.billing.modifiers import KX_THRESHOLDS, TherapyBucket, threshold_status
from core.billing.productivity import Productivity, day_productivity
from core.billing.recorded import bill_recorded
from core.billing.session import SessionBill
from core.billing.summary import (
    DaySummary,
    RangeView,
    day_figures,
    range_figures,
    summarize_day,
)
from core.billing.units import BillingResult
from core.care.deadlines import (
    AuthorizationBalance,
    DeadlineKey,
    DeadlinePair,
    PlanOfCareDeadline,
    ReportDeadline,
    authorization_balance,
    patient_deadlines,
)
from core.care.history import HistoryEntry, Visit, patient_history
from core.care.patients import UsedElsewhere
from core.catalog import Catalog
from core.kinds import Discipline
from core.models import Frozen, Segment
from core.session import Session, SessionData, treated_from
from core.timing import forgotten_timers
from storage.derive import patient_file
from storage.documents import DayEntry
from storage.indexes import medicare_by_day, year_to_date
from storage.repository import Repository


def day_view(repo: Repository, day: date, now: datetime) -> DaySummary:
    """The day, with each Medicare patient's amount so far this year for KX and each
    patient's clocks (progress report, plan of care, authorization)."""
    sessions = repo.queries.day_sessions(day)
    patients = {session.patient for session, _ in sessions}
    return summarize_day(day, sessions, now, repo.catalog, repo.zone,
                         year_to_date=repo.queries.year_to_date(day, patients),
                         forgotten_minutes=repo.settings.forgotten_timer_minutes,
                         report_deadlines=repo.queries.report_deadlines(day, sessions),
                         certifications=repo.queries.plan_of_care_deadlines(day, sessions),
                         authorizations=repo.queries.authorization_balances(day, sessions),
                         therapist_discipline=repo.settings.discipline,
                         productivity_target=repo.settings.productivity_target,
                         scheduled_hours=repo.settings.scheduled_hours)


def patient_history_view(repo: Repository, patient: str) -> list[HistoryEntry]:
    """Every session of a patient with the year so far, from the patient index alone."""
    visits = repo.queries.visits(patient)
    daily = medicare_by_day(_patient_entries(repo, patient), patient)
    elsewhere = {(e.year, e.bucket): e.amount for e in repo.patients.entries(patient)}
    return patient_history(visits, daily, elsewhere)


def _patient_entries(repo: Repository, patient: str) -> dict[date, DayEntry]:
    """The day entries of the patient's file of the patient index (a few patients' each)."""
    return repo.indexes.patient_files({patient})[patient_file(patient)]


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
    here = year_to_date((entry for day, entry in _patient_entries(repo, patient).items()
                         if day.year == year), date.max)
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


@dataclass(frozen=True)
class PatientView:
    """A patient as the `patient` command and the history screen show them: the sessions,
    the calendar year's Medicare amounts per KX bucket (here and elsewhere), the
    authorizations counted down and the deadlines of each discipline, on `today`."""

    patient: str
    year: int
    today: date
    visits: tuple[tuple[date, Visit], ...]
    """Every session of the patient, oldest first (all years)."""
    buckets: tuple[BucketYear, ...]
    entered: dict[TherapyBucket, UsedElsewhere]
    """What was entered as used at other providers in `year`, per bucket."""
    authorizations: tuple[AuthorizationBalance, ...]
    deadlines: dict[Discipline, DeadlinePair]

    @property
    def visits_of_year(self) -> list[tuple[date, Visit]]:
        return [(day, visit) for day, visit in self.visits if day.year == self.year]


def patient_view(repo: Repository, patient: str, year: int, today: date) -> PatientView:
    visits = repo.queries.visits(patient)
    return PatientView(
        patient=patient, year=year, today=today, visits=tuple(visits),
        buckets=tuple(patient_year(repo, patient, year)),
        entered={e.bucket: e for e in repo.patients.entries(patient) if e.year == year},
        authorizations=tuple(authorization_balance(a, visits, today)
                             for a in repo.patients.authorizations(patient)),
        deadlines=patient_deadlines(visits, repo.patients.episodes(patient), today))


@dataclass(frozen=True)
class TodayView:
    """Today's sessions in the order treated (any still open from an earlier day first),
    billed as the day summary bills them, the day's deadlines in words, at `now`. Read when
    something changed; each second only the dates with a running timer are billed again
    (`at`)."""

    day: date
    now: datetime
    sessions: tuple[Session, ...]
    segments: dict[UUID, tuple[Segment, ...]]
    billed: dict[date, DayBilling]
    reports: dict[DeadlineKey, ReportDeadline]
    deadlines: tuple[str, ...]
    """Each warning deadline as a line: a progress report due, a plan of care ending, an
    authorization running low."""
    target: int | None = None
    scheduled_hours: Decimal | None = None
    """The settings' productivity target and scheduled day."""

    def at(self, now: datetime, catalog: Catalog) -> TodayView:
        running = {s.date_of_service for s in self.sessions
                   if any(seg.running for seg in self.segments[s.id])}
        billed = dict(self.billed)
        for day in running:
            billed[day] = bill_day([(s, self.segments[s.id]) for s in self.sessions
                                    if s.date_of_service == day], now, catalog)
        return replace(self, now=now, billed=billed)

    def billing(self, session: Session) -> BillingResult:
        return self.billed[session.date_of_service].billings[session.id]

    def units(self, session: Session) -> int | None:
        """The units of the claim lines the session leads; None: pooled with an earlier one."""
        return self.billed[session.date_of_service].units.get(session.id)

    def totals(self) -> tuple[int, int, int]:
        """Today's timed minutes, units and timed units, as the day summary counts them."""
        billed = self.billed.get(self.day)
        if billed is None:
            return 0, 0, 0
        return (sum(g.timed_minutes for g in billed.groups),
                sum(row.units for row in billed.rows),
                sum(g.timed_units for g in billed.groups))

    def productivity(self) -> Productivity | None:
        """Today's productivity at `now` (None before the first segment)."""
        billed = self.billed.get(self.day)
        return None if billed is None else day_productivity(
            billed, self.now, target=self.target, scheduled_hours=self.scheduled_hours)


def today_view(repo: Repository, now: datetime) -> TodayView:
    today = repo.local(now).date()
    listed = {s.id: s for s in repo.queries.sessions_on(today)}
    for session in repo.queries.open_sessions():
        listed.setdefault(session.id, session)
    segments = {i: tuple(repo.queries.segments_of(i)) for i in listed}
    sessions = tuple(sorted(listed.values(), key=lambda s: (
        s.date_of_service, treated_from(s, segments[s.id]))))
    pairs: list[SessionData] = [(s, segments[s.id]) for s in sessions]
    by_day: dict[date, list[SessionData]] = {}
    for pair in pairs:
        by_day.setdefault(pair[0].date_of_service, []).append(pair)
    reports = repo.queries.report_deadlines(today, pairs)
    warned: list[tuple[str, ReportDeadline | PlanOfCareDeadline | AuthorizationBalance]] = [
        *((patient, d) for (patient, _), d in reports.items()),
        *((patient, d) for (patient, _), d in
          repo.queries.plan_of_care_deadlines(today, pairs).items()),
        *((patient, d) for (patient, _), d in
          repo.queries.authorization_balances(today, pairs).items())]
    return TodayView(
        day=today, now=now, sessions=sessions, segments=segments,
        billed={day: bill_day(day_pairs, now, repo.catalog)
                for day, day_pairs in by_day.items()},
        reports=reports,
        deadlines=tuple(f"{patient}: {d.message}" for patient, d in warned
                        if d.kind is not None),
        target=repo.settings.productivity_target,
        scheduled_hours=repo.settings.scheduled_hours)


@dataclass(frozen=True)
class SessionLive:
    """One session at the table, at `now`: its segments, billed (live while open), where the
    units stand, the untimed units it bills, its running and forgotten timers."""

    session: Session
    segments: tuple[Segment, ...]
    bill: SessionBill
    next_unit: NextUnit
    untimed: int
    """Units of untimed codes it bills (a group's 97150): the header says them."""
    forgotten: frozenset[str]
    """Codes whose timer runs past the settings' limit."""
    running_timed: str | None
    """The timed code running now, if any."""

    @property
    def running(self) -> tuple[Segment, ...]:
        return tuple(s for s in self.segments if s.running)


def session_live(repo: Repository, session_id: UUID, now: datetime) -> SessionLive:
    session = repo.queries.session(session_id)
    segments = tuple(repo.queries.segments_of(session_id))
    bill = bill_recorded(session, segments, now, repo.catalog)
    running = [s for s in segments if s.running]
    return SessionLive(
        session=session, segments=segments, bill=bill,
        next_unit=next_unit(session.payer.method, bill.billing, segments, now, repo.catalog),
        untimed=sum(line.units for line in bill.claim) - bill.billing.timed_units,
        forgotten=frozenset(s.code for s in forgotten_timers(
            running, now, repo.settings.forgotten_timer_minutes)),
        running_timed=next((s.code for s in running if repo.catalog.is_timed(s.code)), None))


def session_deadlines(repo: Repository, session: Session, segments: Sequence[Segment]
                      ) -> tuple[ReportDeadline | None, list[str]]:
    """A session's progress-report deadline (its header shows it) and what warns of the
    patient's deadlines: the report due (unless marked written), the plan of care ending,
    the payer's authorization running low."""
    here = [(session, segments)]
    day, key = session.date_of_service, (session.patient, session.discipline)
    report = repo.queries.report_deadlines(day, here).get(key)
    others = (repo.queries.plan_of_care_deadlines(day, here).get(key),
              repo.queries.authorization_balances(day, here).get((session.patient,
                                                                  session.payer.name)))
    warnings = [report.message] if report is not None and report.kind and \
        not session.progress_report else []
    warnings += [other.message for other in others if other is not None and other.kind]
    return report, warnings



def range_view(repo: Repository, first: date, last: date, now: datetime) -> RangeView:
    """Every date from `first` to `last`. Reads each day file once without keeping it."""
    return range_figures(first, last, {
        day: day_figures(repo.queries.day_sessions(day, keep=False), now, repo.catalog,
                         repo.settings) for day in repo.queries.days(first, last)})
