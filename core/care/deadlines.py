"""The clocks around the sessions (billing-spec section 11). Medicare's progress report
(Pub. 100-02 ch.15 §220.3): at least once every 10 treatment days, per discipline, written by
a therapist. A payer's authorization: visits and/or units until an end date.

Counted from the visits the index already keeps: a treatment day is a date with a session of
that discipline that holds any segment (an evaluation day counts), whatever the number of
sessions that date. A period starts on the first treatment day and again after the date of
each report a therapist marked; the visit on which the report is written is the period's
last. Pure: visits in, the clock out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from core.care.history import Visit, visit_of
from core.care.patients import CERTIFICATION_DAYS, Authorization, Episode
from core.kinds import Discipline
from core.models import Segment
from core.session import Session
from core.text import plural

REPORT_EVERY = 10
"""Treatment days a period may hold: the report is due on the 10th at the latest."""
REPORT_WARN_FROM = 8
"""From this treatment day of a period, the clock is shown as a warning."""
REPORT_SOURCE = "Medicare Benefit Policy Manual (Pub. 100-02) ch. 15 §220.3"
PLAN_SOURCE = "Medicare Benefit Policy Manual (Pub. 100-02) ch. 15 §220.1"


@dataclass(frozen=True)
class ReportDeadline:
    """Where a patient's period stands on `day`: `treatment_days` of it so far, `day`
    included when it is one; `last_report` the date of the report that started it."""

    discipline: Discipline
    day: date
    treatment_days: int
    last_report: date | None

    @property
    def kind(self) -> str | None:
        """The day-summary check this clock makes (None: nothing to say yet)."""
        if self.treatment_days > REPORT_EVERY:
            return "progress-report-overdue"
        if self.treatment_days >= REPORT_WARN_FROM:
            return "progress-report-due"
        return None

    @property
    def message(self) -> str:
        """In the words a therapist uses, counted in visits (treatment days)."""
        left = REPORT_EVERY - self.treatment_days
        since = (f"since the report of {self.last_report:%d %b}" if self.last_report
                 else "since the episode's first day")
        where = f"{self.discipline} treatment day {self.treatment_days} {since}"
        if left < 0:
            return (f"progress report overdue: {where} (due by the {REPORT_EVERY}th, "
                    f"{plural(-left, 'treatment day')} ago)")
        if left == 0:
            return f"progress report due today: this visit ({where})"
        if left == 1:
            return f"progress report due next visit ({where})"
        return f"progress report due in {left} visits ({where})"

    @property
    def short(self) -> str:
        """For a column: `day 3 of 10` (treatment days since the last report) until it
        warns, then `due in 2`, `due next`, `due today`, `overdue`."""
        return self.phrase.removesuffix(" visit").removesuffix(" visits")

    @property
    def phrase(self) -> str:
        """For a line: `day 3 of 10`, `due in 2 visits`, `due next visit`, `due today`,
        `overdue`."""
        left = REPORT_EVERY - self.treatment_days
        if self.kind is None:
            return f"day {self.treatment_days} of {REPORT_EVERY}"
        if left < 0:
            return "overdue"
        return {0: "due today", 1: "due next visit"}.get(left, f"due in {left} visits")


def report_deadline(visits: Iterable[tuple[date, Visit]], discipline: Discipline,
                 day: date, episode_start: date | None = None) -> ReportDeadline | None:
    """The clock of one patient's visits (any order) in one discipline on `day`, counted
    from the episode's start of care when one was entered; None when no treatment day of
    that discipline is on or before it."""
    treated: set[date] = set()
    reports: set[date] = set()
    first = episode_start or date.min
    for when, visit in visits:
        if visit.discipline is discipline and first <= when <= day and visit.treated:
            treated.add(when)
            if visit.progress_report:
                reports.add(when)
    if not treated:
        return None
    last = max((d for d in reports if d <= day), default=None)
    counted = sum(1 for d in treated if last is None or d > last)
    return ReportDeadline(discipline=discipline, day=day, treatment_days=counted,
                       last_report=last)


CERT_WARN_DAYS = 14
SIGN_WITHIN_DAYS = 30


@dataclass(frozen=True)
class PlanOfCareDeadline:
    """The plan of care on `day`: its episode (entered, or from the first treatment day when
    none was), certified through `certified_until`, signed or not."""

    discipline: Discipline
    day: date
    start: date
    certified_until: date
    signed: date | None
    entered: bool

    @property
    def days_left(self) -> int:
        return (self.certified_until - self.day).days

    @property
    def unsigned_too_long(self) -> bool:
        """An entered episode's initial certification still unsigned after 30 days (of one
        not entered, the signature is not known)."""
        return self.entered and self.signed is None and \
            (self.day - self.start).days > SIGN_WITHIN_DAYS

    @property
    def kind(self) -> str | None:
        if self.days_left < 0:
            return "certification-expired"
        if self.days_left <= CERT_WARN_DAYS:
            return "certification-ending"
        if self.unsigned_too_long:
            return "certification-unsigned"
        return None

    @property
    def message(self) -> str:
        through = (f"{self.discipline} plan of care certified through "
                   f"{self.certified_until:%d %b %Y}")
        origin = "" if self.entered else " (from the first treatment day: enter the episode " \
            "with tabletime patient --start-of-care)"
        if self.days_left < 0:
            text = f"treating past the {through}: recertify{origin}"
        elif self.days_left == 0:
            text = f"{through}: it ends today, recertify{origin}"
        elif self.days_left <= CERT_WARN_DAYS:
            text = f"{through}: ends in {plural(self.days_left, 'day')}, recertify{origin}"
        else:
            text = f"{through}{origin}"
        if self.unsigned_too_long:
            text += (f"; the initial certification is not signed {(self.day - self.start).days}"
                     f" days after the start of care {self.start:%d %b} (due within "
                     f"{SIGN_WITHIN_DAYS})")
        return text


def episode_on(episodes: Iterable[Episode], discipline: Discipline, day: date
               ) -> Episode | None:
    """The entered episode a day belongs to: the latest start of care on or before it."""
    return max((e for e in episodes if e.discipline is discipline and e.start <= day),
               key=lambda e: e.start, default=None)


def plan_of_care_deadline(visits: Iterable[tuple[date, Visit]], discipline: Discipline,
                        day: date, episodes: Iterable[Episode] = ()
                        ) -> PlanOfCareDeadline | None:
    """The plan-of-care clock of one patient in one discipline on `day`."""
    episode = episode_on(episodes, discipline, day)
    if episode is not None:
        return PlanOfCareDeadline(discipline=discipline, day=day, start=episode.start,
                                  certified_until=episode.certified_until,
                                  signed=episode.signed, entered=True)
    first = min((when for when, v in visits
                 if v.discipline is discipline and v.treated and when <= day), default=None)
    if first is None:
        return None
    return PlanOfCareDeadline(discipline=discipline, day=day, start=first,
                              certified_until=first + timedelta(days=CERTIFICATION_DAYS - 1),
                              signed=None, entered=False)


DeadlineKey = tuple[str, Discipline]
"""A patient reference and a discipline: each discipline keeps its own clock."""


def _day_visits(day: date, sessions: Iterable[tuple[Session, Sequence[Segment]]],
                known: Mapping[str, Sequence[tuple[date, Visit]]]
                ) -> tuple[list[Session], dict[str, list[tuple[date, Visit]]]]:
    """`day`'s sessions, and their patients' visits: `known` as the index has them (up to
    `day`), the day's own sessions as they are now."""
    live = {s.id: (s, (day, visit_of(s, bool(segments))))
            for s, segments in sessions if s.date_of_service == day}
    visits: dict[str, list[tuple[date, Visit]]] = {}
    for session, _ in live.values():
        if session.patient not in visits:
            visits[session.patient] = [
                *(v for v in known.get(session.patient, ()) if v[1].id not in live),
                *(v for s, v in live.values() if s.patient == session.patient)]
    return [s for s, _ in live.values()], visits


