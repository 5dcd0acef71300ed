"""Whole minutes per code -> billable units, under the Medicare total-time method or per code.

billing-spec sections 3 to 5 and 10. Pure functions: the same minutes always give the same
units, and every line says why in words an auditor can check against the rule.

Codes in 15-minute units are what Medicare's 8-minute rule pools. A family of a first code and
its add-on (97129 + 97130) is timed as one service and counted as one code, then split: the
first code takes the first unit, the add-on every further one. Codes in longer units (per hour,
a first 30 minutes or hour) are counted on their own by the CPT time rule: a unit once more than
half of it has passed. The values are frozen
dataclasses (checked where they can go wrong): a day's billing builds thousands of them, and
`tabletime units` runs without loading pydantic; a session stores its result through pydantic
all the same (STRICT: an unknown field in a stored result is refused).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import combinations
from typing import Any, ClassVar

from core.catalog import (
    STRICT,
    Catalog,
    CatalogEntry,
    CodeError,
    default_catalog,
    normalise_code,
)
from core.kinds import MedicareStatus, Method
from core.text import plural

UNIT_MINUTES = 15
MINUTES_IN_A_DAY = 24 * 60
MIN_BILLABLE_MINUTES = 8
ASSISTANT_EVALUATION = ("an assistant may not furnish evaluations, re-evaluations or "
                        "assessments (Pub. 100-02 ch.15 §230.1, §230.2)")
"""Why an evaluation furnished by an assistant is refused as input and never billed."""

@dataclass(frozen=True)
class CodeMinutes:
    """Whole minutes on one code in one session (or pooled day); order means 'started earlier'."""

    code: str
    minutes: int | None = None
    assistant_minutes: int = 0

    def __post_init__(self) -> None:
        if (self.minutes or 0) < 0 or self.assistant_minutes < 0:
            raise ValueError(f"{self.code}: minutes cannot be below 0")
        if self.assistant_minutes > (self.minutes or 0):
            raise ValueError(
                f"{self.code}: assistant minutes {self.assistant_minutes} exceed the code's "
                f"{self.minutes or 0} minutes"
            )


@dataclass(frozen=True)
class BillingLine:
    """One code's result: its minutes, its units and the reason for them."""

    code: str
    minutes: int | None
    units: int
    timed: bool
    why: str
    full_units: int = 0
    leftover_minutes: int = 0
    assistant_minutes: int = 0
    defined: bool = True
    """False for a recorded code that neither the catalog nor the settings define any more."""
    __pydantic_config__: ClassVar[dict[str, Any]] = STRICT


@dataclass(frozen=True)
class BillingResult:
    """Units for a session (or a pooled day) under one method, with every reason and warning."""

    method: Method
    total_timed_minutes: int
    total_treatment_minutes: int
    timed_units: int
    lines: tuple[BillingLine, ...]
    summary: str
    tie: bool = False
    tie_codes: tuple[str, ...] = ()
    tie_alternatives: tuple[dict[str, int], ...] = ()
    warnings: tuple[str, ...] = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = STRICT

    @property
    def units(self) -> dict[str, int]:
        return {line.code: line.units for line in self.lines}

    def line(self, code: str) -> BillingLine:
        return next(line for line in self.lines if line.code == normalise_code(code))


def units_for_minutes(minutes: int) -> int:
    """The 8-minute table: 0 under 8 minutes, else (minutes + 7) // 15."""
    return units_in(minutes, UNIT_MINUTES)


def minutes_to_next_unit(minutes: int) -> int:
    """How many more timed minutes until the table gives one more unit (for the live display)."""
    next_threshold = UNIT_MINUTES * units_for_minutes(minutes) + MIN_BILLABLE_MINUTES
    return next_threshold - minutes


def unit_range(units: int) -> tuple[int, int]:
    """The minutes that give exactly `units` units (1 -> 8-22, 2 -> 23-37...)."""
    return UNIT_MINUTES * units - 7, UNIT_MINUTES * units + 7


def _ordinal(number: int) -> str:
    suffixes = {1: "st", 2: "nd", 3: "rd"}
    suffix = "th" if 10 <= number % 100 <= 20 else suffixes.get(number % 10, "th")
    return f"{number}{suffix}"


