"""Read models: what a screen or a command shows, gathered in one place from the queries,
the indexes and what was entered about patients, so that the screens, the command line and
the exports never assemble domain facts of their own. Reading only: nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from core.billing.modifiers import KX_THRESHOLDS, TherapyBucket, threshold_status
from core.billing.summary import DaySummary, summarize_day
from core.care.deadlines import (
    AuthorizationBalance,
    DeadlinePair,
    authorization_balance,
    patient_deadlines,
)
from core.care.history import HistoryEntry, Visit, patient_history
from core.care.patients import UsedElsewhere
from core.kinds import LATEST_YEAR, Discipline
from core.models import Frozen
from storage.indexes import medicare_by_day, year_to_date
from storage.repository import Repository


def day_view(repo: Repository, day: date, now: datetime) -> DaySummary:
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


def patient_history_view(repo: Repository, patient: str) -> list[HistoryEntry]:
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
