"""One date of service for the biller: every session, Medicare pooling, claim rows, totals, checks.

billing-spec sections 3.5 (several sessions, one day), 6-7 (estimates, modifiers) and 9 (the
checks a careful biller runs). Pure: sessions and segments in, a summary out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from core.catalog import Catalog
from core.fees import estimate_fees
from core.minutes import code_minutes
from core.models import Discipline, Frozen, Method, Segment
from core.modifiers import (
    DISCIPLINE_MODIFIER,
    KX_THRESHOLDS,
    ClaimLine,
    TherapyBucket,
    claim_lines,
    therapy_bucket,
    threshold_status,
)
from core.review import PT_EVALUATIONS, fee_year, forgotten_timers
from core.session import Session
from core.units import BillingResult, compute_units, units_for_minutes

SessionData = tuple[Session, Sequence[Segment]]
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
    OPEN_SESSION = "open-session"
    UNDEFINED_CODE = "undefined-code"


class DayCheck(Frozen):
    kind: CheckKind
    message: str
    session_ids: tuple[UUID, ...] = ()


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
    pooled: BillingResult | None
    """Medicare's pooled result (with its reasons) when the patient had several sessions."""


class SessionDay(Frozen):
    session: Session
    billing: BillingResult
    amount: Decimal | None
    checks: tuple[str, ...]


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
    amount: Decimal
    checks: tuple[DayCheck, ...]


def medicare_amounts(summary: DaySummary | DayBilling) -> YearToDate:
    """The day's estimated Medicare amounts per patient and KX bucket (for the year so far)."""
    amounts: YearToDate = {}
    for row in summary.rows:
        if row.medicare:
            key = (row.patient, therapy_bucket(row.discipline))
            amounts[key] = amounts.get(key, Decimal(0)) + (row.amount or Decimal(0))
    return amounts


def session_billing(session: Session, segments: Sequence[Segment], now: datetime,
                    catalog: Catalog) -> BillingResult:
    """What was stored at close (with the therapist's tie pick), else the live result."""
    if session.billing is not None:
        return session.billing
    return compute_units(code_minutes(segments, now), session.payer.method, catalog)


