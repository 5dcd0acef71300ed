"""Fee estimates (billing-spec section 6): RVU x conversion factor, with Medicare's
multiple-procedure reduction and the 85% assistant rate, or a payer's own fee table.

Estimates only: national, non-facility, before coinsurance and geographic adjustment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from core.catalog import Catalog, Rvu, default_catalog
from core.models import Frozen, MedicareStatus
from core.modifiers import ClaimLine

CENT = Decimal("0.01")
ASSISTANT_RATE = Decimal("0.85")
HALF = Decimal("0.5")


class LineFee(Frozen):
    code: str
    units: int
    amount: Decimal | None
    why: str


class FeeEstimate(Frozen):
    year: int
    lines: tuple[LineFee, ...]
    total: Decimal
    source: str
    warnings: tuple[str, ...] = ()


def unit_price(rvu: Rvu, conversion_factor: Decimal) -> Decimal:
    """One unit at the full fee schedule amount, to the cent (97530 in 2025: $34.61)."""
    return (rvu.total * conversion_factor).quantize(CENT, ROUND_HALF_UP)


def estimate_fees(
    lines: Sequence[ClaimLine],
    year: int,
    *,
    medicare: bool = True,
    fee_table: Mapping[str, Decimal] | None = None,
    catalog: Catalog | None = None,
) -> FeeEstimate:
    """Estimate what `lines` pay. A payer fee table, when given, replaces the Medicare maths."""
    if fee_table:
        return _from_fee_table(lines, year, fee_table)
    catalog = catalog or default_catalog()
    try:
        factor = catalog.conversion_factors[year]
    except KeyError:
        known = ", ".join(str(y) for y in sorted(catalog.conversion_factors))
        raise ValueError(f"no conversion factor for fee year {year} (known: {known})") from None

    warnings: list[str] = []
    payable: dict[str, Rvu] = {}
    reasons: dict[str, str] = {}
    for line in lines:
        entry = catalog.find(line.code)
        rvu = None if entry is None else entry.rvus.get(year)
        if entry is None:
            warnings.append(f"{line.code} is not defined in the catalog or the settings: "
                            "no estimate")
        elif medicare and entry.medicare_status is MedicareStatus.B:
            reasons[line.code] = "bundled by Medicare: $0"
        elif medicare and entry.medicare_status is MedicareStatus.I:
            reasons[line.code] = "not payable by Medicare: $0"
        elif rvu is None:
            warnings.append(f"no {year} RVUs for {line.code}: no estimate (load a payer fee table)")
        else:
            payable[line.code] = rvu

    full_price_code = _highest_pe_code(lines, payable) if medicare else None
    fees = []
    for line in lines:
        if line.code not in payable:
            zero = line.code in reasons
            fees.append(
                LineFee(
                    code=line.code,
                    units=line.units,
                    amount=Decimal(0) if zero else None,
                    why=reasons.get(line.code, "no fee data"),
                )
            )
            continue
        fees.append(_medicare_line(line, payable[line.code], factor, full_price_code, medicare))

    source = f"Medicare physician fee schedule {year}, conversion factor {factor}"
    if not medicare:
        source += " (Medicare rates as a reference: this payer has no fee table)"
    total = sum((fee.amount for fee in fees if fee.amount is not None), Decimal(0))
    return FeeEstimate(year=year, lines=tuple(fees), total=total, source=source,
                       warnings=tuple(warnings))


def _highest_pe_code(lines: Sequence[ClaimLine], payable: Mapping[str, Rvu]) -> str | None:
    """The code whose one unit is paid in full when the day has several units (MPPR)."""
    units = sum(line.units for line in lines if line.code in payable)
    if units <= 1:
        return None
    candidates = [line.code for line in lines if line.code in payable]
    return max(candidates, key=lambda code: payable[code].pe)


def _medicare_line(
    line: ClaimLine, rvu: Rvu, factor: Decimal, full_price_code: str | None, medicare: bool
) -> LineFee:
    reduced = Rvu(work=rvu.work, pe=rvu.pe * HALF, mp=rvu.mp,
                  total=rvu.work + rvu.pe * HALF + rvu.mp)
    amount = Decimal(0)
    notes = []
    for index in range(line.units):
        full = full_price_code is None or (line.code == full_price_code and index == 0)
        price = (rvu if full else reduced).total * factor
        # The therapist's minutes fill the first units, so the assistant's units are the last.
        if medicare and index >= line.units - line.assistant_units:
            price *= ASSISTANT_RATE
        amount += price
    if full_price_code is not None:
        notes.append(
            "first unit in full (highest practice expense), others with half practice expense"
            if line.code == full_price_code
            else "every unit with half practice expense (multiple-procedure reduction)"
        )
    if medicare and line.assistant_units:
        notes.append(f"{line.assistant_units} unit(s) at 85% (assistant)")
    why = f"{line.units} x {rvu.total} RVU x {factor}"
    if notes:
        why += "; " + "; ".join(notes)
    return LineFee(code=line.code, units=line.units,
                   amount=amount.quantize(CENT, ROUND_HALF_UP), why=why)


def _from_fee_table(
    lines: Sequence[ClaimLine], year: int, fee_table: Mapping[str, Decimal]
) -> FeeEstimate:
    fees = []
    warnings = []
    for line in lines:
        price = fee_table.get(line.code)
        if price is None:
            warnings.append(f"{line.code} is not in the payer's fee table: no estimate")
            fees.append(LineFee(code=line.code, units=line.units, amount=None, why="no fee data"))
            continue
        amount = (price * line.units).quantize(CENT, ROUND_HALF_UP)
        fees.append(LineFee(code=line.code, units=line.units, amount=amount,
                            why=f"{line.units} x ${price} (payer fee table)"))
    total = sum((fee.amount for fee in fees if fee.amount is not None), Decimal(0))
    return FeeEstimate(year=year, lines=tuple(fees), total=total, source="payer fee table",
                       warnings=tuple(warnings))
