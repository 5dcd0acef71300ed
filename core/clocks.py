"""Medicare's progress-report clock (billing-spec section 11, Pub. 100-02 ch.15 §220.3): a
progress report at least once every 10 treatment days, per discipline, written by a therapist.

Counted from the visits the index already keeps: a treatment day is a date with a session of
that discipline that holds any segment (an evaluation day counts), whatever the number of
sessions that date. A period starts on the first treatment day and again after the date of
each report a therapist marked; the visit on which the report is written is the period's
last. Pure: visits in, the clock out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from core.history import Visit, visit_of
from core.kinds import Discipline
from core.models import Segment
from core.session import Session
from core.text import plural

REPORT_EVERY = 10
"""Treatment days a period may hold: the report is due on the 10th at the latest."""
REPORT_WARN_FROM = 8
"""From this treatment day of a period, the clock is shown as a warning."""
REPORT_SOURCE = "Medicare Benefit Policy Manual (Pub. 100-02) ch. 15 §220.3"


@dataclass(frozen=True)
class ReportClock:
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
        """For a column: `3/10` until it warns, then `due in 2 visits`, `due next visit`,
        `due today`, `overdue`."""
        left = REPORT_EVERY - self.treatment_days
        if self.kind is None:
            return f"{self.treatment_days}/{REPORT_EVERY}"
        if left < 0:
            return "overdue"
        return {0: "due today", 1: "due next visit"}.get(left, f"due in {left} visits")


def report_clock(visits: Iterable[tuple[date, Visit]], discipline: Discipline,
                 day: date) -> ReportClock | None:
    """The clock of one patient's visits (any order) in one discipline on `day`; None when
    no treatment day of that discipline is on or before it."""
    treated: set[date] = set()
    reports: set[date] = set()
    for when, visit in visits:
        if visit.discipline is discipline and when <= day and visit.treated:
            treated.add(when)
            if visit.progress_report:
                reports.add(when)
    if not treated:
        return None
    last = max((d for d in reports if d <= day), default=None)
    counted = sum(1 for d in treated if last is None or d > last)
    return ReportClock(discipline=discipline, day=day, treatment_days=counted,
                       last_report=last)


ClockKey = tuple[str, Discipline]
"""A patient reference and a discipline: each discipline keeps its own clock."""


def day_clocks(day: date, sessions: Iterable[tuple[Session, Sequence[Segment]]],
               known: Mapping[str, Sequence[tuple[date, Visit]]]) -> dict[ClockKey, ReportClock]:
    """The clock of every patient and discipline among `sessions` of `day`: `known` holds
    their visits as the index has them (up to `day`), `sessions` count as they are now."""
    live = {s.id: (s, (day, visit_of(s, bool(segments))))
            for s, segments in sessions if s.date_of_service == day}
    clocks = {}
    for session, _ in live.values():
        key = (session.patient, session.discipline)
        if key in clocks:
            continue
        visits = [v for v in known.get(session.patient, ()) if v[1].id not in live]
        visits += [v for s, v in live.values() if s.patient == session.patient]
        if (clock := report_clock(visits, session.discipline, day)) is not None:
            clocks[key] = clock
    return clocks
