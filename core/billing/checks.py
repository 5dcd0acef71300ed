"""The checks a careful biller runs on a date (billing-spec sections 9, 11 and 12): one small
function per rule, in the lists `DAY_RULES_FIRST`, `SESSION_RULES` and `DAY_RULES_LAST`, run
in that order by `day_checks`. A rule reads the day as billed (`DayFacts`) and returns its
findings; it never changes a claim. The checks that come from billing itself (KX, Medicare
status, NCCI edits) are made while the day is billed (core.billing.day).

A new rule is a function here added to one of the lists, with a kind in `CheckKind`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from core.billing.explain import ASSISTANT_EVALUATION
from core.billing.modifiers import DISCIPLINE_MODIFIER, discipline_warnings
from core.billing.units import BillingResult, units_for_minutes
from core.catalog import Catalog
from core.intervals import covered_time
from core.models import Discipline, Frozen, Segment
from core.session import Session
from core.text import a_or_an, plural
from core.timing import forgotten_timers

if TYPE_CHECKING:
    from core.billing.day import DayBilling
    from core.session import SessionData

EVALUATION_SOURCE = "Medicare Benefit Policy Manual (Pub. 100-02) ch.15 §230.1, §230.2"
GROUP_SOURCE = "Medicare Benefit Policy Manual (Pub. 100-02) ch.15 §230 (group therapy)"


class CheckKind(StrEnum):
    OVERLAP = "overlap"
    CLOCK_TIME = "clock-time"
    FORGOTTEN_TIMER = "forgotten-timer"
    NO_UNITS = "no-units"
    TWO_EVALUATIONS = "two-evaluations"
    NO_DISCIPLINE_MODIFIER = "no-discipline-modifier"
    POOLING = "pooling"
    KX = "kx"
    KX_UNKNOWN_YEAR = "kx-unknown-year"
    OPEN_SESSION = "open-session"
    UNDEFINED_CODE = "undefined-code"
    MEDICARE_STATUS = "medicare-status"
    RE_EVALUATION_WITH_TREATMENT = "re-evaluation-with-treatment"
    PERFORMANCE_TEST_WITH_EVALUATION = "performance-test-with-evaluation"
    EVALUATION_OVERLAP = "evaluation-overlap"
    UNIT_LIMIT = "unit-limit"
    DISCIPLINE = "discipline"
    PROGRESS_REPORT_DUE = "progress-report-due"
    PROGRESS_REPORT_OVERDUE = "progress-report-overdue"
    AUTHORIZATION_LOW = "authorization-low"
    AUTHORIZATION_EXCEEDED = "authorization-exceeded"
    CERTIFICATION_ENDING = "certification-ending"
    CERTIFICATION_EXPIRED = "certification-expired"
    CERTIFICATION_UNSIGNED = "certification-unsigned"
    ASSISTANT_EVALUATION = "assistant-evaluation"
    GROUP_OVERLAP = "group-overlap"
    OTHER_DISCIPLINE = "other-discipline"
    TELEHEALTH_WAIVER = "telehealth-waiver"
    TELEHEALTH_CODE = "telehealth-code"
    TELEHEALTH_PLACE = "telehealth-place"
    POOLED_PLACES = "pooled-places"


class DayCheck(Frozen):
    kind: CheckKind
    message: str
    session_ids: tuple[UUID, ...] = ()
    source: str = ""
    """The rule's source, for the checks that come from a payer's published edits."""


@dataclass(frozen=True)
class DayFacts:
    """A date as the rules see it: its sessions in opening order, billed."""

    ordered: Sequence[SessionData]
    billed: DayBilling
    now: datetime
    catalog: Catalog
    zone: tzinfo
    forgotten_minutes: int
    therapist_discipline: Discipline | None

    def sessions_of(self, patient: str) -> tuple[UUID, ...]:
        return tuple(s.id for s, _ in self.ordered if s.patient == patient)

    def timed(self) -> list[tuple[Segment, Session]]:
        """Every timed segment of the day with its session, by start."""
        return sorted(((seg, s) for s, segs in self.ordered for seg in segs
                       if self.catalog.is_timed(seg.code)), key=lambda pair: pair[0].start)

    def span(self, segment: Segment) -> str:
        end = segment.end or self.now
        return f"{segment.start.astimezone(self.zone):%H:%M}-{end.astimezone(self.zone):%H:%M}"


DayRule = Callable[[DayFacts], list[DayCheck]]
SessionRule = Callable[[DayFacts, Session, Sequence[Segment], BillingResult], list[DayCheck]]


def pooling(facts: DayFacts) -> list[DayCheck]:
    """A patient's sessions billed on their pooled minutes, when that differs from the sessions
    one by one (section 3.5)."""
    return [DayCheck(kind=CheckKind.POOLING, session_ids=group.session_ids, message=(
                f"{group.patient} {group.discipline}: {len(group.session_ids)} sessions are "
                f"billed on their pooled minutes, {plural(group.timed_units, 'timed unit')}, "
                f"not the {group.per_session_units} of the sessions one by one"))
            for group in facts.billed.groups
            if group.pooled is not None and group.timed_units != group.per_session_units]


def pooled_places(facts: DayFacts) -> list[DayCheck]:
    """Sessions billed together that were furnished at different places, modes or by different
    therapists: the pooled lines go out under the first session's (section 12), which may be
    wrong for the others' minutes."""
    by_id = {s.id: s for s, _ in facts.ordered}
    checks = []
    for group in facts.billed.groups:
        members = [by_id[i] for i in group.session_ids]
        first = members[0]
        differ = []
        if len({s.place for s in members}) > 1:
            differ.append("place of service or mode (" + "; ".join(
                dict.fromkeys(s.place.words() for s in members)) + ")")
        if len({(s.therapist, s.npi) for s in members}) > 1:
            differ.append("rendering therapist (" + "; ".join(
                dict.fromkeys(s.therapist or "not named" for s in members)) + ")")
        if differ:
            by = first.therapist or "the therapist not named"
            checks.append(DayCheck(kind=CheckKind.POOLED_PLACES, session_ids=group.session_ids,
                                   message=(
                f"{group.patient} {group.discipline}: the {len(members)} sessions billed "
                f"together differ in {' and '.join(differ)}; their lines go out under the "
                f"first session's ({first.place.words()}, {by}): split the lines by hand "
                "where the payer needs each on its own")))
    return checks


