"""What `tabletime clinic summary` shows, read from a clinic file: a date as each therapist's
own `summary` shows it (billed again from the sessions the file keeps, the year so far from
the file: KX as that therapist's export had it), or a range's figures per therapist and for
the clinic; with the clinic checks of those dates. As of when the file was merged: an open
session is billed as it stood then. Each therapist's clocks (progress reports, plans of care,
authorizations) are in their own summary: the file does not hold a patient's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core.billing.summary import (
    CodeTotal,
    DaySummary,
    RangeView,
    code_totals,
    day_figures,
    range_figures,
    summarize_day,
)
from core.clinic import ClinicCheck
from storage.clinic.reading import ClinicFile, Therapist


@dataclass(frozen=True)
class ClinicDay:
    day: date
    merged_at: datetime
    therapists: tuple[tuple[Therapist, DaySummary], ...]
    """Each therapist with a session that date, in the file's order."""
    checks: tuple[ClinicCheck, ...]
    names: dict[int, str]
    """Every therapist's name by id (a check names them)."""

    @property
    def code_totals(self) -> tuple[CodeTotal, ...]:
        return code_totals([row for _, summary in self.therapists for row in summary.rows])


@dataclass(frozen=True)
class ClinicRange:
    first: date
    last: date
    merged_at: datetime
    therapists: tuple[tuple[Therapist, RangeView], ...]
    """Each therapist with a session in the range."""
    clinic: RangeView
    """Every therapist's figures added up, date by date."""
    checks: tuple[ClinicCheck, ...]
    names: dict[int, str]


def clinic_day(clinic: ClinicFile, day: date) -> ClinicDay:
    now = clinic.merged_at()
    therapists = clinic.therapists()
    found = []
    for therapist in therapists:
        sessions = clinic.sessions(therapist.therapist_id, day, day).get(day)
        if not sessions:
            continue
        s = therapist.settings
        found.append((therapist, summarize_day(
            day, sessions, now, s.catalog(), s.zone,
            forgotten_minutes=s.forgotten_timer_minutes,
            year_to_date=clinic.year_to_date(therapist.therapist_id, day),
            therapist_discipline=s.discipline, productivity_target=s.productivity_target,
            scheduled_hours=s.scheduled_hours)))
    return ClinicDay(day, now, tuple(found), tuple(clinic.checks(day, day)),
                     {t.therapist_id: t.name for t in therapists})


def clinic_range(clinic: ClinicFile, first: date, last: date) -> ClinicRange:
    """Read a therapist at a time, the sessions of the whole range at once (a year of ten
    therapists is read in seconds)."""
    now = clinic.merged_at()
    therapists = clinic.therapists()
    found = []
    for therapist in therapists:
        days = clinic.sessions(therapist.therapist_id, first, last)
        if not days:
            continue
        s = therapist.settings
        catalog = s.catalog()
        found.append((therapist, range_figures(first, last, {
            day: day_figures(sessions, now, catalog, s) for day, sessions in days.items()})))
    clinic_days = range_figures(first, last, {
        day: sum((view.days[n][1] for _, view in found[1:]), found[0][1].days[n][1])
        for n, (day, _) in enumerate(found[0][1].days)} if found else {})
    return ClinicRange(first, last, now, tuple(found), clinic_days,
                       tuple(clinic.checks(first, last)),
                       {t.therapist_id: t.name for t in therapists})