def day_report_deadlines(day: date, sessions: Iterable[tuple[Session, Sequence[Segment]]],
               known: Mapping[str, Sequence[tuple[date, Visit]]],
               episodes: Iterable[Episode] = ()) -> dict[DeadlineKey, ReportDeadline]:
    """The progress-report clock of every patient and discipline among `day`'s sessions."""
    seen, visits = _day_visits(day, sessions, known)
    episodes = list(episodes)
    clocks = {}
    for session in seen:
        key = (session.patient, session.discipline)
        episode = episode_on([e for e in episodes if e.patient == session.patient],
                             session.discipline, day)
        if key not in clocks and (clock := report_deadline(
                visits[session.patient], session.discipline, day,
                None if episode is None else episode.start)) is not None:
            clocks[key] = clock
    return clocks


def day_plan_of_care_deadlines(day: date, sessions: Iterable[tuple[Session, Sequence[Segment]]],
                       known: Mapping[str, Sequence[tuple[date, Visit]]],
                       episodes: Iterable[Episode] = ()
                       ) -> dict[DeadlineKey, PlanOfCareDeadline]:
    """The plan-of-care clock of every patient and discipline among `day`'s sessions."""
    seen, visits = _day_visits(day, sessions, known)
    episodes = list(episodes)
    clocks = {}
    for session in seen:
        key = (session.patient, session.discipline)
        if key not in clocks and (clock := plan_of_care_deadline(
                visits[session.patient], session.discipline, day,
                [e for e in episodes if e.patient == session.patient])) is not None:
            clocks[key] = clock
    return clocks


