"""One date of service for the biller: every session, pooling, claim rows, totals, checks.

billing-spec sections 3.5 and 4 (a patient's sessions of one date and discipline are billed on
their pooled minutes, under either method), 6-7 (estimates with the multiple-procedure reduction
across the patient's date, modifiers, KX on the allowed amount, NCCI edits), 9 (the checks a
careful biller runs) and 10 (Medicare status). Pure: sessions and segments in, a summary out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Protocol, TypeVar
from uuid import UUID

from pydantic import Field

from core.billing.edits import MUE_CHECK, code_findings, overlap_findings, units_by_code
from core.billing.explain import ASSISTANT_EVALUATION, medicare_status_warning
from core.billing.fees import LineFee, estimate_fees
from core.billing.minutes import code_minutes
from core.billing.modifiers import (
    DISCIPLINE_MODIFIER,
    KX_THRESHOLDS,
    ClaimLine,
    TherapyBucket,
    billed_text,
    discipline_warnings,
    therapy_bucket,
    threshold_status,
)
from core.billing.recorded import bill_recorded
from core.billing.session import bill_session, tie_picks
from core.billing.units import BillingResult, units_for_minutes
from core.care.deadlines import (
    PLAN_SOURCE,
    REPORT_SOURCE,
    AuthorizationBalance,
    CertificationClock,
    ClockKey,
    ReportClock,
)
from core.catalog import Catalog
from core.models import Discipline, Frozen, Method, Segment
from core.session import Session
from core.text import a_or_an
from core.timing import forgotten_timers

SessionData = tuple[Session, Sequence[Segment]]
STATUS_SOURCE = "CMS Physician Fee Schedule relative value file (PPRRVU), status column"
EVALUATION_SOURCE = "Medicare Benefit Policy Manual (Pub. 100-02) ch.15 §230.1, §230.2"
GROUP_SOURCE = "Medicare Benefit Policy Manual (Pub. 100-02) ch.15 §230 (group therapy)"
YearToDate = dict[tuple[str, TherapyBucket], Decimal]


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


class DayCheck(Frozen):
    kind: CheckKind
    message: str
    session_ids: tuple[UUID, ...] = ()
    source: str = ""
    """The rule's source, for the checks that come from a payer's published edits."""


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


class ClaimRow(Frozen):
    """One claim line: a patient, a date of service, a discipline and a code (never split)."""

    date_of_service: date
    patient: str
    payer: str
    method: Method
    medicare: bool
    discipline: Discipline
    code: str
    modifiers: tuple[str, ...]
    units: int
    minutes: int | None
    amount: Decimal | None
    """The estimated payment (85% of the allowed amount on a CQ/CO line)."""
    allowed: Decimal | None = None
    """The fee-schedule allowed amount, after the multiple-procedure reduction: what KX counts."""


class Group(Frozen):
    """The sessions of one patient, discipline and payer on the day, billed together."""

    patient: str
    discipline: Discipline
    payer: str
    session_ids: tuple[UUID, ...]
    lines: tuple[ClaimLine, ...]
    timed_minutes: int
    treatment_minutes: int
    timed_units: int
    per_session_units: int
    billing: BillingResult
    """What the lines come from: the session's result, or the pooled one."""
    pooled: BillingResult | None
    """The pooled result (with its reasons) when the patient had several sessions."""
    not_billed: dict[str, str]
    """Recorded codes that make no claim line, and why (core.billing.modifiers.not_billed)."""
    fee_year: int


class SessionDay(Frozen):
    session: Session
    billing: BillingResult
    amount: Decimal | None
    checks: tuple[str, ...]
    units: int | None = None
    """The units of the claim lines this session leads; None when it is billed with an
    earlier session of the day (pooled)."""
    not_billed: dict[str, str] = Field(default_factory=dict)


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

    def units_text(self, item: SessionDay) -> str:
        """A session's claim lines and the codes it does not bill, as every screen and
        report says them; a session billed with an earlier one of the day says so."""
        if item.units is None:
            return "pooled with an earlier session"
        s = item.session
        rows = [r for r in self.rows
                if (r.patient, r.discipline, r.payer) == (s.patient, s.discipline, s.payer.name)]
        text = billed_text(rows, item.not_billed) if rows or item.not_billed else "-"
        pooled = any(g.pooled is not None for g in self.groups if g.session_ids[0] == s.id)
        return f"pooled: {text}" if pooled else text