def merge_by_code(items: Sequence[CodeMinutes], catalog: Catalog) -> list[CodeMinutes]:
    """One entry per code, in first-seen order: a code done in several episodes adds up.

    Raises CodeError for a timed code given without minutes. A code the catalog does not
    define is kept as it was recorded (see `compute_units`).
    """
    merged: dict[str, CodeMinutes] = {}
    for item in items:
        entry = catalog.find(item.code)
        code = entry.code if entry is not None else normalise_code(item.code)
        if entry is not None and entry.timed and item.minutes is None:
            raise CodeError(
                f"{entry.code} is a timed code: give its minutes as {entry.code}=MINUTES"
            )
        earlier = merged.get(code)
        if earlier is None:
            merged[code] = replace(item, code=code)
            continue
        minutes = None
        if earlier.minutes is not None or item.minutes is not None:
            minutes = (earlier.minutes or 0) + (item.minutes or 0)
        merged[code] = CodeMinutes(
            code=code,
            minutes=minutes,
            assistant_minutes=earlier.assistant_minutes + item.assistant_minutes,
        )
    return list(merged.values())


def check_codes(items: Sequence[CodeMinutes], catalog: Catalog) -> None:
    """CodeError for the first code a person may not enter: unknown or deleted (with what to
    use instead), timed without minutes, an evaluation furnished by an assistant, or more
    minutes than a day has (a code's, or all codes' together: one patient, one date)."""
    for item in items:
        if catalog.get(item.code).evaluation and item.assistant_minutes:
            raise CodeError(f"{normalise_code(item.code)} is an evaluation: "
                            f"{ASSISTANT_EVALUATION}")
    merged = merge_by_code(items, catalog)
    for item in merged:
        if (item.minutes or 0) > MINUTES_IN_A_DAY:
            raise CodeError(f"{item.code}: {item.minutes:,} minutes in all, more than the "
                            f"{MINUTES_IN_A_DAY:,} of a day")
    total = sum(item.minutes or 0 for item in merged)
    if total > MINUTES_IN_A_DAY:
        raise CodeError(f"{total:,} minutes in all ({', '.join(i.code for i in merged)}), "
                        f"more than the {MINUTES_IN_A_DAY:,} of a day: one patient's codes "
                        "of one date cannot add up to more")


def compute_units(
    items: Sequence[CodeMinutes],
    method: Method,
    catalog: Catalog | None = None,
    prefer: Sequence[str] = (),
    *,
    medicare: bool | None = None,
) -> BillingResult:
    """Bill `items` (in the order they were started) under `method`.

    `prefer` lists codes the therapist picked among tied codes (the first pick first); it
    changes nothing else. `medicare` says whether the payer is Medicare (its status
    warnings); by default, whether the method is Medicare's.
    """
    return _compute(tuple(items), method, catalog or default_catalog(),
                    tuple(normalise_code(c) for c in prefer),
                    method is Method.CMS if medicare is None else medicare)


