"""A session: one patient visit in one discipline, and its stored billing result once closed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Annotated
from uuid import UUID, uuid4

from pydantic import Field

from core.billing.units import BillingResult
from core.models import (
    Discipline,
    Frozen,
    Name,
    NpiNumber,
    PatientRef,
    PayerProfile,
    PlaceOfService,
    ProviderCode,
    Segment,
    UtcDatetime,
)
from core.place import OFFICE, Place, Telehealth

MAX_GROUP = 99
"""The most patients a group therapy session may hold (refused beyond it, before any write)."""


class Session(Frozen):
    """It belongs to the local date it started on, even when it runs past midnight."""

    id: UUID = Field(default_factory=uuid4)
    patient: PatientRef
    payer: PayerProfile
    discipline: Discipline
    date_of_service: date
    opened_at: UtcDatetime
    closed_at: UtcDatetime | None = None
    therapist: Name = ""
    billing: BillingResult | None = None
    progress_report: bool = False
    """A therapist wrote the progress report at this visit (it restarts the 10-day clock)."""
    group_size: Annotated[int, Field(ge=2, le=MAX_GROUP)] | None = None
    """Patients in the group therapy of this visit (97150/92508), for the chart note."""
    npi: NpiNumber = ""
    """The rendering therapist's NPI, stamped with `therapist` when the session opens (a later
    change of settings does not rewrite history)."""
    provider_code: ProviderCode = ""
    """The rendering therapist's code in the practice system, stamped likewise."""
    place_of_service: PlaceOfService = OFFICE
    telehealth: Telehealth | None = None
    """None: in person."""

    @property
    def place(self) -> Place:
        return Place(self.place_of_service, self.telehealth)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class SessionView(Frozen):
    """What a screen shows of one session, read in one call: the session, its segments in
    start order, its billing (stored at close, else live at `now`) and its running timers."""

    session: Session
    segments: tuple[Segment, ...]
    billing: BillingResult
    running: tuple[Segment, ...]


def treated_from(session: Session, segments: Sequence[Segment]) -> datetime:
    """When the patient's treatment began (the first segment's start), else when the session
    was opened: Today lists back-filled morning patients in the morning, not last."""
    return min((s.start for s in segments), default=session.opened_at)


SessionData = tuple[Session, Sequence[Segment]]


def in_day_order(sessions: Iterable[SessionData]) -> list[SessionData]:
    """A day's sessions in the one order they are billed and exported: by when treatment
    began, sessions that began together (a group) in the order they were written (every
    caller passes them so).
    A segments CSV round trip keeps it (an import opens a session at its first segment, the
    app at the key press, and writes them in the file's order), and with it which of a
    patient's pooled sessions carries the day's amount and which line KX falls on."""
    return sorted(sessions, key=lambda pair: treated_from(*pair))