def medicare_amounts(summary: DaySummary | DayBilling) -> YearToDate:
    """The day's Medicare allowed amounts per patient and KX bucket (for the year so far)."""
    amounts: YearToDate = {}
    for row in summary.rows:
        if row.medicare:
            key = (row.patient, therapy_bucket(row.discipline))
            amounts[key] = amounts.get(key, Decimal(0)) + (row.allowed or Decimal(0))
    return amounts


def summarize_day(
    day: date,
    sessions: Sequence[SessionData],
    now: datetime,
    catalog: Catalog,
    zone: tzinfo,
    *,
    forgotten_minutes: int = 60,
    year_to_date: Mapping[tuple[str, TherapyBucket], Decimal] | None = None,
    report_clocks: Mapping[ClockKey, ReportClock] | None = None,
    certifications: Mapping[ClockKey, CertificationClock] | None = None,
    authorizations: Mapping[tuple[str, str], AuthorizationBalance] | None = None,
    therapist_discipline: Discipline | None = None,
) -> DaySummary:
    """Summarise one date of service.

    `year_to_date` holds each Medicare patient's allowed amount per bucket before this day,
    for the KX modifier and the threshold warnings; `report_clocks` each patient's
    progress-report clock on this day (core.care.deadlines), a check from the 8th treatment day;
    `certifications` their plan-of-care clocks; `authorizations` the balance of each
    patient's authorization with a payer of the day; `therapist_discipline` the discipline
    of the therapist whose folder this is (a session of another is a check).
    """
    ordered = sorted(sessions, key=lambda pair: pair[0].opened_at)
    billed = bill_day(ordered, now, catalog, year_to_date)
    billings, groups, rows, amounts = billed.billings, billed.groups, billed.rows, billed.amounts
    checks = list(billed.checks)
    for group in groups:
        if group.pooled is not None and group.timed_units != group.per_session_units:
            checks.append(DayCheck(kind=CheckKind.POOLING, session_ids=group.session_ids, message=(
                f"{group.patient} {group.discipline}: {len(group.session_ids)} sessions are "
                f"billed on their pooled minutes, {_units(group.timed_units)}, not "
                f"the {group.per_session_units} of the sessions one by one")))
    checks += _day_checks(ordered, billings, rows, now, catalog, zone, forgotten_minutes)
    checks += _group_overlaps(ordered, now, catalog, zone)
    if therapist_discipline is not None:
        checks += [DayCheck(kind=CheckKind.OTHER_DISCIPLINE, session_ids=(s.id,), message=(
            f"{s.patient}: {a_or_an(s.discipline)} session recorded by "
            f"{a_or_an(therapist_discipline)} (the settings' discipline): {s.discipline} "
            f"services need {a_or_an(s.discipline)} therapist or assistant under "
            f"{a_or_an(s.discipline)} plan of care; the chart note is signed as "
            f"{therapist_discipline}")) for s, _ in ordered
                   if s.discipline is not therapist_discipline]
    checks += _clock_checks(ordered, report_clocks or {},
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
                       not_billed=unbilled.get(s.id, {}))
            for s, _ in ordered
        ),
        groups=tuple(groups),
        rows=tuple(rows),
        code_totals=_code_totals(rows),
        timed_minutes=sum(g.timed_minutes for g in groups),
        treatment_minutes=sum(g.treatment_minutes for g in groups),
        units=sum(row.units for row in rows),
        timed_units=sum(g.timed_units for g in groups),
        amount=sum((row.amount for row in rows if row.amount is not None), Decimal(0)),
        checks=tuple(checks),
    )


def day_claim_rows(day: date, sessions: Sequence[SessionData], now: datetime, catalog: Catalog,
                   year_to_date: YearToDate | None = None) -> list[ClaimRow]:
    """Only the claim lines of a day (with KX), for exports that need nothing else."""
    ordered = sorted(sessions, key=lambda pair: pair[0].opened_at)
    return list(bill_day(ordered, now, catalog, year_to_date).rows)


class DayBilling(Frozen):
    """A day billed: each session's result, the groups billed together, the claim rows, each
    session's amount, and the KX checks (no other check: see `summarize_day`)."""

    billings: dict[UUID, BillingResult]
    groups: tuple[Group, ...]
    rows: tuple[ClaimRow, ...]
    amounts: dict[UUID, Decimal | None]
    units: dict[UUID, int]
    """The claim lines' units of each group, on its first session."""
    checks: tuple[DayCheck, ...]


