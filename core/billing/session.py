"""One session billed, in one place: minutes per code and the payer's terms in; units, claim
lines, what is not billed, the fee estimate, the edits it runs into, the warnings and the other
acceptable tie choices out. The close screen, the chart note, `tabletime units`, import, the
close itself and the day's pooled groups all bill through `bill_session`, so they say the same
thing about a session.

Plain dataclasses, no pydantic: `tabletime units` runs without it. What costs more than the
units (claim lines, fees, edits) is computed when first asked for: an import or a close that
stores the units only pays for the units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from core.billing.edits import (
    Finding,
    Span,
    code_findings,
    overlap_findings,
    telehealth_findings,
    units_by_code,
)
from core.billing.fees import FeeEstimate, estimate_fees, known_fee_year
from core.billing.methods import compute_units
from core.billing.modifiers import ClaimLine, claim_lines, discipline_warnings, not_billed
from core.billing.units import BillingResult, CodeMinutes
from core.catalog import Catalog
from core.kinds import Discipline, Method
from core.place import OFFICE_VISIT, Place


@dataclass(frozen=True)
class Terms:
    """What a payer profile decides about billing: the method, whether Medicare's rules
    apply, its own fee table and a pinned fee year (None: the year of service)."""

    method: Method
    medicare: bool
    fee_table: Mapping[str, Decimal] = field(default_factory=dict)
    fee_year: int | None = None


@dataclass(frozen=True)
class SessionBill:
    """A session billed. `billing` is computed; the rest when first read."""

    billing: BillingResult
    terms: Terms
    discipline: Discipline
    day: date
    catalog: Catalog
    spans: tuple[Span, ...] = ()
    """The stopped segments (code, start, end), for the evaluation-overlap edit."""
    running: tuple[str, ...] = ()
    """Codes still running (a live bill)."""
    notes: tuple[str, ...] = ()
    """Warnings about the recording itself (a forgotten timer), after the billing's own."""
    place: Place = OFFICE_VISIT
    """Where and how it was furnished: telehealth modifiers, facility or non-facility fees."""

    @cached_property
    def claim(self) -> tuple[ClaimLine, ...]:
        return tuple(claim_lines(self.billing, self.discipline, self.terms.medicare,
                                 self.catalog, self.place))

    @cached_property
    def not_billed(self) -> dict[str, str]:
        return not_billed(self.billing, self.terms.medicare, self.catalog)

    @property
    def fee_year(self) -> int:
        """The payer's fee year, else the year of service; the newest shipped if no data."""
        return known_fee_year(self.terms.fee_year or self.day.year, self.catalog)

    @cached_property
    def fees(self) -> FeeEstimate | None:
        if not self.claim:
            return None
        return estimate_fees(self.claim, self.fee_year, medicare=self.terms.medicare,
                             fee_table=self.terms.fee_table, catalog=self.catalog)

    @cached_property
    def findings(self) -> tuple[Finding, ...]:
        """NCCI edits and (Medicare) unit limits of the billed units, and evaluations whose
        time overlaps other treatment: for Medicare and payers billed the Medicare way; then
        Medicare's telehealth rules (other payers have their own)."""
        found: list[Finding] = []
        units = units_by_code((line.code, line.units) for line in self.claim)
        if self.terms.medicare or self.terms.method is Method.CMS:
            found += code_findings(units, self.day, limits=self.terms.medicare)
            found += [finding for finding, _, _ in overlap_findings(self.spans, self.day)]
        if self.terms.medicare:
            found += telehealth_findings(units, self.place, self.day)
        return tuple(found)

    @cached_property
    def warnings(self) -> tuple[str, ...]:
        found = [*self.billing.warnings,
                 *discipline_warnings(self.billing, self.discipline, self.catalog)]
        if self.fees is not None:
            found += self.fees.warnings
            wanted = self.terms.fee_year or self.day.year
            if self.fees.year != wanted:
                found.append(f"fee estimate uses {self.fees.year} rates: no {wanted} fee data "
                             "shipped")
        found += [f"{finding.message} [{finding.source}]" for finding in self.findings]
        return (*found, *self.notes)

    @property
    def choices(self) -> tuple[dict[str, int], ...]:
        """Every acceptable allocation of timed units, the chosen one first (none without a
        tie)."""
        if not self.billing.tie:
            return ()
        chosen = {line.code: line.units for line in self.billing.lines if line.timed}
        return (chosen, *self.billing.tie_alternatives)


def bill_session(items: Sequence[CodeMinutes], terms: Terms, discipline: Discipline,
                 day: date, catalog: Catalog, *, prefer: Sequence[str] = (),
                 spans: Sequence[Span] = (), running: Sequence[str] = (),
                 notes: Sequence[str] = (), place: Place = OFFICE_VISIT) -> SessionBill:
    """Bill minutes per code (in the order the codes started) under `terms`; `prefer` is
    the therapist's pick among tied codes, in order (the first pick first)."""
    billing = compute_units(items, terms.method, catalog, prefer, medicare=terms.medicare)
    return SessionBill(billing, terms, discipline, day, catalog, tuple(spans), tuple(running),
                       tuple(notes), place)


def tie_picks(billing: BillingResult) -> tuple[str, ...]:
    """The tied codes that took a unit in a billed result: the pick a closed session keeps
    (the therapist's, or the policy's that the therapist accepted at the close)."""
    return tuple(line.code for line in billing.lines
                 if line.code in billing.tie_codes and line.units > line.full_units)


def prefer_for(choice: dict[str, int], billing: BillingResult, catalog: Catalog
               ) -> list[str]:
    """The codes to prefer in a tie so that billing gives `choice` (a family counts as its
    first code: the units of both its codes)."""
    preferred = []
    for code in billing.tie_codes:
        entry = catalog.find(code)
        units = choice.get(code, 0)
        if entry is not None and entry.add_on:
            units += choice.get(entry.add_on, 0)
        if units > billing.line(code).full_units:
            preferred.append(code)
    return preferred
