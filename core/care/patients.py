"""What a user tells Tabletime about a patient beyond the sessions it times: the Medicare
amount the patient already used this year at other providers (the KX threshold counts every
provider's claims, billing-spec section 7; the therapist reads it from the eligibility check),
and what a payer authorized (section 11).

Facts a person enters, not derived: they live in `patients.json` and are backed up with the
day files.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Self

from pydantic import Field, StrictInt, model_validator

from core.billing.modifiers import TherapyBucket
from core.kinds import EARLIEST_YEAR, LATEST_YEAR, Discipline
from core.models import Frozen, Note, PatientRef, PayerName, UtcDatetime

Amount = Annotated[Decimal, Field(ge=0, le=1_000_000, decimal_places=2)]
"""Dollars and cents."""
Year = Annotated[StrictInt, Field(ge=EARLIEST_YEAR, le=LATEST_YEAR)]


def elsewhere_key(patient: str, year: int, bucket: TherapyBucket) -> str:
    """One record per patient, year and KX bucket (a tab cannot be in a patient reference)."""
    return f"{patient}\t{year}\t{bucket}"


class UsedElsewhere(Frozen):
    """A patient's Medicare allowed amount in one KX bucket and calendar year at other
    providers, as entered (a new entry replaces the one before)."""

    id: str
    patient: PatientRef
    year: Year
    bucket: TherapyBucket
    amount: Amount
    entered_at: UtcDatetime
    note: Note = ""

    @model_validator(mode="after")
    def _keyed(self) -> Self:
        if self.id != elsewhere_key(self.patient, self.year, self.bucket):
            raise ValueError("the record's id is not its patient, year and bucket")
        return self


def authorization_key(patient: str, payer: str) -> str:
    """One authorization per patient and payer (a new one replaces it)."""
    return f"{patient}\t{payer}"


Count = Annotated[StrictInt, Field(ge=1, le=10_000)]


class Authorization(Frozen):
    """What a payer authorized for a patient (many commercial and Medicaid payers): a number
    of visits and/or units from `start` to `until`; treatment past them is not paid
    (billing-spec section 11). Entered by a person, as read from the payer's letter."""

    id: str
    patient: PatientRef
    payer: PayerName
    visits: Count | None = None
    units: Count | None = None
    start: date
    until: date
    entered_at: UtcDatetime
    note: Note = ""

    @model_validator(mode="after")
    def _sound(self) -> Self:
        if self.id != authorization_key(self.patient, self.payer):
            raise ValueError("the record's id is not its patient and payer")
        if self.visits is None and self.units is None:
            raise ValueError("an authorization gives a number of visits, of units, or both")
        if self.until < self.start:
            raise ValueError(f"it ends ({self.until}) before it starts ({self.start})")
        return self


CERTIFICATION_DAYS = 90
"""A plan of care is certified for at most 90 calendar days from its first day."""


def episode_key(patient: str, discipline: Discipline, start: date) -> str:
    return f"{patient}\t{discipline}\t{start.isoformat()}"


class Episode(Frozen):
    """An episode of care as the therapist enters it (billing-spec section 11): its start of
    care, the plan of care certified through `certified_until` (at most 90 calendar days,
    the first day counted), and the date the physician signed it (None: not yet)."""

    id: str
    patient: PatientRef
    discipline: Discipline
    start: date
    certified_until: date
    signed: date | None = None
    entered_at: UtcDatetime
    note: Note = ""

    @model_validator(mode="after")
    def _sound(self) -> Self:
        if self.id != episode_key(self.patient, self.discipline, self.start):
            raise ValueError("the record's id is not its patient, discipline and start")
        last = self.start + timedelta(days=CERTIFICATION_DAYS - 1)
        if not self.start <= self.certified_until <= last:
            raise ValueError(f"a plan of care starting {self.start} is certified through "
                             f"{last} at the latest (90 days), not {self.certified_until}")
        if self.signed is not None and self.signed < self.start:
            raise ValueError(f"signed {self.signed}, before the start of care {self.start}")
        return self