def bill_day(ordered: Sequence[SessionData], now: datetime, catalog: Catalog,
             year_to_date: Mapping[tuple[str, TherapyBucket], Decimal] | None = None
             ) -> DayBilling:
    """The billing of a day's sessions (in opening order), with the checks that come from
    billing itself (KX, Medicare status, NCCI edits); the biller's other checks are
    `summarize_day`'s."""
    billings = {s.id: bill_recorded(s, segs, now, catalog).billing for s, segs in ordered}
    groups, rows, checks = _billed(ordered, billings, now, catalog, year_to_date)
    amounts: dict[UUID, Decimal | None] = {}
    units: dict[UUID, int] = {}
    for group in groups:
        # A group's amount belongs to its first session; pooled sessions after it have none.
        mine = [row for row in rows if row.patient == group.patient
                and row.discipline == group.discipline and row.payer == group.payer]
        known = [row.amount for row in mine if row.amount is not None]
        amounts[group.session_ids[0]] = sum(known, Decimal(0)) if known or not mine else None
        units[group.session_ids[0]] = sum(row.units for row in mine)
    return DayBilling(billings=billings, groups=tuple(groups), rows=tuple(rows),
                      amounts=amounts, units=units, checks=tuple(checks))


def _billed(ordered: Sequence[SessionData], billings: Mapping[UUID, BillingResult],
            now: datetime, catalog: Catalog,
            year_to_date: Mapping[tuple[str, TherapyBucket], Decimal] | None,
            ) -> tuple[list[Group], list[ClaimRow], list[DayCheck]]:
    """Groups, their claim rows priced per patient (the multiple-procedure reduction spans a
    patient's Medicare lines of the date, whatever the discipline), KX where the year's allowed
    amount passes the threshold, and the checks of status, KX and NCCI edits."""
    first_of = {s.id: s for s, _ in ordered}
    groups = _groups(ordered, billings, now, catalog)
    priced = _priced(groups, first_of, catalog)
    rows: list[ClaimRow] = []
    checks: list[DayCheck] = []
    ytd = dict(year_to_date or {})
    for group in groups:
        first = first_of[group.session_ids[0]]
        group_rows = [_row(group, first, fee) for fee in priced[group.session_ids[0]]]
        if first.payer.medicare:
            group_rows, kx_checks = _apply_kx(group_rows, group, first, ytd)
            checks += kx_checks
            checks += _status_checks(group, catalog)
        rows += group_rows
    checks += _edit_checks(ordered, groups, rows, first_of)
    return groups, rows, checks


def _groups(ordered: Sequence[SessionData], billings: Mapping[UUID, BillingResult],
            now: datetime, catalog: Catalog) -> list[Group]:
    """Both methods count the date of service: one patient's sessions in one discipline under
    one payer are billed on their pooled minutes (a code split across lines of one date is
    rejected, and per-code payers add a code's minutes across the date's sessions too)."""
    keyed: dict[tuple[str, Discipline, str], list[SessionData]] = {}
    for session, segments in ordered:
        key = (session.patient, session.discipline, session.payer.name)
        keyed.setdefault(key, []).append((session, segments))
    groups = []
    for (patient, discipline, payer), members in keyed.items():
        ids = tuple(s.id for s, _ in members)
        first, segments = members[0]
        bill = bill_recorded(first, segments, now, catalog)
        pooled = None
        if len(members) > 1:  # each closed session's tie pick counts, the earliest first
            picks = [code for s, _ in members if s.billing is not None
                     for code in tie_picks(s.billing)]
            bill = bill_session(code_minutes([g for _, segs in members for g in segs], now),
                                bill.terms, discipline, first.date_of_service, catalog,
                                prefer=list(dict.fromkeys(picks)))
            pooled = bill.billing
        result = bill.billing
        groups.append(Group(
            patient=patient, discipline=discipline, payer=payer, session_ids=ids,
            lines=bill.claim, not_billed=bill.not_billed, fee_year=bill.fee_year,
            timed_minutes=result.total_timed_minutes,
            treatment_minutes=result.total_treatment_minutes,
            timed_units=result.timed_units,
            per_session_units=sum(billings[i].timed_units for i in ids),
            billing=result,
            pooled=pooled,
        ))
    return groups


