"""Claim modifiers and thresholds (billing-spec sections 7 and 12): GP/GO/GN, CQ/CO, 95/93, KX and
review.

Modifiers come from the discipline of the plan of care, from who furnished the minutes and from
how the session reached the patient (telehealth), never from the code itself. CQ/CO is decided
unit by unit (CMS's "Billing Examples Using CQ/CO Modifiers", Pub. 100-04 ch.5 §20.1, CY2022
rule), and because Medicare pays a whole line with CQ/CO at 85%, the units of one code with and
without it are separate lines.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from importlib.resources import files
from typing import Any, ClassVar, Protocol

from core.billing.explain import OFF_MEDICARE_CLAIMS
from core.billing.units import BillingLine, BillingResult
from core.catalog import STRICT, Catalog, default_catalog
from core.kinds import Discipline, MedicareStatus
from core.place import OFFICE_VISIT, Place
from core.text import plural

DISCIPLINE_MODIFIER = {Discipline.PT: "GP", Discipline.OT: "GO", Discipline.SLP: "GN"}
ASSISTANT_MODIFIER = {Discipline.PT: "CQ", Discipline.OT: "CO"}
"""Physical / occupational therapy assistants; Medicare has no SLP-assistant modifier."""

DE_MINIMIS_PERCENT = 10
_THRESHOLDS = json.loads(files("core").joinpath("data/thresholds.json").read_text(
    encoding="utf-8"))
KX_THRESHOLDS = {int(year): Decimal(amount) for year, amount in _THRESHOLDS["kx"].items()}
"""The KX threshold of each calendar year that `core/data/thresholds.json` knows."""
REVIEW_THRESHOLD = Decimal(_THRESHOLDS["review"])
NEAR_THRESHOLD_SHARE = Decimal("0.9")


@dataclass(frozen=True)
class ClaimLine:
    """A billable line: one code with one set of modifiers. `assistant` lines carry CQ/CO
    (Medicare pays them at 85%); `place` is where it was furnished (its fee rate, its
    telehealth modifier)."""

    code: str
    minutes: int | None
    units: int
    modifiers: tuple[str, ...]
    assistant: bool = False
    why: str = ""
    """How the units were shared between therapist and assistant (empty when not shared)."""
    place: Place = OFFICE_VISIT
    __pydantic_config__: ClassVar[dict[str, Any]] = STRICT


@dataclass(frozen=True)
class Shares:
    """A line's units as furnished: by the therapist, by the assistant, and why."""

    therapist: int
    assistant: int
    why: str