@lru_cache(maxsize=4096)
def _compute(items: tuple[CodeMinutes, ...], method: Method, catalog: Catalog,
             prefer: tuple[str, ...], medicare: bool) -> BillingResult:
    """compute_units, remembered: a day or an import bills the same minutes many times, and
    the result is a frozen value."""
    merged = merge_by_code(items, catalog)
    entries = {item.code: catalog.find(item.code) for item in merged}
    known = {code: entry for code, entry in entries.items() if entry is not None}
    timed = [item for item in merged if item.code in known and known[item.code].timed]
    counted = _counted(timed, known, catalog)
    pooled = [item for item in counted if catalog.get(item.code).pooled]
    alone = [item for item in counted if not catalog.get(item.code).pooled]
    total_timed = sum(item.minutes or 0 for item in timed)
    total_treatment = sum(item.minutes or 0 for item in merged if item.code in known)

    if method is Method.CMS:
        allocation = _total_time_method(pooled, sum(i.minutes or 0 for i in pooled), prefer,
                                        "total timed min" if not alone else
                                        "timed min of 15-minute codes")
    else:
        allocation = _per_code_method(pooled, sum(i.minutes or 0 for i in pooled))
    for item in alone:
        allocation.lines[item.code] = _on_its_own(item, catalog.get(item.code))

    timed_lines = _split_families(allocation.lines, catalog,
                                  {item.code: item for item in timed})
    lines = []
    for item in merged:
        entry = entries[item.code]
        if entry is None:
            lines.append(_undefined_line(item))
        elif entry.timed:
            lines.append(timed_lines.pop(item.code))
        else:
            lines.append(_untimed_line(item))
    # a family code that took minutes or units without being recorded under its own code
    lines += [line for line in timed_lines.values() if line.minutes or line.units]
    timed_units = sum(line.units for line in lines if line.timed)
    summary = allocation.summary
    untimed = [line.code for line in lines if not line.timed and line.defined]
    if untimed:
        summary += (f"; untimed code {untimed[0]}: one unit for the date" if len(untimed) == 1
                    else f"; untimed codes {', '.join(untimed)}: one unit each for the date")
    if alone:
        summary += "; " + ", ".join(item.code for item in alone) + (
            " counted on its own (its units are longer than 15 minutes)" if len(alone) == 1
            else " counted each on its own (their units are longer than 15 minutes)")
    return BillingResult(
        method=method,
        total_timed_minutes=total_timed,
        total_treatment_minutes=total_treatment,
        timed_units=timed_units,
        lines=tuple(lines),
        summary=summary,
        tie=bool(allocation.tie_codes),
        tie_codes=allocation.tie_codes,
        tie_alternatives=tuple(_family_choice(choice, catalog)
                               for choice in allocation.alternatives),
        warnings=tuple(_warnings(total_timed, timed_units, lines, catalog, medicare)),
    )


def _counted(timed: Sequence[CodeMinutes], known: dict[str, CatalogEntry], catalog: Catalog
             ) -> list[CodeMinutes]:
    """The timed minutes as they are counted: a family's codes as one, under its first code,
    in the order the family was first started."""
    counted: dict[str, CodeMinutes] = {}
    for item in timed:
        family = catalog.family(known[item.code])
        key = family[0].code if family else item.code
        before = counted.get(key)
        counted[key] = CodeMinutes(
            code=key,
            minutes=(item.minutes or 0) + (0 if before is None else before.minutes or 0),
            assistant_minutes=item.assistant_minutes + (before.assistant_minutes if before else 0),
        )
    return list(counted.values())


def units_in(minutes: int, unit: int) -> int:
    """Units of `unit` minutes in `minutes` by the CPT time rule: one once more than half of it
    has passed (15 -> 8 min, 30 -> 16, 60 -> 31), then one more for each further unit so
    passed. For 15 minutes this is the 8-minute table."""
    threshold = unit // 2 + 1
    return 0 if minutes < threshold else (minutes + unit - threshold) // unit


def _on_its_own(item: CodeMinutes, entry: CatalogEntry) -> BillingLine:
    """A code in longer units, or a family with a longer first unit: counted by itself."""
    minutes = item.minutes or 0
    length = entry.unit_minutes
    units = units_in(minutes, length)
    unit_words = _length_words(length)
    if units:
        why = (f"{entry.code}: {minutes} min; counted on its own in units of {unit_words}: "
               f"{plural(units, 'unit')} ({entry.threshold} min make the first)")
    else:
        why = (f"{entry.code}: {minutes} min; counted on its own in units of {unit_words}: "
               f"under {entry.threshold} min, so no unit")
    return BillingLine(code=entry.code, minutes=minutes, units=units, timed=True, why=why,
                       full_units=minutes // length, leftover_minutes=minutes % length,
                       assistant_minutes=item.assistant_minutes)


def _length_words(minutes: int) -> str:
    if minutes % 60 == 0:
        return "an hour" if minutes == 60 else f"{minutes // 60} hours"
    return f"{minutes} min"