def _priced(groups: Sequence[Group], first_of: Mapping[UUID, Session], catalog: Catalog
            ) -> dict[UUID, list[LineFee]]:
    """Each group's lines with their fees. A patient's Medicare lines of the date (without a
    payer fee table) are priced together, so that one multiple-procedure reduction covers
    every discipline; other payers' lines are priced group by group."""
    together: dict[tuple[str, int], list[Group]] = {}
    alone: list[Group] = []
    for group in groups:
        payer = first_of[group.session_ids[0]].payer
        if payer.medicare and not payer.fee_table:
            together.setdefault((group.patient, group.fee_year), []).append(group)
        else:
            alone.append(group)
    priced: dict[UUID, list[LineFee]] = {}
    for (_, year), members in together.items():
        lines = [line for group in members for line in group.lines]
        fees = iter(estimate_fees(lines, year, medicare=True, catalog=catalog).lines
                    if lines else ())
        for group in members:
            priced[group.session_ids[0]] = [next(fees) for _ in group.lines]
    for group in alone:
        first = first_of[group.session_ids[0]]
        priced[group.session_ids[0]] = list(
            estimate_fees(group.lines, group.fee_year, medicare=first.payer.medicare,
                          fee_table=first.payer.fee_table, catalog=catalog).lines
            if group.lines else ())
    return priced


def _row(group: Group, first: Session, fee: LineFee) -> ClaimRow:
    line: ClaimLine = fee.line
    return ClaimRow(date_of_service=first.date_of_service, patient=group.patient,
                    payer=group.payer, method=first.payer.method, medicare=first.payer.medicare,
                    discipline=group.discipline, code=line.code, modifiers=line.modifiers,
                    units=line.units, minutes=line.minutes, amount=fee.amount,
                    allowed=fee.allowed)


def _apply_kx(rows: list[ClaimRow], group: Group, first: Session,
              ytd: YearToDate) -> tuple[list[ClaimRow], list[DayCheck]]:
    """The line whose allowed amount passes the KX threshold carries KX, and so does every
    later one. A year without a known threshold is a check on every line, never a silent
    "no KX"."""
    bucket = therapy_bucket(group.discipline)
    year = first.date_of_service.year
    if year not in KX_THRESHOLDS:
        known = ", ".join(str(y) for y in sorted(KX_THRESHOLDS))
        return rows, [DayCheck(
            kind=CheckKind.KX_UNKNOWN_YEAR, session_ids=group.session_ids,
            message=(f"{group.patient} {row.code}-{'-'.join(row.modifiers)}: no KX threshold "
                     f"is known for {year} (known: {known}); whether this line needs KX is "
                     "not checked")) for row in rows]
    threshold = KX_THRESHOLDS[year]
    running = ytd.get((group.patient, bucket), Decimal(0))
    marked = []
    for row in rows:
        running += row.allowed or Decimal(0)
        if running > threshold:
            row = row.model_copy(update={"modifiers": (*row.modifiers, "KX")})
        marked.append(row)
    ytd[(group.patient, bucket)] = running
    status = threshold_status(year, bucket, running)
    return marked, [DayCheck(kind=CheckKind.KX, message=f"{group.patient}: {message}",
                             session_ids=group.session_ids) for message in status.messages]


def _status_checks(group: Group, catalog: Catalog) -> list[DayCheck]:
    """A Medicare payer is told of every billed code whose Medicare status is not active; a
    bundled or invalid one (status B, I) is left off the claim lines."""
    checks = []
    for line in group.billing.lines:
        entry = catalog.find(line.code)
        warning = None if entry is None or not line.units else medicare_status_warning(entry)
        if warning:
            checks.append(DayCheck(kind=CheckKind.MEDICARE_STATUS, session_ids=group.session_ids,
                                   message=f"{group.patient}: {warning}",
                                   source=STATUS_SOURCE))
    return checks