def assistant_shares(line: BillingLine, unit_length: int) -> Shares:
    """Which of a timed line's units carry CQ/CO.

    The CMS rule, as our engine applies it: each provider's full blocks of `unit_length`
    minutes furnished alone are that provider's units; each remaining unit goes to whoever
    furnished more of the remaining minutes, a tie to the assistant (more than 10% of the unit
    is the assistant's: the de minimis standard). With two units left, each provider gets one.
    """
    minutes, units = line.minutes or 0, line.units
    by_assistant = min(line.assistant_minutes, minutes)
    by_therapist = minutes - by_assistant
    if not units or not by_assistant:
        return Shares(units, 0, "")
    if not by_therapist:
        return Shares(0, units, f"all {minutes} min by the assistant")
    assistant = min(by_assistant // unit_length, units)
    therapist = min(by_therapist // unit_length, units - assistant)
    left_assistant = by_assistant - assistant * unit_length
    left_therapist = by_therapist - therapist * unit_length
    why = [f"therapist {by_therapist} min, assistant {by_assistant} min",
           f"full {unit_length}-minute blocks: therapist {therapist}, assistant {assistant}"]
    for _ in range(units - assistant - therapist):
        if left_assistant > 0 and left_assistant >= left_therapist:
            assistant += 1
            why.append(f"a remaining unit to the assistant ({left_assistant} min against "
                       f"{left_therapist}{', a tie' if left_assistant == left_therapist else ''})")
            left_assistant -= unit_length
        else:
            therapist += 1
            why.append(f"a remaining unit to the therapist ({max(left_therapist, 0)} min "
                       f"against {max(left_assistant, 0)})")
            left_therapist -= unit_length
    return Shares(therapist, assistant, "; ".join(why))


def untimed_shares(line: BillingLine) -> Shares:
    """An untimed service carries CQ/CO when the assistant furnished more than 10% of it."""
    minutes = line.minutes or 0
    if line.assistant_minutes and line.assistant_minutes * 100 > DE_MINIMIS_PERCENT * minutes:
        return Shares(0, line.units, f"the assistant furnished {line.assistant_minutes} of "
                                     f"{minutes} min, more than 10%")
    return Shares(line.units, 0, "")


def not_billed(result: BillingResult, medicare: bool, catalog: Catalog | None = None
               ) -> dict[str, str]:
    """Recorded codes that make no claim line although they have units or minutes, each with
    why in a few words: a code Medicare never pays separately (status B or I), an evaluation
    furnished by an assistant (never billed, with or without CQ/CO), a code no longer
    defined. Every screen and report names them so, never as "x1"."""
    catalog = catalog or default_catalog()
    found = {}
    for line in result.lines:
        entry = catalog.find(line.code)
        if entry is None:
            if line.minutes and not line.units:  # units stored at a close are billed
                found[line.code] = "not defined"
        elif not line.units:
            continue
        elif entry.evaluation and line.assistant_minutes:
            found[line.code] = "an assistant's evaluation"
        elif medicare and entry.medicare_status in OFF_MEDICARE_CLAIMS:
            found[line.code] = STATUS_SHORT[entry.medicare_status]
    return found


STATUS_SHORT = {MedicareStatus.B: "bundled",
                MedicareStatus.I: "not valid for Medicare"}


def claim_lines(result: BillingResult, discipline: Discipline, medicare: bool,
                catalog: Catalog | None = None, place: Place = OFFICE_VISIT) -> list[ClaimLine]:
    """The lines with units, each with the discipline modifier; for Medicare, the units with
    CQ/CO on their own line; after them 95 (93 audio only) on every line of a telehealth
    session, whatever the payer. No line for what `not_billed` names (named in a check)."""
    catalog = catalog or default_catalog()
    skipped = not_billed(result, medicare, catalog)
    lines = []
    for line in result.lines:
        entry = catalog.find(line.code)
        if line.units == 0 or line.code in skipped:
            continue
        modifier = DISCIPLINE_MODIFIER[discipline]
        shares = Shares(line.units, 0, "")
        if medicare and discipline in ASSISTANT_MODIFIER:
            shares = (assistant_shares(line, entry.unit_minutes if entry else 15)
                      if line.timed else untimed_shares(line))
        by_assistant = line.assistant_minutes if shares.therapist else line.minutes
        if shares.therapist:
            minutes = line.minutes if not shares.assistant else \
                (line.minutes or 0) - line.assistant_minutes
            lines.append(ClaimLine(code=line.code, minutes=minutes, units=shares.therapist,
                                   modifiers=(modifier, *place.modifiers), why=shares.why,
                                   place=place))
        if shares.assistant:
            lines.append(ClaimLine(code=line.code, minutes=by_assistant, units=shares.assistant,
                                   modifiers=(modifier, ASSISTANT_MODIFIER[discipline],
                                              *place.modifiers),
                                   assistant=True, why=shares.why, place=place))
    return lines


def discipline_warnings(result: BillingResult, discipline: Discipline,
                        catalog: Catalog | None = None) -> list[str]:
    """Billed codes of another discipline than the plan of care's (97164, the PT
    re-evaluation, under an OT plan would go out as 97164-GO)."""
    catalog = catalog or default_catalog()
    found = []
    for line in result.lines:
        entry = catalog.find(line.code)
        if line.units and entry is not None and discipline not in entry.disciplines:
            usual = "/".join(d.value for d in entry.disciplines)
            found.append(f"{line.code} is a {usual} code, billed here under the {discipline} plan "
                         f"of care ({DISCIPLINE_MODIFIER[discipline]}): check the code or the "
                         "session's discipline")
    return found


class Billed(Protocol):
    """A claim line as any report holds it (ClaimLine, core.billing.day.ClaimRow)."""

    @property
    def code(self) -> str: ...
    @property
    def modifiers(self) -> tuple[str, ...]: ...
    @property
    def units(self) -> int: ...


def describe(line: Billed) -> str:
    """`97110-GP-CQ x1`."""
    return f"{'-'.join((line.code, *line.modifiers))} x{line.units}"


def units_words(units: int, timed: int) -> str:
    """All billed units and the timed ones among them, the same words on every screen:
    `13 units (8 timed)`."""
    return f"{plural(units, 'unit')} ({timed} timed)"


def billed_text(lines: Sequence[Billed], skipped: Mapping[str, str]) -> str:
    """The one way units are said everywhere: `97110-GP x2, 97150-GP x1; 97010 not billed
    (bundled)`."""
    billed = ", ".join(describe(line) for line in lines) or "no billable line"
    unbilled = "; ".join(f"{code} not billed ({why})" for code, why in skipped.items())
    return f"{billed}; {unbilled}" if unbilled else billed


class TherapyBucket(StrEnum):
    """Medicare counts the KX threshold for PT and SLP together, OT on its own."""

    PT_SLP = "PT+SLP"
    OT = "OT"


def therapy_bucket(discipline: Discipline) -> TherapyBucket:
    return TherapyBucket.OT if discipline is Discipline.OT else TherapyBucket.PT_SLP


@dataclass(frozen=True)
class ThresholdStatus:
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