def _split_families(lines: dict[str, BillingLine], catalog: Catalog,
                    recorded: dict[str, CodeMinutes]) -> dict[str, BillingLine]:
    """Each family's units split between its codes: the first code takes its one unit (its
    limit a date), the add-on the rest; minutes follow the units, the assistant's to the
    add-on first (our policy: the first unit is the one furnished first). A family without a
    unit keeps its minutes where they were recorded."""
    result: dict[str, BillingLine] = {}
    for code, line in lines.items():
        family = catalog.family(catalog.get(code))
        if family is None:
            result[code] = line
            continue
        first, add_on = family
        if line.units == 0:
            for member in (first, add_on):
                if member.code in recorded:
                    item = recorded[member.code]
                    result[member.code] = replace(
                        line, code=member.code, minutes=item.minutes,
                        assistant_minutes=item.assistant_minutes,
                        why=f"{line.why} ({first.code}+{add_on.code}, timed as one service: "
                            f"{member.code} {item.minutes} min)")
            continue
        minutes = line.minutes or 0
        if first.pooled:
            first_units = min(line.units, first.per_date_limit or 1)
            add_units = line.units - first_units
        else:
            first_units = 1 if minutes >= first.threshold else 0
            add_units = units_in(minutes - first.unit_minutes, add_on.unit_minutes) \
                if minutes > first.unit_minutes else 0
        first_minutes = minutes if add_units == 0 else first.unit_minutes
        add_minutes = minutes - first_minutes
        add_assistant = min(line.assistant_minutes, add_minutes)
        family_words = f"{first.code}+{add_on.code} (timed as one service)"
        if first.pooled:
            head = line.why.replace(f"{first.code}: ", f"{family_words}: ", 1)
        else:
            head = (f"{family_words}: {minutes} min; "
                    f"{first.code} is the first {_length_words(first.unit_minutes)} "
                    f"({first.threshold} min make it), {add_on.code} each further "
                    f"{_length_words(add_on.unit_minutes)} ({add_on.threshold} min make one)")
        split = (f"{first.code} x{first_units} (the first unit, at most "
                 f"{first.per_date_limit or 1} a date), {add_on.code} x{add_units}")
        result[first.code] = BillingLine(
            code=first.code, minutes=first_minutes, units=first_units, timed=True,
            why=f"{head}: {split}", full_units=line.full_units,
            leftover_minutes=line.leftover_minutes,
            assistant_minutes=line.assistant_minutes - add_assistant)
        result[add_on.code] = BillingLine(
            code=add_on.code, minutes=add_minutes, units=add_units, timed=True,
            why=(f"{add_on.code}: {add_minutes} min of the {first.code}+{add_on.code} family "
                 f"({minutes} min): {split}"),
            assistant_minutes=add_assistant)
    return result


def _family_choice(choice: dict[str, int], catalog: Catalog) -> dict[str, int]:
    """A tie alternative counted per family, as the codes that carry its units."""
    shown = {}
    for code, units in choice.items():
        family = catalog.family(catalog.get(code))
        if family is None:
            shown[code] = units
        else:
            first, add_on = family
            shown[first.code] = min(units, first.per_date_limit or 1)
            shown[add_on.code] = units - shown[first.code]
    return shown


@dataclass(frozen=True)
class _Allocation:
    lines: dict[str, BillingLine]
    summary: str
    tie_codes: tuple[str, ...] = ()
    alternatives: tuple[dict[str, int], ...] = ()


def _untimed_line(item: CodeMinutes) -> BillingLine:
    why = f"{item.code}: untimed; one unit per date of service whatever the minutes"
    if item.minutes:
        why += f" ({item.minutes} min count toward total treatment minutes only)"
    return BillingLine(
        code=item.code,
        minutes=item.minutes,
        units=1,
        timed=False,
        why=why,
        assistant_minutes=item.assistant_minutes,
    )


def _undefined_line(item: CodeMinutes) -> BillingLine:
    recorded = "" if item.minutes is None else f"; its {item.minutes} min stay recorded"
    return BillingLine(
        code=item.code,
        minutes=item.minutes,
        units=0,
        timed=False,
        defined=False,
        why=f"{item.code}: not defined in the catalog or the settings, so not billed{recorded}",
        assistant_minutes=item.assistant_minutes,
    )


