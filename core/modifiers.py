"""Claim modifiers and thresholds (billing-spec section 7): GP/GO/GN, CQ/CO, KX and review.

Modifiers come from the discipline of the plan of care and from who furnished the minutes,
never from the code itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum

from core.models import Discipline, Frozen
from core.units import UNIT_MINUTES, BillingLine, BillingResult

DISCIPLINE_MODIFIER = {Discipline.PT: "GP", Discipline.OT: "GO", Discipline.SLP: "GN"}
ASSISTANT_MODIFIER = {Discipline.PT: "CQ", Discipline.OT: "CO"}
"""Physical / occupational therapy assistants; Medicare has no SLP-assistant modifier."""

DE_MINIMIS_PERCENT = 10
KX_THRESHOLDS = {2023: Decimal(2230), 2024: Decimal(2330), 2025: Decimal(2410), 2026: Decimal(2480)}
REVIEW_THRESHOLD = Decimal(3000)
NEAR_THRESHOLD_SHARE = Decimal("0.9")


class ClaimLine(Frozen):
    """A billable line: code, units and modifiers; `assistant_units` of them carry CQ/CO."""

    code: str
    minutes: int | None
    units: int
    modifiers: tuple[str, ...]
    assistant_units: int = 0


def unit_minutes(minutes: int, units: int) -> list[int]:
    """Split a line's minutes into its units: full 15-minute blocks, the rest on the last unit."""
    if units <= 0:
        return []
    blocks = [UNIT_MINUTES] * (units - 1)
    return [*blocks, max(minutes - sum(blocks), 0)]


def assistant_units(line: BillingLine) -> int:
    """Units in which the assistant furnished more than 10% of the minutes (de minimis rule).

    Our policy for splitting a code's minutes into units: the therapist's minutes fill the
    units first, the assistant's follow, so a unit is marked only when the assistant's share
    of that very unit passes 10%.
    """
    if not line.assistant_minutes or not line.units:
        return 0
    therapist_left = (line.minutes or 0) - line.assistant_minutes
    marked = 0
    for block in unit_minutes(line.minutes or 0, line.units):
        by_therapist = min(block, therapist_left)
        therapist_left -= by_therapist
        if (block - by_therapist) * 100 > DE_MINIMIS_PERCENT * block:
            marked += 1
    return marked


def claim_lines(result: BillingResult, discipline: Discipline, medicare: bool) -> list[ClaimLine]:
    """The lines with units, with the discipline modifier and, for Medicare, CQ/CO."""
    lines = []
    for line in result.lines:
        if line.units == 0:
            continue
        marked = assistant_units(line) if medicare and discipline in ASSISTANT_MODIFIER else 0
        modifiers = [DISCIPLINE_MODIFIER[discipline]]
        if marked:
            modifiers.append(ASSISTANT_MODIFIER[discipline])
        lines.append(
            ClaimLine(
                code=line.code,
                minutes=line.minutes,
                units=line.units,
                modifiers=tuple(modifiers),
                assistant_units=marked,
            )
        )
    return lines


class TherapyBucket(StrEnum):
    """Medicare counts the KX threshold for PT and SLP together, OT on its own."""

    PT_SLP = "PT+SLP"
    OT = "OT"


def therapy_bucket(discipline: Discipline) -> TherapyBucket:
    return TherapyBucket.OT if discipline is Discipline.OT else TherapyBucket.PT_SLP


class ThresholdStatus(Frozen):
    """Where a patient's calendar-year amount stands against the KX and review thresholds."""

    year: int
    threshold: Decimal
    year_to_date: Decimal
    kx: bool
    near: bool
    review: bool
    messages: tuple[str, ...]


def kx_threshold(year: int) -> Decimal:
    try:
        return KX_THRESHOLDS[year]
    except KeyError:
        known = ", ".join(str(y) for y in sorted(KX_THRESHOLDS))
        raise ValueError(f"no KX threshold known for {year} (known: {known})") from None


def threshold_status(
    year: int, bucket: TherapyBucket, before: Decimal, amounts: Sequence[Decimal] = ()
) -> ThresholdStatus:
    """Status after adding `amounts` to the year-to-date `before`.

    The line that passes the threshold carries KX, and so does every later one.
    """
    threshold = kx_threshold(year)
    total = before + sum(amounts, Decimal(0))
    kx = total > threshold
    near = not kx and total >= threshold * NEAR_THRESHOLD_SHARE
    review = total >= REVIEW_THRESHOLD
    messages = []
    if kx:
        messages.append(
            f"{bucket} {year}: ${total:.2f} passes the ${threshold} KX threshold: add KX and "
            "document medical necessity"
        )
    elif near:
        messages.append(
            f"{bucket} {year}: ${total:.2f} is within 10% of the ${threshold} KX threshold"
        )
    if review:
        messages.append(
            f"{bucket} {year}: ${total:.2f} reaches the ${REVIEW_THRESHOLD} "
            "targeted medical review threshold"
        )
    return ThresholdStatus(
        year=year,
        threshold=threshold,
        year_to_date=total,
        kx=kx,
        near=near,
        review=review,
        messages=tuple(messages),
    )