def summarize_day(
    day: date,
    sessions: Sequence[SessionData],
    now: datetime,
    catalog: Catalog,
    zone: tzinfo,
    *,
    forgotten_minutes: int = 60,
    year_to_date: Mapping[tuple[str, TherapyBucket], Decimal] | None = None,
) -> DaySummary:
    """Summarise one date of service.

    `year_to_date` holds each Medicare patient's allowed amount per bucket before this day,
    for the KX modifier and the threshold warnings.
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
    per_session = _per_session_checks(checks)
    return DaySummary(
        day=day,
        sessions=tuple(
            SessionDay(session=s, billing=billings[s.id], amount=amounts.get(s.id),
                       checks=per_session.get(s.id, ()))
            for s, _ in ordered
        ),
        groups=tuple(groups),
        rows=tuple(rows),
        code_totals=_code_totals(rows),
        timed_minutes=sum(g.timed_minutes for g in groups),
        treatment_minutes=sum(g.treatment_minutes for g in groups),
        units=sum(row.units for row in rows),
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
    checks: tuple[DayCheck, ...]


def bill_day(ordered: Sequence[SessionData], now: datetime, catalog: Catalog,
             year_to_date: Mapping[tuple[str, TherapyBucket], Decimal] | None = None
             ) -> DayBilling:
    """The billing of a day's sessions (in opening order), without the biller's checks."""
    billings = {s.id: session_billing(s, segs, now, catalog) for s, segs in ordered}
    groups, rows, checks = _billed(ordered, billings, now, catalog, year_to_date)
    amounts: dict[UUID, Decimal | None] = {}
    for group in groups:
        # A group's amount belongs to its first session; pooled sessions after it have none.
        mine = [row for row in rows if row.patient == group.patient
                and row.discipline == group.discipline and row.payer == group.payer]
        known = [row.amount for row in mine if row.amount is not None]
        amounts[group.session_ids[0]] = sum(known, Decimal(0)) if known or not mine else None
    return DayBilling(billings=billings, groups=tuple(groups), rows=tuple(rows),
                      amounts=amounts, checks=tuple(checks))


def _billed(ordered: Sequence[SessionData], billings: Mapping[UUID, BillingResult],
            now: datetime, catalog: Catalog,
            year_to_date: Mapping[tuple[str, TherapyBucket], Decimal] | None,
            ) -> tuple[list[Group], list[ClaimRow], list[DayCheck]]:
    """Groups, their claim rows with KX where the year so far passes the threshold, and the
    KX warnings."""
    first_of = {s.id: s for s, _ in ordered}
    groups = _groups(ordered, billings, now, catalog)
    rows: list[ClaimRow] = []
    checks: list[DayCheck] = []
    ytd = dict(year_to_date or {})
    for group in groups:
        first = first_of[group.session_ids[0]]
        group_rows = _claim_rows(group, first, catalog)
        if first.payer.medicare:
            group_rows, kx_checks = _apply_kx(group_rows, group, first, ytd)
            checks += kx_checks
        rows += group_rows
    return groups, rows, checks


def _groups(ordered: Sequence[SessionData], billings: Mapping[UUID, BillingResult],
            now: datetime, catalog: Catalog) -> list[Group]:
    """Medicare counts the day: one patient's sessions in one discipline pool their minutes.

    Per-code payers bill each session on its own; their claim lines add up per code, because
    a code split across lines of one date is rejected.
    """
    keyed: dict[tuple[str, Discipline, str], list[SessionData]] = {}
    for session, segments in ordered:
        key = (session.patient, session.discipline, session.payer.name)
        keyed.setdefault(key, []).append((session, segments))
    groups = []
    for (patient, discipline, payer), members in keyed.items():
        ids = tuple(s.id for s, _ in members)
        profile = members[0][0].payer
        parts = [billings[i] for i in ids]
        pooled = None
        if len(members) > 1 and profile.method is Method.CMS:
            pooled = compute_units(code_minutes([g for _, segs in members for g in segs], now),
                                   profile.method, catalog)
            parts = [pooled]
        lines = _merge_lines(
            [line for part in parts for line in claim_lines(part, discipline, profile.medicare)],
            catalog,
        )
        groups.append(Group(
            patient=patient, discipline=discipline, payer=payer, session_ids=ids,
            lines=tuple(lines),
            timed_minutes=sum(p.total_timed_minutes for p in parts),
            treatment_minutes=sum(p.total_treatment_minutes for p in parts),
            timed_units=sum(p.timed_units for p in parts),
            per_session_units=sum(billings[i].timed_units for i in ids),
            pooled=pooled,
        ))
    return groups


def _merge_lines(lines: Sequence[ClaimLine], catalog: Catalog) -> list[ClaimLine]:
    merged: dict[str, ClaimLine] = {}
    for line in lines:
        before = merged.get(line.code)
        if before is None:
            merged[line.code] = line
            continue
        minutes = None if before.minutes is None and line.minutes is None else \
            (before.minutes or 0) + (line.minutes or 0)
        timed = catalog.is_timed(line.code)
        merged[line.code] = before.model_copy(update={
            "minutes": minutes,
            "units": before.units + line.units if timed else 1,
            "modifiers": tuple(dict.fromkeys((*before.modifiers, *line.modifiers))),
            "assistant_units": before.assistant_units + line.assistant_units,
        })
    return list(merged.values())


def _claim_rows(group: Group, first: Session, catalog: Catalog) -> list[ClaimRow]:
    amounts: dict[str, Decimal | None] = {}
    if group.lines:
        fees = estimate_fees(group.lines, fee_year(first, catalog),
                             medicare=first.payer.medicare, fee_table=first.payer.fee_table,
                             catalog=catalog)
        amounts = {fee.code: fee.amount for fee in fees.lines}
    return [
        ClaimRow(date_of_service=first.date_of_service, patient=group.patient,
                 payer=group.payer, method=first.payer.method, medicare=first.payer.medicare,
                 discipline=group.discipline, code=line.code, modifiers=line.modifiers,
                 units=line.units, minutes=line.minutes, amount=amounts.get(line.code))
        for line in group.lines
    ]


def _apply_kx(rows: list[ClaimRow], group: Group, first: Session,
              ytd: YearToDate) -> tuple[list[ClaimRow], list[DayCheck]]:
    """The line that passes the KX threshold carries KX, and so does every later one."""
    bucket = therapy_bucket(group.discipline)
    year = first.date_of_service.year
    if year not in KX_THRESHOLDS:
        return rows, []
    threshold = KX_THRESHOLDS[year]
    running = ytd.get((group.patient, bucket), Decimal(0))
    marked = []
    for row in rows:
        running += row.amount or Decimal(0)
        if running > threshold:
            row = row.model_copy(update={"modifiers": (*row.modifiers, "KX")})
        marked.append(row)
    ytd[(group.patient, bucket)] = running
    status = threshold_status(year, bucket, running)
    return marked, [DayCheck(kind=CheckKind.KX, message=f"{group.patient}: {message}",
                             session_ids=group.session_ids) for message in status.messages]


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
        if session.is_open:
            checks.append(DayCheck(kind=CheckKind.OPEN_SESSION, session_ids=(session.id,),
                                   message=f"{session.patient}: the session is still open"))
    evaluations: dict[str, list[tuple[str, UUID]]] = {}
    for session, _ in ordered:
        for code in PT_EVALUATIONS & set(billings[session.id].units):
            evaluations.setdefault(session.patient, []).append((code, session.id))
    for patient, found in evaluations.items():
        if len(found) > 1:
            codes = ", ".join(sorted(code for code, _ in found))
            checks.append(DayCheck(kind=CheckKind.TWO_EVALUATIONS,
                                   session_ids=tuple(dict.fromkeys(i for _, i in found)),
                                   message=f"{patient}: two PT evaluations on one date ({codes}); "
                                           "no modifier bypasses this edit"))
    for row in rows:
        if row.medicare and not set(DISCIPLINE_MODIFIER.values()) & set(row.modifiers):
            checks.append(DayCheck(kind=CheckKind.NO_DISCIPLINE_MODIFIER,
                                   session_ids=sessions_of[row.patient],
                                   message=f"{row.patient} {row.code}: a Medicare line without "
                                           "GP, GO or GN"))
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
