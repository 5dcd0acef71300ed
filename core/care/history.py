"""A patient's sessions over time, with Medicare's calendar-year amounts against KX.

billing-spec section 7: PT and SLP count together, OT on its own; once the year's allowed amount
passes the threshold, the line that passes it and every later line carry KX; warnings at 90% of
the threshold and at the $3,000 targeted-review threshold. Amounts are this app's estimates.

The history reads no session: it works from each session's `Visit` (what the index keeps) and
each day's Medicare amounts, the same per-day amounts the day summary and the claim lines use,
so the three never disagree about the year so far.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import ValidationInfo, field_validator

from core.billing.modifiers import KX_THRESHOLDS, TherapyBucket, therapy_bucket, threshold_status
from core.models import Discipline, Frozen, PatientRef
from core.session import Session

SEALED = "sealed"
"""The validation context's flag for a derived file proven to be the one the index wrote: its
text was checked when it was written, and is not checked again."""


def sealed(info: ValidationInfo) -> bool:
    return bool((info.context or {}).get(SEALED))


class Visit(Frozen):
    """A session as the index keeps it: enough to find it, list it and total the year
    without opening its day file. The numbers are those of a closed session (None while open)."""

    id: UUID
    patient: PatientRef
    discipline: Discipline
    payer: str
    medicare: bool
    open: bool
    timed_minutes: int | None = None
    timed_units: int | None = None
    amount: Decimal | None = None
    treated: bool = False
    """Its date is a treatment day (the progress-report clock): a closed session with
    treatment minutes; an open one counts until it closes (the day's own sessions are
    counted from their segments instead, core.care.deadlines.day_report_deadlines)."""
    progress_report: bool = False
    """A therapist wrote the progress report at this visit."""
    units: int | None = None
    """Every unit of its claim lines (timed and untimed), as the day summary bills them."""
    pooled: bool = False
    """Billed with an earlier session of the patient's date (its units and amount are there)."""

    @field_validator("patient", mode="wrap")
    @classmethod
    def _checked_unless_sealed(cls, value: Any, check: Callable[[Any], str],
                               info: ValidationInfo) -> str:
        if isinstance(value, str) and sealed(info):
            return value
        return check(value)


def visit_of(session: Session, treated: bool, timed_minutes: int | None = None,
             timed_units: int | None = None, amount: Decimal | None = None, *,
             units: int | None = None, pooled: bool = False) -> Visit:
    """A session as the index keeps it (the totals: a closed session's)."""
    return Visit(id=session.id, patient=session.patient, discipline=session.discipline,
                 payer=session.payer.name, medicare=session.payer.medicare,
                 open=session.is_open, timed_minutes=timed_minutes, timed_units=timed_units,
                 amount=amount, treated=treated, progress_report=session.progress_report,
                 units=units, pooled=pooled)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A row of the history: computed, never stored (a plain dataclass: a long history builds
    a thousand of them on the way to the screen)."""

    day: date
    visit: Visit
    bucket: TherapyBucket
    year_to_date: Decimal | None
    """Medicare only: the bucket's amount this calendar year up to and including this date."""
    kx: bool
    messages: tuple[str, ...]


DailyAmounts = Mapping[date, Mapping[TherapyBucket, Decimal]]


def patient_history(visits: Sequence[tuple[date, Visit]], daily: DailyAmounts,
                    elsewhere: Mapping[tuple[int, TherapyBucket], Decimal] | None = None
                    ) -> list[HistoryEntry]:
    """Oldest first. `daily` holds the patient's Medicare allowed amount per bucket on each
    date (from closed sessions); the year so far runs over it, per calendar year and bucket,
    from what `elsewhere` says the patient used at other providers that year."""
    running: dict[tuple[int, TherapyBucket], Decimal] = dict(elsewhere or {})
    counted: set[date] = set()
    entries = []
    for day, visit in sorted(visits, key=lambda pair: pair[0]):
        if day not in counted:
            counted.add(day)
            for bucket, amount in daily.get(day, {}).items():
                key = (day.year, bucket)
                running[key] = running.get(key, Decimal(0)) + amount
        bucket = therapy_bucket(visit.discipline)
        ytd: Decimal | None = None
        kx = False
        messages: tuple[str, ...] = ()
        if visit.medicare:
            ytd = running.get((day.year, bucket), Decimal(0))
            if day.year in KX_THRESHOLDS:
                status = threshold_status(day.year, bucket, ytd)
                kx, messages = status.kx, status.messages
        entries.append(HistoryEntry(day=day, visit=visit, bucket=bucket, year_to_date=ytd,
                                    kx=kx, messages=messages))
    return entries