def _edit_checks(ordered: Sequence[SessionData], groups: Sequence[Group],
                 rows: Sequence[ClaimRow], first_of: Mapping[UUID, Session]) -> list[DayCheck]:
    """NCCI edits on each patient's billed units of the date (every discipline and payer billed
    the Medicare way: Medicare, and payers that follow its method), Medicare's unit limits on
    its own lines, and evaluations whose time overlaps the patient's other treatment."""
    if not ordered:
        return []
    day = ordered[0][0].date_of_service
    followed = {g.patient for g in groups
                if (p := first_of[g.session_ids[0]].payer).medicare or p.method is Method.CMS}
    checks = []
    for patient in sorted(followed):
        mine = [row for row in rows if row.patient == patient]
        medicare = [row for row in mine if row.medicare]
        findings = code_findings(units_by_code((r.code, r.units) for r in mine), day,
                                 limits=False)
        findings += [f for f in code_findings(units_by_code((r.code, r.units) for r in medicare),
                                              day) if f.check == MUE_CHECK]
        sessions = [(s, segs) for s, segs in ordered if s.patient == patient]
        for finding in findings:
            ids = tuple(s.id for s, segs in sessions
                        if {seg.code for seg in segs} & set(finding.codes))
            checks.append(DayCheck(kind=CheckKind(finding.check), session_ids=ids,
                                   message=f"{patient}: {finding.message}", source=finding.source))
        owner = {}
        spans = []
        for session, segments in sessions:
            for seg in segments:
                if seg.end is not None:
                    span = (seg.code, seg.start, seg.end)
                    spans.append(span)
                    owner[id(span)] = session.id
        for finding, evaluation, other in overlap_findings(spans, day):
            checks.append(DayCheck(
                kind=CheckKind.EVALUATION_OVERLAP, message=f"{patient}: {finding.message}",
                session_ids=tuple(dict.fromkeys((owner[id(evaluation)], owner[id(other)]))),
                source=finding.source))
    return checks


def _day_checks(ordered: Sequence[SessionData], billings: Mapping[UUID, BillingResult],
                rows: Sequence[ClaimRow], now: datetime, catalog: Catalog, zone: tzinfo,
                forgotten_minutes: int) -> list[DayCheck]:
    checks = []
    sessions_of: dict[str, tuple[UUID, ...]] = {}
    for session, _ in ordered:
        sessions_of[session.patient] = (*sessions_of.get(session.patient, ()), session.id)
    timed = sorted(((seg, s) for s, segs in ordered for seg in segs
                    if catalog.is_timed(seg.code)), key=lambda pair: pair[0].start)
    for index, (a, session_a) in enumerate(timed):
        for b, session_b in timed[index + 1:]:
            if a.end is not None and b.start >= a.end:
                break  # sorted by start: nothing later can overlap `a`
            if session_a.id != session_b.id:
                checks.append(DayCheck(kind=CheckKind.OVERLAP, session_ids=(session_a.id,
                                                                           session_b.id),
                    message=(f"{a.code} {_span(a, now, zone)} on {session_a.patient} overlaps "
                             f"{b.code} {_span(b, now, zone)} on {session_b.patient}: "
                             "concurrent time is not one-on-one")))
    # Our policy: each patient's clock time on timed codes allows what the 8-minute rule gives
    # it (rounding up once per patient is legitimate); more units than that cannot have been
    # furnished (a per-code payer's 10 + 10 minutes billed as 2 units, or double-counted time).
    clock: dict[str, list[Segment]] = {}
    for segment, session in timed:
        clock.setdefault(session.patient, []).append(segment)
    for patient, segs in clock.items():
        minutes = _union_minutes(segs, now)
        allowed = units_for_minutes(minutes)
        units = sum(row.units for row in rows
                    if row.patient == patient and catalog.is_timed(row.code))
        if units > allowed:
            checks.append(DayCheck(kind=CheckKind.CLOCK_TIME, session_ids=sessions_of[patient],
                                   message=(
                f"{patient}: {_units(units)} in {minutes} min of clock time, which allow "
                f"{allowed} by the 8-minute rule (four units an hour)")))
    for session, segments in ordered:
        for segment in _longer_than(segments, now, forgotten_minutes):
            minutes = int(segment.duration(now).total_seconds()) // 60
            verb = "has been running" if segment.running else "ran in one go for"
            checks.append(DayCheck(kind=CheckKind.FORGOTTEN_TIMER, session_ids=(session.id,),
                                   message=f"{segment.code} on {session.patient} {verb} {minutes} "
                                           "min: a forgotten timer?"))
        billing = billings[session.id]
        if billing.total_timed_minutes and not billing.timed_units:
            checks.append(DayCheck(kind=CheckKind.NO_UNITS, session_ids=(session.id,), message=(
                f"{session.patient}: {billing.total_timed_minutes} timed min but no unit")))
        for line in billing.lines:
            if catalog.find(line.code) is None:
                recorded = "" if line.minutes is None else f" ({line.minutes} min recorded)"
                billed = ("billed when the session closed, no fee estimate now" if line.units
                          else "not billed")
                checks.append(DayCheck(kind=CheckKind.UNDEFINED_CODE, session_ids=(session.id,),
                                       message=f"{session.patient}: {line.code}{recorded} is "
                                       "not defined in the catalog or the settings (a custom "
                                       f"code removed from settings?): {billed}"))
        checks += [DayCheck(kind=CheckKind.DISCIPLINE, session_ids=(session.id,),
                            message=f"{session.patient}: {warning}")
                   for warning in discipline_warnings(billing, session.discipline, catalog)]
        checks += [DayCheck(kind=CheckKind.ASSISTANT_EVALUATION, session_ids=(session.id,),
                            source=EVALUATION_SOURCE, message=(
                                f"{session.patient}: {line.code} is recorded as furnished by "
                                f"an assistant: {ASSISTANT_EVALUATION}; left off the claim "
                                "(correct who furnished it, or the code)"))
                   for line in billing.lines
                   if line.assistant_minutes and catalog.is_evaluation(line.code)]
        if session.is_open:
            checks.append(DayCheck(kind=CheckKind.OPEN_SESSION, session_ids=(session.id,),
                                   message=f"{session.patient}: the session is still open"))
    for row in rows:
        if row.medicare and not set(DISCIPLINE_MODIFIER.values()) & set(row.modifiers):
            checks.append(DayCheck(kind=CheckKind.NO_DISCIPLINE_MODIFIER,
                                   session_ids=sessions_of[row.patient],
                                   message=f"{row.patient} {row.code}: a Medicare line without "
                                           "GP, GO or GN"))
    return checks


