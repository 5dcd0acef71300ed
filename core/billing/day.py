"""One date of service billed: each patient's sessions of one discipline and payer billed
together (billing-spec sections 3.5 and 4: on their pooled minutes, under either method), the
claim rows priced with the multiple-procedure reduction across the patient's date (6), KX on
the allowed amount (7), and the checks that come from billing itself: KX, Medicare status
(10), NCCI edits and unit limits, Medicare's telehealth rules (12). The rest of the biller's
checks are core.billing.checks'.

Each claim row says where and how it was furnished and by whom, as its session was stamped;
sessions billed together go out under their first session's place and therapist (a check says
when the others differ).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from uuid import UUID

from core.billing.checks import CheckKind, DayCheck
from core.billing.edits import (
    MUE_CHECK,
    code_findings,
    overlap_findings,
    telehealth_findings,
    units_by_code,
)
from core.billing.explain import medicare_status_warning
from core.billing.fees import LineFee, estimate_fees
from core.billing.minutes import code_minutes
from core.billing.modifiers import (
    KX_THRESHOLDS,
    ClaimLine,
    TherapyBucket,
    therapy_bucket,
    threshold_status,
)
from core.billing.recorded import bill_recorded
from core.billing.session import SessionBill, bill_session, tie_picks
from core.billing.units import BillingResult
from core.catalog import Catalog
from core.models import Discipline, Frozen, Method
from core.place import OFFICE, Place, Telehealth
from core.session import Session, SessionData, in_day_order

STATUS_SOURCE = "CMS Physician Fee Schedule relative value file (PPRRVU), status column"
YearToDate = dict[tuple[str, TherapyBucket], Decimal]


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
    place_of_service: str = OFFICE
    telehealth: Telehealth | None = None
    therapist: str = ""
    """The rendering therapist (name and credentials as the session was stamped)."""
    npi: str = ""
    """The rendering therapist's NPI."""
    provider_code: str = ""
    charge: Decimal | None = None
    """What the practice charges (core.billing.fees.LineFee.charge): the charge file's."""


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
    place: Place
    """Where and how the lines were furnished: the first session's."""


def medicare_amounts(rows: Iterable[ClaimRow]) -> YearToDate:
    """The day's Medicare allowed amounts per patient and KX bucket (for the year so far)."""
    amounts: YearToDate = {}
    for row in rows:
        if row.medicare:
            key = (row.patient, therapy_bucket(row.discipline))
            amounts[key] = amounts.get(key, Decimal(0)) + (row.allowed or Decimal(0))
    return amounts


def day_claim_rows(day: date, sessions: Sequence[SessionData], now: datetime, catalog: Catalog,
                   year_to_date: YearToDate | None = None) -> list[ClaimRow]:
    """Only the claim lines of a day (with KX), for exports that need nothing else."""
    return list(bill_day(sessions, now, catalog, year_to_date).rows)


@dataclass(frozen=True)
class DayBilling:
    """A day billed: each session's result, the groups billed together, the claim rows and
    each session's amount; the checks that come from billing itself when first asked for
    (half the work, which the index, Today and the claim lines never ask for)."""

    billings: dict[UUID, BillingResult]
    groups: tuple[Group, ...]
    rows: tuple[ClaimRow, ...]
    amounts: dict[UUID, Decimal | None]
    units: dict[UUID, int]
    """The claim lines' units of each group, on its first session."""
    ordered: tuple[SessionData, ...] = field(repr=False, compare=False)
    catalog: Catalog = field(repr=False, compare=False)
    kx: tuple[tuple[DayCheck, ...], ...] = field(repr=False, compare=False)
    """Each group's KX checks, found as its lines were marked."""

    @cached_property
    def checks(self) -> tuple[DayCheck, ...]:
        """KX and Medicare status, group by group, then NCCI edits and Medicare's telehealth
        rules (no other check: see `summarize_day`)."""
        first_of = {s.id: s for s, _ in self.ordered}
        found: list[DayCheck] = []
        for group, kx in zip(self.groups, self.kx, strict=True):
            if first_of[group.session_ids[0]].payer.medicare:
                found += kx
                found += _status_checks(group, self.ordered, self.catalog)
        found += _edit_checks(self.ordered, self.groups, self.rows, first_of)
        found += _telehealth_checks(self.groups, first_of)
        return tuple(found)


def bill_day(sessions: Sequence[SessionData], now: datetime, catalog: Catalog,
             year_to_date: Mapping[tuple[str, TherapyBucket], Decimal] | None = None
             ) -> DayBilling:
    """The billing of a day's sessions (taken `in_day_order`), with the checks that come from
    billing itself (KX, Medicare status, NCCI edits); the biller's other checks are
    `summarize_day`'s."""
    ordered, bills = _bills(sessions, now, catalog)
    billings = {session_id: bill.billing for session_id, bill in bills.items()}
    groups, rows, kx = _billed(ordered, bills, now, catalog, year_to_date)
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
                      amounts=amounts, units=units, ordered=tuple(ordered), catalog=catalog,
                      kx=tuple(kx))


