"""Fee estimates (billing-spec section 6): RVU parts x conversion factor, with Medicare's
multiple-procedure reduction and the 85% assistant rate, or a payer's own fee table.

Estimates only: national, before coinsurance and geographic adjustment. A line furnished at a
place Medicare pays at the facility rate (POS 02, 19, 22 ...: core.place) is priced with the
PPRRVU facility practice expense, every other one with the non-facility one, in the
multiple-procedure reduction too; a line away from the office says which rate. Each
line has two amounts: the fee-schedule *allowed* amount (after the multiple-procedure
reduction, before the assistant reduction: what the KX threshold counts) and the estimated
*payment* (85% of it on a CQ/CO line).

The multiple-procedure reduction (Pub. 100-04 ch.5 §10.7) covers every therapy service a
patient gets on one date, whatever the discipline, so the caller hands over all of a patient's
Medicare lines of the date at once. Only codes PPRRVU marks with indicator 5 take part: of
their units, the one with the highest practice expense is paid in full, every other one with
half its practice expense.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.billing.explain import STATUS_WORDS
from core.billing.modifiers import ClaimLine
from core.catalog import Catalog, Rvu, default_catalog
from core.kinds import MedicareStatus
from core.place import OFFICE_VISIT, Place

CENT = Decimal("0.01")
ASSISTANT_RATE = Decimal("0.85")
HALF = Decimal("0.5")
NOT_PAID = frozenset({MedicareStatus.B, MedicareStatus.I, MedicareStatus.N, MedicareStatus.X,
                      MedicareStatus.E})
"""Statuses Medicare pays nothing for under the fee schedule (STATUS_WORDS says why)."""


@dataclass(frozen=True)
class LineFee:
    line: ClaimLine
    allowed: Decimal | None
    amount: Decimal | None
    """The estimated payment: the allowed amount, at 85% on a CQ/CO line."""
    why: str
    charge: Decimal | None = None
    """What the practice charges for the line: every unit at the payer's fee table amount, else
    at the fee schedule's full unit price at the place's rate (never the multiple-procedure
    reduction or the 85%: those are the payer's to apply to a charge)."""


@dataclass(frozen=True)
class FeeEstimate:
    year: int
    lines: tuple[LineFee, ...]
    total: Decimal
    allowed: Decimal
    source: str
    warnings: tuple[str, ...] = ()


def known_fee_year(wanted: int, catalog: Catalog) -> int:
    """`wanted` when its fee data ship, else the newest earlier year (else the first known)."""
    known = sorted(catalog.conversion_factors)
    if wanted in known or not known:
        return wanted
    earlier = [year for year in known if year <= wanted]
    return earlier[-1] if earlier else known[0]


def round_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, ROUND_HALF_UP)


def unit_price(rvu: Rvu, conversion_factor: Decimal) -> Decimal:
    """One unit at the full fee schedule amount, to the cent (97530 in 2025: $34.61)."""
    return round_cents(rvu.total * conversion_factor)


def reduced_total(rvu: Rvu) -> Decimal:
    """The RVUs of a unit under the multiple-procedure reduction: half the practice expense."""
    return rvu.work + rvu.pe * HALF + rvu.mp


def estimate_fees(
    lines: Sequence[ClaimLine],
    year: int,
    *,
    medicare: bool = True,
    fee_table: Mapping[str, Decimal] | None = None,
    catalog: Catalog | None = None,
) -> FeeEstimate:
    """Estimate what `lines` pay. A payer fee table, when given, replaces the Medicare maths;
    a payer that is not Medicare and has none is shown Medicare's full rates for reference."""
    if fee_table:
        return _from_fee_table(lines, year, fee_table, medicare)
    catalog = catalog or default_catalog()
    try:
        factor = catalog.conversion_factors[year]
    except KeyError:
        known = ", ".join(str(y) for y in sorted(catalog.conversion_factors))
        raise ValueError(f"no conversion factor for fee year {year} (known: {known})") from None

    warnings: list[str] = []
    payable: dict[int, Rvu] = {}
    reasons: dict[int, str] = {}
    for index, line in enumerate(lines):
        entry = catalog.find(line.code)
        rvu = None if entry is None or year not in entry.rvus else (
            entry.rvus[year].at(line.place.facility))
        if entry is None:
            warnings.append(f"{line.code} is not defined in the catalog or the settings: "
                            "no estimate")
            reasons[index] = "no fee data"
        elif medicare and entry.medicare_status in NOT_PAID:
            reasons[index] = f"not paid: {entry.code} {STATUS_WORDS[entry.medicare_status]}"
        elif rvu is None:
            warnings.append(f"no {year} RVUs for {line.code}: no estimate (load a payer fee table)")
            reasons[index] = "no fee data"
        else:
            payable[index] = rvu

    full_price = _full_price_line(lines, payable) if medicare else None
    fees = []
    for index, line in enumerate(lines):
        if index in payable:
            fees.append(_priced(line, payable[index], factor, medicare, full_price, index))
        else:
            fees.append(LineFee(line=line, allowed=None, amount=None, why=reasons[index]))

    source = f"Medicare physician fee schedule {year}, conversion factor {factor}"
    places = {line.place for line in lines} - {OFFICE_VISIT}
    if places:
        source += "; " + ", ".join(sorted({rate_words(place) for place in places}))
    if not medicare:
        source += " (Medicare rates as a reference: this payer has no fee table)"
    return FeeEstimate(year=year, lines=tuple(fees), total=_sum(f.amount for f in fees),
                       allowed=_sum(f.allowed for f in fees), source=source,
                       warnings=tuple(warnings))