def day_balances(day: date, sessions: Iterable[tuple[Session, Sequence[Segment]]],
                 known: Mapping[str, Sequence[tuple[date, Visit]]],
                 authorizations: Iterable[Authorization]
                 ) -> dict[tuple[str, str], AuthorizationBalance]:
    """The balance of every authorization of a patient and payer among `day`'s sessions
    whose period has begun by `day`."""
    seen, visits = _day_visits(day, sessions, known)
    wanted = {(s.patient, s.payer.name) for s in seen}
    return {(a.patient, a.payer): authorization_balance(a, visits[a.patient], day)
            for a in authorizations if (a.patient, a.payer) in wanted and a.start <= day}


AUTH_LOW_VISITS = 2
AUTH_LOW_UNITS = 10
AUTH_LOW_DAYS = 7


@dataclass(frozen=True)
class AuthorizationBalance:
    """An authorization counted down on `day`: visits are the dates with treatment under that
    payer from its start (`day`'s included), units those of the closed sessions."""

    authorization: Authorization
    day: date
    visits_used: int
    units_used: int

    @property
    def visits_left(self) -> int | None:
        visits = self.authorization.visits
        return None if visits is None else visits - self.visits_used

    @property
    def units_left(self) -> int | None:
        units = self.authorization.units
        return None if units is None else units - self.units_used

    @property
    def days_left(self) -> int:
        return (self.authorization.until - self.day).days

    @property
    def kind(self) -> str | None:
        visits, units = self.visits_left, self.units_left
        if self.days_left < 0 or (visits is not None and visits < 0) or \
                (units is not None and units < 0):
            return "authorization-exceeded"
        if (visits is not None and visits <= AUTH_LOW_VISITS) or \
                (units is not None and units < AUTH_LOW_UNITS) or self.days_left <= AUTH_LOW_DAYS:
            return "authorization-low"
        return None

    @property
    def message(self) -> str:
        auth = self.authorization
        parts = []
        if self.visits_left is not None:
            parts.append(f"{plural(self.visits_left, 'authorized visit')} left"
                         if self.visits_left >= 0 else
                         f"{plural(-self.visits_left, 'visit')} past the {auth.visits} authorized")
        if self.units_left is not None:
            parts.append(f"{plural(self.units_left, 'unit')} left" if self.units_left >= 0 else
                         f"{plural(-self.units_left, 'unit')} past the {auth.units} authorized")
        parts.append(f"ends {auth.until:%d %b %Y}" if self.days_left >= 0 else
                     f"ended {auth.until:%d %b %Y}")
        return f"{auth.payer} authorization: {', '.join(parts)}"


def authorization_balance(authorization: Authorization, visits: Iterable[tuple[date, Visit]],
                          day: date) -> AuthorizationBalance:
    """Count one patient's visits (any order) under the authorization's payer, up to `day`."""
    counted = [(when, v) for when, v in visits
               if v.payer == authorization.payer and authorization.start <= when <= day]
    return AuthorizationBalance(
        authorization=authorization, day=day,
        visits_used=len({when for when, v in counted if v.treated}),
        units_used=sum(v.timed_units or 0 for _, v in counted if not v.open))


DeadlinePair = tuple[ReportDeadline | None, PlanOfCareDeadline | None]
"""A discipline's progress-report and plan-of-care deadlines (either may be unknown)."""


def patient_deadlines(visits: Sequence[tuple[date, Visit]], episodes: Sequence[Episode],
                      day: date) -> dict[Discipline, DeadlinePair]:
    """A patient's progress-report and plan-of-care deadlines on `day`, per discipline seen."""
    seen = {v.discipline for _, v in visits} | {e.discipline for e in episodes}
    clocks = {}
    for discipline in sorted(seen):
        episode = episode_on(episodes, discipline, day)
        report = report_deadline(visits, discipline, day,
                                 None if episode is None else episode.start)
        plan = plan_of_care_deadline(visits, discipline, day, episodes)
        if report is not None or plan is not None:
            clocks[discipline] = (report, plan)
    return clocks