def timed_overlaps(facts: DayFacts) -> list[DayCheck]:
    """Timed segments of the therapist that overlap across patients: concurrent time is not
    one-on-one time (section 9)."""
    checks = []
    timed = facts.timed()
    for index, (a, session_a) in enumerate(timed):
        for b, session_b in timed[index + 1:]:
            if a.end is not None and b.start >= a.end:
                break  # sorted by start: nothing later can overlap `a`
            if session_a.id != session_b.id:
                checks.append(DayCheck(
                    kind=CheckKind.OVERLAP, session_ids=(session_a.id, session_b.id),
                    message=(f"{a.code} {facts.span(a)} on {session_a.patient} overlaps "
                             f"{b.code} {facts.span(b)} on {session_b.patient}: "
                             "concurrent time is not one-on-one")))
    return checks


def clock_time(facts: DayFacts) -> list[DayCheck]:
    """Our policy: each patient's clock time on timed codes allows what the 8-minute rule
    gives it (rounding up once per patient is legitimate); more units than that cannot have
    been furnished (a per-code payer's 10 + 10 minutes billed as 2 units, or double-counted
    time)."""
    clock: dict[str, list[Segment]] = {}
    for segment, session in facts.timed():
        clock.setdefault(session.patient, []).append(segment)
    checks = []
    for patient, segments in clock.items():
        minutes = covered_time(segments, facts.now) // timedelta(minutes=1)
        allowed = units_for_minutes(minutes)
        units = sum(row.units for row in facts.billed.rows
                    if row.patient == patient and facts.catalog.is_timed(row.code))
        if units > allowed:
            checks.append(DayCheck(kind=CheckKind.CLOCK_TIME,
                                   session_ids=facts.sessions_of(patient), message=(
                f"{patient}: {plural(units, 'timed unit')} in {minutes} min of clock time, "
                f"which allow {allowed} by the 8-minute rule (four units an hour)")))
    return checks


