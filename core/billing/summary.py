"""One date of service for the biller: every session with its units, amount and checks, the
claim rows, the totals per code and for the day (billing-spec sections 3.5, 6-11). Pure:
sessions and segments in, a summary out; the billing is core.billing.day's, the checks
core.billing.checks' and the deadlines' (core.care.deadlines).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Protocol, TypeVar
from uuid import UUID

from pydantic import Field

from core.billing.checks import CheckKind, DayCheck, DayFacts, day_checks
from core.billing.day import ClaimRow, DayBilling, Group, bill_day
from core.billing.modifiers import TherapyBucket, billed_text
from core.billing.productivity import Productivity, day_productivity
from core.billing.units import BillingResult
from core.care.deadlines import (
    PLAN_SOURCE,
    REPORT_SOURCE,
    AuthorizationBalance,
    DeadlineKey,
    PlanOfCareDeadline,
    ReportDeadline,
)
from core.catalog import Catalog
from core.models import Discipline, Frozen
from core.session import Session, SessionData

Which = TypeVar("Which")
"""What a clock is kept per besides the patient: a discipline, or a payer's name."""


class _Clock(Protocol):
    """What the day checks need of a clock (core.care.deadlines): its check kind and its words."""

    @property
    def kind(self) -> str | None: ...
    @property
    def message(self) -> str: ...


def _clock_checks(sessions: Sequence[SessionData], clocks: Mapping[tuple[str, Which], _Clock],
                  concerns: Callable[[Session, Which], bool], source: str = "") -> list[DayCheck]:
    """A clock that warns (a progress report due, a plan of care ending, an authorization
    running out) is a check on the sessions it concerns (section 11)."""
    checks = []
    for (patient, which), clock in clocks.items():
        if clock.kind is not None:
            ids = tuple(s.id for s, _ in sessions if s.patient == patient and concerns(s, which))
            checks.append(DayCheck(kind=CheckKind(clock.kind), session_ids=ids,
                                   message=f"{patient}: {clock.message}", source=source))
    return checks


class SessionDay(Frozen):
    session: Session
    billing: BillingResult
    amount: Decimal | None
    checks: tuple[str, ...]
    units: int | None = None
    """The units of the claim lines this session leads; None when it is billed with an
    earlier session of the day (pooled)."""
    not_billed: dict[str, str] = Field(default_factory=dict)
    running: tuple[str, ...] = ()
    """The codes timing now (a segment without an end)."""


class CodeTotal(Frozen):
    code: str
    minutes: int
    units: int
    amount: Decimal | None


class DaySummary(Frozen):
    day: date
    sessions: tuple[SessionDay, ...]
    groups: tuple[Group, ...]
    rows: tuple[ClaimRow, ...]
    code_totals: tuple[CodeTotal, ...]
    timed_minutes: int
    treatment_minutes: int
    units: int
    """Every unit of the claim lines (timed and untimed)."""
    timed_units: int
    amount: Decimal
    checks: tuple[DayCheck, ...]
    productivity: Productivity | None = None
    """Billable over clock minutes (core.billing.productivity); None without a segment."""

    def units_text(self, item: SessionDay) -> str:
        """A session's claim lines and the codes it does not bill, as every screen and
        report says them; a session billed with an earlier one of the day says so."""
        if item.units is None:
            return "pooled with an earlier session"
        text = self._billed(item)
        pooled = any(g.pooled is not None for g in self.groups
                     if g.session_ids[0] == item.session.id)
        return f"pooled: {text}" if pooled else text

    def _billed(self, item: SessionDay) -> str:
        s = item.session
        rows = [r for r in self.rows
                if (r.patient, r.discipline, r.payer) == (s.patient, s.discipline, s.payer.name)]
        return billed_text(rows, item.not_billed) if rows or item.not_billed else "-"

    def day_notes(self, session_id: UUID) -> list[str]:
        """What only the whole day can say of one session (the close screen shows it beside
        the session's own billing): its checks that need the other sessions, and how it is
        billed when the patient has other sessions of the discipline and payer that day."""
        notes = [check.message for check in self.checks
                 if session_id in check.session_ids and check.kind in DAY_ONLY]
        pooled = self.pooled_note(session_id)
        return notes if pooled is None else [*notes, pooled]

    def pooled_note(self, session_id: UUID) -> str | None:
        """How a session is billed when the patient has other sessions of its discipline and
        payer that day (None when it is billed alone)."""
        group = next((g for g in self.groups if session_id in g.session_ids), None)
        if group is None or group.pooled is None:
            return None
        lead = next(i for i in self.sessions if i.session.id == group.session_ids[0])
        others = len(group.session_ids) - 1
        return (f"billed with the patient's other {group.discipline} "
                f"{'session' if others == 1 else 'sessions'} of the day on the pooled minutes: "
                f"{self._billed(lead)} for {'both' if others == 1 else 'all'}")