def _per_code_method(timed: Sequence[CodeMinutes], total_timed: int) -> _Allocation:
    lines = {}
    for item in timed:
        minutes = item.minutes or 0
        units = units_for_minutes(minutes)
        if units == 0:
            why = f"{item.code}: {minutes} min; under 8 minutes, so no unit (each code alone)"
        else:
            low, high = unit_range(units)
            why = (
                f"{item.code}: {minutes} min; counted on its own, {low}-{high} min give "
                f"{plural(units, 'unit')}"
            )
        lines[item.code] = BillingLine(
            code=item.code,
            minutes=minutes,
            units=units,
            timed=True,
            why=why,
            full_units=minutes // UNIT_MINUTES,
            leftover_minutes=minutes % UNIT_MINUTES,
            assistant_minutes=item.assistant_minutes,
        )
    total_units = sum(line.units for line in lines.values())
    summary = (
        f"Per-code method: each code is counted on its own, never pooled; "
        f"{total_timed} timed min give {plural(total_units, 'timed unit')}"
    )
    return _Allocation(lines=lines, summary=summary)


def _total_time_method(
    timed: Sequence[CodeMinutes], total_timed: int, prefer: Sequence[str], what: str
) -> _Allocation:
    minutes = {item.code: item.minutes or 0 for item in timed}
    assistant = {item.code: item.assistant_minutes for item in timed}
    order = {item.code: index for index, item in enumerate(timed)}
    full = {code: m // UNIT_MINUTES for code, m in minutes.items()}
    left = {code: m % UNIT_MINUTES for code, m in minutes.items()}
    total_units = units_for_minutes(total_timed)
    remaining = total_units - sum(full.values())

    ranked = sorted(
        (code for code in minutes if left[code] > 0),
        key=lambda code: (-left[code], prefer.index(code) if code in prefer else len(prefer),
                          -minutes[code], order[code]),
    )
    winners = ranked[:remaining]
    losers = ranked[remaining:]
    tie_codes: tuple[str, ...] = ()
    alternatives: tuple[dict[str, int], ...] = ()
    if winners and losers and left[winners[-1]] == left[losers[0]]:
        boundary = left[winners[-1]]
        tied = [code for code in ranked if left[code] == boundary]
        sure = [code for code in winners if left[code] > boundary]
        chosen = set(winners) - set(sure)
        tie_codes = tuple(tied)
        alternatives = tuple(
            {code: full[code] + (code in sure or code in pick) for code in minutes}
            for pick in combinations(tied, len(chosen))
            if set(pick) != chosen
        )

    if total_units == 0:
        summary = (
            f"Medicare total-time method: {total_timed} {what} is under 8, "
            "so no timed unit is billable"
        )
    else:
        low, high = unit_range(total_units)
        summary = (
            f"Medicare total-time method: {total_timed} {what} ({low}-{high}) give "
            f"{plural(total_units, 'timed unit')}: {sum(full.values())} from full 15-minute "
            "blocks, "
            f"{remaining} from the largest left-over minutes"
        )

    unit_number = {code: sum(full.values()) + i + 1 for i, code in enumerate(winners)}
    lines = {}
    for code, m in minutes.items():
        units = full[code] + (code in unit_number)
        lines[code] = BillingLine(
            code=code,
            minutes=m,
            units=units,
            timed=True,
            why=_cms_why(code, m, full[code], left, total_timed, winners, losers, unit_number,
                         tie_codes, prefer),
            full_units=full[code],
            leftover_minutes=left[code],
            assistant_minutes=assistant[code],
        )
    return _Allocation(lines=lines, summary=summary, tie_codes=tie_codes, alternatives=alternatives)


def _cms_why(
    code: str,
    minutes: int,
    full: int,
    left: dict[str, int],
    total_timed: int,
    winners: Sequence[str],
    losers: Sequence[str],
    unit_number: dict[str, int],
    tie_codes: Sequence[str],
    prefer: Sequence[str],
) -> str:
    head = f"{code}: {minutes} min"
    if total_timed < MIN_BILLABLE_MINUTES:
        return (f"{head}; the day's {total_timed} total timed min is under 8, so no timed unit "
                "is billable")
    if full:
        head += f" = {plural(full, 'full unit')} ({full * UNIT_MINUTES} min)"
        if left[code]:
            head += f" + {left[code]} left-over min"
    if left[code] == 0:
        return f"{head}; no left-over minutes, so no extra unit"
    if code in unit_number:
        nth = _ordinal(unit_number[code])
        others = [c for c in tie_codes if c != code]
        if code in tie_codes:
            rule = "your pick" if code in prefer else "policy: more minutes, then started earlier"
            return (
                f"{head}; wins the {nth} unit on a tie with {', '.join(others)} "
                f"({left[code]} left-over min each; {rule}); another tied code is acceptable too"
            )
        if losers:
            best_loser = losers[0]
            return (
                f"{head}; wins the {nth} unit over {best_loser}'s "
                f"{left[best_loser]} left-over minutes"
            )
        return f"{head}; its left-over minutes earn the {nth} unit"
    if code in tie_codes:
        won = [c for c in winners if c in tie_codes]
        return (
            f"{head}; no extra unit: tied at {left[code]} left-over min with {', '.join(won)}, "
            f"which took the unit; {code} is an acceptable choice too"
        )
    if not winners:
        return f"{head}; no extra unit: {total_timed} min allow no unit beyond full blocks"
    takers = ", ".join(f"{c} ({left[c]} min)" for c in winners)
    return f"{head}; no extra unit: the left-over units went to larger left-overs: {takers}"


def _warnings(
    total_timed: int,
    timed_units: int,
    lines: Sequence[BillingLine],
    catalog: Catalog,
    medicare: bool,
) -> list[str]:
    warnings = []
    if total_timed > 0 and timed_units == 0:
        longer = sorted({f"{e.threshold} of {e.code}" for line in lines if line.timed
                         and (e := catalog.find(line.code)) is not None and e.unit_minutes > 15})
        under = "under 8 minutes" + (f" (and under {', '.join(longer)})" if longer else "")
        warnings.append(f"{total_timed} timed minutes but 0 billable timed units: {under}")
    for line in lines:
        entry = catalog.find(line.code)
        if entry is not None and entry.evaluation and line.assistant_minutes:
            warnings.append(f"{line.code} is recorded as furnished by an assistant: "
                            f"{ASSISTANT_EVALUATION}; it is left off the claim (correct who "
                            "furnished it, or the code)")
        if not line.defined or entry is None:
            warnings.append(f"{line.code} is not defined in the catalog or the settings (a "
                            "custom code removed from settings?): recorded, not billed")
        elif medicare and (line.units or line.minutes or not line.timed):
            warning = medicare_status_warning(entry)
            if warning:
                warnings.append(warning)
    return warnings


STATUS_WORDS = {
    MedicareStatus.B: "is bundled by Medicare (status B): never paid separately, so it is "
                      "left off the claim",
    MedicareStatus.I: "is not valid for Medicare (status I), so it is left off the claim",
    MedicareStatus.R: "is restricted by Medicare (status R): covered only in special cases; "
                      "check coverage before billing",
    MedicareStatus.N: "is not covered by Medicare (status N): no Medicare payment; the patient "
                      "may be billed after an advance notice (ABN)",
    MedicareStatus.C: "is priced by the Medicare contractor (status C): no national fee, so no "
                      "estimate",
    MedicareStatus.X: "is excluded from the Medicare fee schedule by law (status X): not paid "
                      "on this claim",
    MedicareStatus.E: "is excluded from the Medicare fee schedule by regulation (status E): "
                      "not paid on this claim",
}
OFF_MEDICARE_CLAIMS = frozenset({MedicareStatus.B, MedicareStatus.I})
"""Statuses whose codes never make a Medicare claim line (billing-spec section 10)."""


def medicare_status_warning(entry: CatalogEntry) -> str | None:
    """What a Medicare payer must know about a code's status (None for an active code)."""
    words = STATUS_WORDS.get(entry.medicare_status)
    if words is None:
        return None
    if entry.medicare_status is MedicareStatus.I and entry.medicare_alternative:
        words += f": bill {entry.medicare_alternative} instead"
    return f"{entry.code} {words}"