def rate_words(place: Place) -> str:
    """`facility rate, POS 02`: which of the fee schedule's two rates a place is paid at."""
    return f"{'facility' if place.facility else 'non-facility'} rate, POS {place.pos}"


def _sum(amounts: object) -> Decimal:
    return sum((a for a in amounts if a is not None), Decimal(0))  # type: ignore[attr-defined]


def _full_price_line(lines: Sequence[ClaimLine], payable: Mapping[int, Rvu]) -> int | None:
    """The line whose first unit is paid in full when the patient's date has several units
    that Medicare reduces together; None when it has at most one. Of equal practice expense,
    the therapist's line before the assistant's (it pays more), then the first listed."""
    reduced = [index for index, rvu in payable.items() if rvu.reduced]
    if sum(lines[index].units for index in reduced) <= 1:
        return None
    return max(reduced, key=lambda i: (payable[i].pe, not lines[i].assistant, -i))


def _priced(line: ClaimLine, rvu: Rvu, factor: Decimal, medicare: bool,
            full_price: int | None, index: int) -> LineFee:
    """A line's units at the fee schedule's amounts, each to the cent as CMS publishes them:
    the full one, and the one with half its practice expense."""
    reduced_units = 0
    if full_price is not None and rvu.reduced:
        reduced_units = line.units - 1 if index == full_price else line.units
    whole = line.units - reduced_units
    allowed = (unit_price(rvu, factor) * whole
               + round_cents(reduced_total(rvu) * factor) * reduced_units)
    parts = [f"{whole} x {rvu.total} RVU"] if whole else []
    if reduced_units:
        parts.append(f"{reduced_units} x {reduced_total(rvu)} RVU (half practice expense: "
                     "multiple-procedure reduction)")
    why = f"{' + '.join(parts)} x {factor}"
    if line.place != OFFICE_VISIT:
        why += f" ({rate_words(line.place)})"
    if reduced_units and whole:
        why += "; the first unit in full (highest practice expense of the date)"
    amount = allowed
    if medicare and line.assistant:
        amount = round_cents(allowed * ASSISTANT_RATE)
        why += "; paid at 85% (assistant)"
    return LineFee(line=line, allowed=allowed, amount=amount, why=why,
                   charge=unit_price(rvu, factor) * line.units)


def _from_fee_table(
    lines: Sequence[ClaimLine], year: int, fee_table: Mapping[str, Decimal], medicare: bool
) -> FeeEstimate:
    """The payer's own amounts (no multiple-procedure reduction); a Medicare payer's CQ/CO
    line is still paid at 85%."""
    fees = []
    warnings = []
    for line in lines:
        price = fee_table.get(line.code)
        if price is None:
            warnings.append(f"{line.code} is not in the payer's fee table: no estimate")
            fees.append(LineFee(line=line, allowed=None, amount=None, why="no fee data"))
            continue
        allowed = round_cents(price * line.units)
        why = f"{line.units} x ${price} (payer fee table)"
        amount = allowed
        if medicare and line.assistant:
            amount = round_cents(allowed * ASSISTANT_RATE)
            why += "; paid at 85% (assistant)"
        fees.append(LineFee(line=line, allowed=allowed, amount=amount, why=why,
                            charge=allowed))
    return FeeEstimate(year=year, lines=tuple(fees), total=_sum(f.amount for f in fees),
                       allowed=_sum(f.allowed for f in fees), source="payer fee table",
                       warnings=tuple(warnings))