DAY_ONLY = frozenset({CheckKind.OVERLAP, CheckKind.CLOCK_TIME, CheckKind.KX,
                      CheckKind.KX_UNKNOWN_YEAR, CheckKind.GROUP_OVERLAP,
                      CheckKind.OTHER_DISCIPLINE})
"""Checks that need the whole day (the session alone cannot make them)."""


def summarize_day(
    day: date,
    sessions: Sequence[SessionData],
    now: datetime,
    catalog: Catalog,
    zone: tzinfo,
    *,
    forgotten_minutes: int = 60,
    year_to_date: Mapping[tuple[str, TherapyBucket], Decimal] | None = None,
    report_deadlines: Mapping[DeadlineKey, ReportDeadline] | None = None,
    certifications: Mapping[DeadlineKey, PlanOfCareDeadline] | None = None,
    authorizations: Mapping[tuple[str, str], AuthorizationBalance] | None = None,
    therapist_discipline: Discipline | None = None,
    productivity_target: int | None = None,
    scheduled_hours: Decimal | None = None,
) -> DaySummary:
    """Summarise one date of service.

    `year_to_date` holds each Medicare patient's allowed amount per bucket before this day,
    for the KX modifier and the threshold warnings; `report_deadlines` each patient's
    progress-report clock on this day (core.care.deadlines), a check from the 8th treatment day;
    `certifications` their plan-of-care clocks; `authorizations` the balance of each
    patient's authorization with a payer of the day; `therapist_discipline` the discipline
    of the therapist whose folder this is (a session of another is a check);
    `productivity_target` and `scheduled_hours` the settings' of the same names.
    """
    billed = bill_day(sessions, now, catalog, year_to_date)
    ordered = billed.ordered
    billings, groups, rows, amounts = billed.billings, billed.groups, billed.rows, billed.amounts
    checks = day_checks(DayFacts(ordered, billed, now, catalog, zone, forgotten_minutes,
                                 therapist_discipline))
    checks += _clock_checks(ordered, report_deadlines or {},
                            lambda s, discipline: s.discipline == discipline, REPORT_SOURCE)
    checks += _clock_checks(ordered, certifications or {},
                            lambda s, discipline: s.discipline == discipline, PLAN_SOURCE)
    checks += _clock_checks(ordered, authorizations or {},
                            lambda s, payer: s.payer.name == payer)
    per_session = _per_session_checks(checks)
    unbilled = {group.session_ids[0]: group.not_billed for group in groups}
    return DaySummary(
        day=day,
        sessions=tuple(
            SessionDay(session=s, billing=billings[s.id], amount=amounts.get(s.id),
                       checks=per_session.get(s.id, ()), units=billed.units.get(s.id),
                       not_billed=unbilled.get(s.id, {}),
                       running=tuple(segment.code for segment in segments if segment.running))
            for s, segments in ordered
        ),
        groups=tuple(groups),
        rows=tuple(rows),
        code_totals=code_totals(rows),
        timed_minutes=sum(g.timed_minutes for g in groups),
        treatment_minutes=sum(g.treatment_minutes for g in groups),
        units=sum(row.units for row in rows),
        timed_units=sum(g.timed_units for g in groups),
        amount=sum((row.amount for row in rows if row.amount is not None), Decimal(0)),
        checks=tuple(checks),
        productivity=day_productivity(billed, now, target=productivity_target,
                                      scheduled_hours=scheduled_hours),
    )