def day_groups(sessions: Sequence[SessionData], now: datetime, catalog: Catalog
               ) -> list[Group]:
    """A day's groups (one patient's sessions of a discipline and payer, pooled) without
    their prices: what a clinic's pooling check compares, at a third of `bill_day`'s cost."""
    return _groups(*_bills(sessions, now, catalog), now, catalog)


def _bills(sessions: Sequence[SessionData], now: datetime, catalog: Catalog
           ) -> tuple[list[SessionData], dict[UUID, SessionBill]]:
    """The sessions `in_day_order`, each billed on its own."""
    ordered = in_day_order(sessions)
    return ordered, {s.id: bill_recorded(s, segs, now, catalog) for s, segs in ordered}


def _billed(ordered: Sequence[SessionData], bills: Mapping[UUID, SessionBill],
            now: datetime, catalog: Catalog,
            year_to_date: Mapping[tuple[str, TherapyBucket], Decimal] | None,
            ) -> tuple[list[Group], list[ClaimRow], list[tuple[DayCheck, ...]]]:
    """Groups, their claim rows priced per patient (the multiple-procedure reduction spans a
    patient's Medicare lines of the date, whatever the discipline), KX where the year's allowed
    amount passes the threshold, and each group's KX checks."""
    first_of = {s.id: s for s, _ in ordered}
    groups = _groups(ordered, bills, now, catalog)
    priced = _priced(groups, first_of, catalog)
    rows: list[ClaimRow] = []
    kx: list[tuple[DayCheck, ...]] = []
    ytd = dict(year_to_date or {})
    for group in groups:
        first = first_of[group.session_ids[0]]
        group_rows = [_row(group, first, fee) for fee in priced[group.session_ids[0]]]
        kx_checks: list[DayCheck] = []
        if first.payer.medicare:
            group_rows, kx_checks = _apply_kx(group_rows, group, first, ytd)
        kx.append(tuple(kx_checks))
        rows += group_rows
    return groups, rows, kx


def _groups(ordered: Sequence[SessionData], bills: Mapping[UUID, SessionBill],
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
        bill = bills[ids[0]]  # each session is billed once, by bill_day
        pooled = None
        if len(members) > 1:  # each closed session's tie pick counts, the earliest first
            picks = [code for s, _ in members if s.billing is not None
                     for code in tie_picks(s.billing)]
            bill = bill_session(code_minutes([g for _, segs in members for g in segs], now),
                                bill.terms, discipline, bill.day, catalog,
                                prefer=list(dict.fromkeys(picks)), place=bill.place)
            pooled = bill.billing
        result = bill.billing
        groups.append(Group(
            patient=patient, discipline=discipline, payer=payer, session_ids=ids,
            lines=bill.claim, not_billed=bill.not_billed, fee_year=bill.fee_year,
            timed_minutes=result.total_timed_minutes,
            treatment_minutes=result.total_treatment_minutes,
            timed_units=result.timed_units,
            per_session_units=sum(bills[i].billing.timed_units for i in ids),
            billing=result,
            pooled=pooled,
            place=bill.place,
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
                    allowed=fee.allowed, place_of_service=line.place.pos,
                    telehealth=line.place.telehealth, therapist=first.therapist,
                    npi=first.npi, provider_code=first.provider_code, charge=fee.charge)


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


def _status_checks(group: Group, ordered: Sequence[SessionData], catalog: Catalog
                   ) -> list[DayCheck]:
    """A Medicare payer is told of every billed code whose Medicare status is not active; a
    bundled or invalid one (status B, I) is left off the claim lines. The check stands by
    the sessions that recorded the code."""
    checks = []
    for line in group.billing.lines:
        entry = catalog.find(line.code)
        warning = None if entry is None or not line.units else medicare_status_warning(entry)
        if warning:
            ids = tuple(s.id for s, segments in ordered if s.id in group.session_ids
                        and any(seg.code == line.code for seg in segments))
            checks.append(DayCheck(kind=CheckKind.MEDICARE_STATUS,
                                   session_ids=ids or group.session_ids,
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


def _telehealth_checks(groups: Sequence[Group], first_of: Mapping[UUID, Session]
                       ) -> list[DayCheck]:
    """Medicare's telehealth rules on each Medicare group's billed lines, where the group was
    furnished (other payers have their own rules: their lines carry 95/93 unchecked)."""
    checks = []
    for group in groups:
        first = first_of[group.session_ids[0]]
        if not first.payer.medicare:
            continue
        for finding in telehealth_findings((line.code for line in group.lines), group.place,
                                           first.date_of_service):
            checks.append(DayCheck(kind=CheckKind(finding.check), session_ids=group.session_ids,
                                   message=f"{group.patient}: {finding.message}",
                                   source=finding.source))
    return checks
