"""Domain models shared by every layer: validated on construction, frozen, JSON-safe.

Instants are aware datetimes normalised to UTC so that durations are right across DST and
saved values compare correctly; the clinic's zone is kept in settings, not in each instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Protocol, Self
from uuid import UUID, uuid4

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from core.kinds import EARLIEST_YEAR as EARLIEST_YEAR
from core.kinds import LATEST_YEAR as LATEST_YEAR
from core.kinds import Discipline as Discipline
from core.kinds import FurnishedBy as FurnishedBy
from core.kinds import MedicareStatus as MedicareStatus
from core.kinds import Method as Method
from core.npi import npi
from core.place import place_code
from core.text import PATIENT_REF_MAX, bounded, refuse_controls


def _to_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)



UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An aware datetime stored in UTC; a naive one is refused (its zone would be a guess)."""

def _payer_name(text: str) -> str:
    cleaned = bounded(60)(text).strip()
    if not cleaned:
        raise ValueError("give the payer a name")
    return cleaned


def _patient_ref(text: str) -> str:
    cleaned = bounded(PATIENT_REF_MAX)(refuse_controls(text).strip())
    if not cleaned:
        raise ValueError("give a patient reference (a chart number or initials)")
    return cleaned


PatientRef = Annotated[str, AfterValidator(_patient_ref)]
"""A short patient reference (chart number or initials), never a full identity; outer blanks
are dropped."""

Note = Annotated[str, AfterValidator(bounded(500))]
"""A note on a segment, or the reason for a change (kept in the audit trail)."""

Name = Annotated[str, AfterValidator(bounded(80))]
"""A person's name or credentials as shown on chart notes and in the audit trail."""

Label = Annotated[str, AfterValidator(bounded(200))]
"""A code's descriptor, a payer's name."""

def _digits_as_text(value: object) -> object:
    """A number where text is meant (`npi = 1234567893`, `place_of_service = 11` unquoted in
    settings.toml) read as the digits it is (`place_of_service = 2` is then refused like a
    typed 2: 02 or 22? only quotes can say)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    return value


NpiNumber = Annotated[str, BeforeValidator(_digits_as_text), AfterValidator(npi)]
"""A National Provider Identifier (10 digits, Luhn-checked with the prefix 80840), or empty."""

PlaceOfService = Annotated[str, BeforeValidator(_digits_as_text), AfterValidator(place_code)]
"""A CMS place of service code, two digits (`11` office, `10` telehealth at home)."""

ProviderCode = Annotated[str, AfterValidator(lambda text: bounded(30)(text.strip()))]
"""The therapist's identifier in the practice's billing system (its own code, not an NPI)."""



PayerName = Annotated[str, AfterValidator(_payer_name)]
"""A payer profile's name (outer blanks dropped: "A" and "A " are one name)."""
Fee = Annotated[Decimal, Field(ge=0, le=100_000, decimal_places=2)]
"""A payer's amount per unit, in dollars and cents."""


def problem(error: ValidationError) -> str:
    """The first problem of a validation error, located in plain words (`note: contains a
    control character...`) and without the value itself: a message may reach a screen or a
    log, and a value may be patient data."""
    first = error.errors(include_input=False, include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


class Clock(Protocol):
    """Where 'now' comes from: injected everywhere so that tests never sleep or read the wall."""

    def __call__(self) -> datetime: ...


class Frozen(BaseModel):
    """Base for stored and computed values: immutable, unknown fields refused. Each model's
    validator is built at its first use, not at import: a process builds only the models it
    uses (Today's first frame needs a third of them; pydantic locks a build against another
    thread's)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class PayerProfile(Frozen):
    """A payer as the clinic bills it: the unit method is a property of the payer, never a guess."""

    name: PayerName
    method: Method
    medicare: bool = Field(
        default=False, description="Medicare rules apply: GP/GO/GN, KX, status flags, MPPR."
    )
    fee_year: StrictInt | None = Field(default=None,
                                      description="Fee year; None means the DOS year.")
    fee_table: dict[str, Fee] = Field(
        default_factory=dict, description="The payer's own amount per unit, by code."
    )

    @field_validator("fee_table")
    @classmethod
    def _codes_upper_case(cls, table: dict[str, Decimal]) -> dict[str, Decimal]:
        """Codes are compared upper-case (`g0283` is G0283), so the table is keyed so too."""
        return {code.strip().upper(): amount for code, amount in table.items()}


class Segment(Frozen):
    """One stretch of time on one code; a running timer is a segment with no end."""

    id: UUID = Field(default_factory=uuid4)
    session_id: UUID
    code: str
    start: UtcDatetime
    end: UtcDatetime | None = None
    furnished_by: FurnishedBy = FurnishedBy.THERAPIST
    note: Note = ""

    @field_validator("start", "end")
    @classmethod
    def _plausible_year(cls, moment: datetime | None) -> datetime | None:
        if moment is not None and not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise ValueError(f"the year {moment.year} is out of range "
                             f"({EARLIEST_YEAR}-{LATEST_YEAR})")
        return moment

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        if self.end is not None and self.end < self.start:
            raise ValueError(
                f"segment {self.code} ends at {self.end.isoformat()} before it starts at "
                f"{self.start.isoformat()}"
            )
        return self

    @property
    def running(self) -> bool:
        return self.end is None

    def duration(self, now: datetime) -> timedelta:
        """Length so far; a running segment is measured to `now`, never below zero."""
        end = self.end if self.end is not None else now
        return max(end - self.start, timedelta(0))

    def overlaps(self, other: Segment) -> bool:
        """Whether the two share any time; a running segment reaches into the future."""
        return (other.end is None or self.start < other.end) and (
            self.end is None or other.start < self.end
        )