def _group_overlaps(ordered: Sequence[SessionData], now: datetime, catalog: Catalog,
                    zone: tzinfo) -> list[DayCheck]:
    """One-on-one timed time inside the therapist's own group (97150, 92508): when a
    therapist treats two or more patients in the same period, only the group code is
    reported (Pub. 100-02 ch.15 §230). The store refuses it live; an import or a restored
    file can still hold it."""
    groups: dict[tuple[datetime, datetime | None, str], list[UUID]] = {}
    for session, segments in ordered:
        for segment in segments:
            if catalog.is_group(segment.code):
                groups.setdefault((segment.start, segment.end, segment.code), []).append(
                    session.id)
    checks = []
    for session, segments in ordered:
        for segment in segments:
            if not catalog.is_timed(segment.code):
                continue
            for (start, end, code), members in groups.items():
                inside = Segment(session_id=members[0], code=code, start=start, end=end)
                if segment.overlaps(inside):
                    checks.append(DayCheck(
                        kind=CheckKind.GROUP_OVERLAP, source=GROUP_SOURCE,
                        session_ids=tuple(dict.fromkeys((session.id, *members))), message=(
                            f"{session.patient}: {segment.code} {_span(segment, now, zone)} "
                            f"overlaps the group {code} {_span(inside, now, zone)} "
                            f"({len(members)} patients): one-on-one time cannot overlap the "
                            "therapist's own group; only the group code is billed for that "
                            "time")))
    return checks


def _longer_than(segments: Sequence[Segment], now: datetime, minutes: int) -> list[Segment]:
    """Segments, running or not, longer than `minutes` on one code without a break."""
    stopped = [s for s in segments if s.end is not None
               and s.duration(now).total_seconds() > minutes * 60]
    return forgotten_timers(segments, now, minutes) + stopped


def _units(count: int) -> str:
    return f"{count} timed unit" if count == 1 else f"{count} timed units"


def _span(segment: Segment, now: datetime, zone: tzinfo) -> str:
    end = segment.end or now
    return f"{segment.start.astimezone(zone):%H:%M}-{end.astimezone(zone):%H:%M}"


def _union_minutes(segments: Sequence[Segment], now: datetime) -> int:
    """Minutes of clock time covered by at least one of the segments."""
    total = 0.0
    reach: datetime | None = None
    for segment in sorted(segments, key=lambda s: s.start):
        end = segment.end or now
        start = segment.start if reach is None else max(segment.start, reach)
        if end > start:
            total += (end - start).total_seconds()
        reach = end if reach is None else max(reach, end)
    return int(total) // 60


def _per_session_checks(checks: Sequence[DayCheck]) -> dict[UUID, tuple[str, ...]]:
    found: dict[UUID, list[str]] = {}
    for check in checks:
        for session_id in check.session_ids:
            found.setdefault(session_id, []).append(check.message)
    return {key: tuple(value) for key, value in found.items()}


def _code_totals(rows: Sequence[ClaimRow]) -> tuple[CodeTotal, ...]:
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