def forgotten_timer(facts: DayFacts, session: Session, segments: Sequence[Segment],
                    billing: BillingResult) -> list[DayCheck]:
    """A segment, running or not, longer than the settings' limit on one code."""
    now, limit = facts.now, facts.forgotten_minutes
    stopped = [s for s in segments if s.end is not None
               and s.duration(now).total_seconds() > limit * 60]
    checks = []
    for segment in forgotten_timers(segments, now, limit) + stopped:
        minutes = int(segment.duration(now).total_seconds()) // 60
        verb = "has been running" if segment.running else "ran in one go for"
        checks.append(DayCheck(kind=CheckKind.FORGOTTEN_TIMER, session_ids=(session.id,),
                               message=f"{segment.code} on {session.patient} {verb} {minutes} "
                                       "min: a forgotten timer?"))
    return checks


def no_units(facts: DayFacts, session: Session, segments: Sequence[Segment],
             billing: BillingResult) -> list[DayCheck]:
    """Timed minutes that bill no unit (under 8 minutes in all)."""
    if billing.total_timed_minutes and not billing.timed_units:
        return [DayCheck(kind=CheckKind.NO_UNITS, session_ids=(session.id,), message=(
            f"{session.patient}: {billing.total_timed_minutes} timed min but no unit"))]
    return []


def undefined_codes(facts: DayFacts, session: Session, segments: Sequence[Segment],
                    billing: BillingResult) -> list[DayCheck]:
    """A recorded code the catalog and the settings no longer define."""
    checks = []
    for line in billing.lines:
        if facts.catalog.find(line.code) is None:
            recorded = "" if line.minutes is None else f" ({line.minutes} min recorded)"
            billed = ("billed when the session closed, no fee estimate now" if line.units
                      else "not billed")
            checks.append(DayCheck(kind=CheckKind.UNDEFINED_CODE, session_ids=(session.id,),
                                   message=f"{session.patient}: {line.code}{recorded} is "
                                   "not defined in the catalog or the settings (a custom "
                                   f"code removed from settings?): {billed}"))
    return checks


def code_disciplines(facts: DayFacts, session: Session, segments: Sequence[Segment],
                     billing: BillingResult) -> list[DayCheck]:
    """A billed code of another discipline than the plan of care's."""
    return [DayCheck(kind=CheckKind.DISCIPLINE, session_ids=(session.id,),
                     message=f"{session.patient}: {warning}")
            for warning in discipline_warnings(billing, session.discipline, facts.catalog)]


def assistant_evaluations(facts: DayFacts, session: Session, segments: Sequence[Segment],
                          billing: BillingResult) -> list[DayCheck]:
    """An evaluation recorded as furnished by an assistant (section 12): never billed."""
    return [DayCheck(kind=CheckKind.ASSISTANT_EVALUATION, session_ids=(session.id,),
                     source=EVALUATION_SOURCE, message=(
                         f"{session.patient}: {line.code} is recorded as furnished by an "
                         f"assistant: {ASSISTANT_EVALUATION}; left off the claim (correct who "
                         "furnished it, or the code)"))
            for line in billing.lines
            if line.assistant_minutes and facts.catalog.is_evaluation(line.code)]


def still_open(facts: DayFacts, session: Session, segments: Sequence[Segment],
               billing: BillingResult) -> list[DayCheck]:
    if session.is_open:
        return [DayCheck(kind=CheckKind.OPEN_SESSION, session_ids=(session.id,),
                         message=f"{session.patient}: the session is still open")]
    return []


