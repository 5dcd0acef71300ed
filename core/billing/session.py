"""Everything the close screen shows for one session: units, modifiers, estimate, choices, checks.

Composes the units engine, modifiers and fees so that the screen, the chart note and the day
summary all say the same thing about a session.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from core.billing.edits import code_findings, overlap_findings, units_by_code
from core.billing.fees import FeeEstimate, estimate_fees, known_fee_year
from core.billing.minutes import code_minutes
from core.billing.modifiers import ClaimLine, claim_lines, discipline_warnings
from core.billing.units import BillingResult, compute_units
from core.catalog import Catalog
from core.models import Frozen, Method, Segment
from core.session import Session


class SessionReview(Frozen):
    billing: BillingResult
    claim: tuple[ClaimLine, ...]
    fees: FeeEstimate | None
    choices: tuple[dict[str, int], ...]
    """Every acceptable allocation of timed units, the chosen one first (empty without a tie)."""
    warnings: tuple[str, ...]
    running: tuple[str, ...]


def forgotten_timers(segments: Sequence[Segment], now: datetime, minutes: int) -> list[Segment]:
    """Running segments older than `minutes` (billing-spec section 9: a forgotten timer)."""
    limit = timedelta(minutes=minutes)
    return [s for s in segments if s.running and s.duration(now) > limit]


def fee_year(session: Session, catalog: Catalog) -> int:
    """The payer's fee year, else the year of service; the newest known year if it has no data."""
    return known_fee_year(session.payer.fee_year or session.date_of_service.year, catalog)


def prefer_for(choice: dict[str, int], billing: BillingResult, catalog: Catalog
               ) -> list[str]:
    """The codes to prefer in a tie so that `compute_units` gives `choice` (a family counts
    as its first code: the units of both its codes)."""
    preferred = []
    for code in billing.tie_codes:
        entry = catalog.find(code)
        units = choice.get(code, 0)
        if entry is not None and entry.add_on:
            units += choice.get(entry.add_on, 0)
        if units > billing.line(code).full_units:
            preferred.append(code)
    return preferred


def review_session(
    session: Session,
    segments: Sequence[Segment],
    now: datetime,
    catalog: Catalog,
    *,
    prefer: Sequence[str] = (),
    forgotten_minutes: int = 60,
) -> SessionReview:
    payer = session.payer
    billing = compute_units(code_minutes(segments, now), payer.method, catalog, prefer,
                            medicare=payer.medicare)
    claim = claim_lines(billing, session.discipline, payer.medicare, catalog)
    warnings = [*billing.warnings, *discipline_warnings(billing, session.discipline, catalog)]
    fees = None
    if claim:
        year = fee_year(session, catalog)
        wanted = session.payer.fee_year or session.date_of_service.year
        if year != wanted:
            warnings.append(f"fee estimate uses {year} rates: no {wanted} fee data shipped")
        fees = estimate_fees(claim, year, medicare=session.payer.medicare,
                             fee_table=session.payer.fee_table, catalog=catalog)
        warnings.extend(fees.warnings)
    for segment in forgotten_timers(segments, now, forgotten_minutes):
        minutes = int(segment.duration(now).total_seconds()) // 60
        warnings.append(f"{segment.code} has been running {minutes} min: a forgotten timer?")
    if payer.medicare or payer.method is Method.CMS:
        units = units_by_code((line.code, line.units) for line in claim)
        warnings += [f.message for f in code_findings(units, session.date_of_service,
                                                      limits=payer.medicare)]
        spans = [(s.code, s.start, s.end) for s in segments if s.end is not None]
        warnings += [f.message for f, _, _ in overlap_findings(spans, session.date_of_service)]
    choices: tuple[dict[str, int], ...] = ()
    if billing.tie:
        chosen = {line.code: line.units for line in billing.lines if line.timed}
        choices = (chosen, *billing.tie_alternatives)
    return SessionReview(
        billing=billing,
        claim=tuple(claim),
        fees=fees,
        choices=choices,
        warnings=tuple(warnings),
        running=tuple(s.code for s in segments if s.running),
    )