def _per_session_checks(checks: Sequence[DayCheck]) -> dict[UUID, tuple[str, ...]]:
    found: dict[UUID, list[str]] = {}
    for check in checks:
        for session_id in check.session_ids:
            found.setdefault(session_id, []).append(check.message)
    return {key: tuple(value) for key, value in found.items()}


def code_totals(rows: Sequence[ClaimRow]) -> tuple[CodeTotal, ...]:
    totals: dict[str, CodeTotal] = {}
    for row in rows:
        before = totals.get(row.code)
        amount: Decimal | None = row.amount
        if before is not None:
            amount = None if before.amount is None or row.amount is None else \
                before.amount + row.amount
        totals[row.code] = CodeTotal(
            code=row.code,
            minutes=(before.minutes if before else 0) + (row.minutes or 0),
            units=(before.units if before else 0) + row.units,
            amount=amount,
        )
    return tuple(sorted(totals.values(), key=lambda t: t.code))


@dataclass(frozen=True)
class Figures:
    """A date of service, or a range of them, as the day summary's title and totals say it."""

    sessions: int
    open_sessions: int
    units: int
    timed_units: int
    amount: Decimal
    productivity: Productivity | None
    """None without a segment."""

    @classmethod
    def of(cls, billed: DayBilling, productivity: Productivity | None) -> Figures:
        return cls(sessions=len(billed.ordered),
                   open_sessions=sum(1 for s, _ in billed.ordered if s.is_open),
                   units=sum(row.units for row in billed.rows),
                   timed_units=sum(g.timed_units for g in billed.groups),
                   amount=sum((row.amount for row in billed.rows if row.amount is not None),
                              Decimal(0)),
                   productivity=productivity)

    def __add__(self, other: Figures) -> Figures:
        """Days added up; productivity as minutes over minutes (a day without a segment adds
        nothing, and a scheduled day counts on the days worked)."""
        mine, theirs = self.productivity, other.productivity
        return Figures(self.sessions + other.sessions,
                       self.open_sessions + other.open_sessions, self.units + other.units,
                       self.timed_units + other.timed_units, self.amount + other.amount,
                       mine + theirs if mine and theirs else mine or theirs)


NO_SESSION = Figures(0, 0, 0, 0, Decimal(0), None)


@dataclass(frozen=True)
class RangeView:
    """Each date of a range (`summary --from --to`), billed as the day summary bills it."""

    first: date
    last: date
    days: tuple[tuple[date, Figures], ...]

    @property
    def totals(self) -> Figures:
        return sum((figures for _, figures in self.days), NO_SESSION)


def range_figures(first: date, last: date, figures: Mapping[date, Figures]) -> RangeView:
    """Every date from `first` to `last`, a date without figures as one without a session."""
    return RangeView(first=first, last=last, days=tuple(
        (day, figures.get(day, NO_SESSION))
        for day in (first + timedelta(days=n) for n in range((last - first).days + 1))))


class ProductivitySettings(Protocol):
    """What a date's figures need of the settings (core.settings.Settings has them)."""

    @property
    def productivity_target(self) -> int | None: ...
    @property
    def scheduled_hours(self) -> Decimal | None: ...


def day_figures(sessions: Sequence[SessionData], now: datetime, catalog: Catalog,
                settings: ProductivitySettings) -> Figures:
    """A date's figures, billed without the checks (nothing here needs them: KX changes no
    amount)."""
    billed = bill_day(sessions, now, catalog)
    return Figures.of(billed, day_productivity(billed, now, target=settings.productivity_target,
                                               scheduled_hours=settings.scheduled_hours))