def missing_discipline_modifier(facts: DayFacts) -> list[DayCheck]:
    """A Medicare line without GP, GO or GN (the app always adds one: a safety net)."""
    return [DayCheck(kind=CheckKind.NO_DISCIPLINE_MODIFIER,
                     session_ids=facts.sessions_of(row.patient),
                     message=f"{row.patient} {row.code}: a Medicare line without GP, GO or GN")
            for row in facts.billed.rows
            if row.medicare and not set(DISCIPLINE_MODIFIER.values()) & set(row.modifiers)]


def group_overlaps(facts: DayFacts) -> list[DayCheck]:
    """One-on-one time (timed, or an evaluation) inside the therapist's own group (97150,
    92508): when a therapist treats two or more patients in the same period, only the group
    code is reported (Pub. 100-02 ch.15 §230). The store refuses it live; an import or a
    restored file can still hold it."""
    groups: dict[tuple[datetime, datetime | None, str], list[UUID]] = {}
    for session, segments in facts.ordered:
        for segment in segments:
            if facts.catalog.is_group(segment.code):
                groups.setdefault((segment.start, segment.end, segment.code), []).append(
                    session.id)
    one_on_one = sorted(((seg, s) for s, segs in facts.ordered for seg in segs
                         if facts.catalog.is_timed(seg.code)
                         or facts.catalog.is_evaluation(seg.code)),
                        key=lambda pair: pair[0].start)
    checks = []
    for segment, session in one_on_one:
        for (start, end, code), members in groups.items():
            inside = Segment(session_id=members[0], code=code, start=start, end=end)
            if segment.overlaps(inside):
                checks.append(DayCheck(
                    kind=CheckKind.GROUP_OVERLAP, source=GROUP_SOURCE,
                    session_ids=tuple(dict.fromkeys((session.id, *members))), message=(
                        f"{session.patient}: {segment.code} {facts.span(segment)} overlaps "
                        f"the group {code} {facts.span(inside)} ({len(members)} patients): "
                        "one-on-one time cannot overlap the therapist's own group; only the "
                        "group code is billed for that time")))
    return checks


def other_discipline(facts: DayFacts) -> list[DayCheck]:
    """A session in another discipline than the therapist's own (the settings')."""
    own = facts.therapist_discipline
    if own is None:
        return []
    return [DayCheck(kind=CheckKind.OTHER_DISCIPLINE, session_ids=(s.id,), message=(
                f"{s.patient}: {a_or_an(s.discipline)} session recorded by {a_or_an(own)} "
                f"(the settings' discipline): {s.discipline} services need "
                f"{a_or_an(s.discipline)} therapist or assistant under "
                f"{a_or_an(s.discipline)} plan of care; the chart note is signed as {own}"))
            for s, _ in facts.ordered if s.discipline is not own]


DAY_RULES_FIRST: tuple[DayRule, ...] = (pooling, pooled_places, timed_overlaps, clock_time)
SESSION_RULES: tuple[SessionRule, ...] = (forgotten_timer, no_units, undefined_codes,
                                          code_disciplines, assistant_evaluations, still_open)
DAY_RULES_LAST: tuple[DayRule, ...] = (missing_discipline_modifier, group_overlaps,
                                       other_discipline)


def day_checks(facts: DayFacts) -> list[DayCheck]:
    """Every rule's findings, in the order of the lists (each session's together)."""
    checks = list(facts.billed.checks)
    for day_rule in DAY_RULES_FIRST:
        checks += day_rule(facts)
    for session, segments in facts.ordered:
        billing = facts.billed.billings[session.id]
        for session_rule in SESSION_RULES:
            checks += session_rule(facts, session, segments, billing)
    for day_rule in DAY_RULES_LAST:
        checks += day_rule(facts)
    return checks
