"""Domain models shared by every layer: validated on construction, frozen, JSON-safe.

Instants are aware datetimes normalised to UTC so that durations are right across DST and
saved values compare correctly; the clinic's zone is kept in settings, not in each instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Protocol, Self
from uuid import UUID, uuid4

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from core.text import Note, bounded


def _to_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


EARLIEST_YEAR, LATEST_YEAR = 1990, 2100
"""The years a treatment record can be in: anything else is a typo or a damaged file (and
year 1 or 9999 breaks date arithmetic)."""

UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An aware datetime stored in UTC; a naive one is refused (its zone would be a guess)."""

def _payer_name(text: str) -> str:
    cleaned = bounded(60)(text).strip()
    if not cleaned:
        raise ValueError("give the payer a name")
    return cleaned


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
    """Base for stored and computed values: immutable, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Discipline(StrEnum):
    PT = "PT"
    OT = "OT"
    SLP = "SLP"


class Method(StrEnum):
    """How timed minutes become units: Medicare pools the day, per-code counts each code."""

    CMS = "cms"
    PER_CODE = "per-code"


class FurnishedBy(StrEnum):
    THERAPIST = "therapist"
    ASSISTANT = "assistant"


class MedicareStatus(StrEnum):
    """Medicare fee-schedule status: Active, Bundled, Invalid for Medicare, Restricted."""

    A = "A"
    B = "B"
    I = "I"  # noqa: E741 - CMS's own letter
    R = "R"


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
