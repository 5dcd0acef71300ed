"""The two methods that turn whole minutes per code into units (billing-spec sections 3-5):
Medicare's total-time method (the 8-minute rule on the day's timed total, full units first,
then the largest left-overs) and the per-code method; untimed codes bill one unit each.

`compute_units` is the entry point (called by core.billing.session); the same minutes always
give the same units, remembered because a day or an import bills the same minutes many times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import combinations

from core.billing.explain import (
    ASSISTANT_EVALUATION,
    OFF_MEDICARE_CLAIMS,
    cms_why,
    unit_warnings,
)
from core.billing.families import as_counted, family_choice, on_its_own, split_families
from core.billing.units import (
    MINUTES_IN_A_DAY,
    UNIT_MINUTES,
    BillingLine,
    BillingResult,
    CodeMinutes,
    unit_range,
    units_for_minutes,
)
from core.catalog import Catalog, CodeError, default_catalog, normalise_code
from core.kinds import Method
from core.text import plural


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
    counted = as_counted(timed, known, catalog)
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
        allocation.lines[item.code] = on_its_own(item, catalog.get(item.code))

    timed_lines = split_families(allocation.lines, catalog,
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
    untimed = [line.code for line in lines if not line.timed and line.defined
               and not (medicare and catalog.get(line.code).medicare_status in OFF_MEDICARE_CLAIMS)]
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
        tie_alternatives=tuple(family_choice(choice, catalog)
                               for choice in allocation.alternatives),
        warnings=tuple(unit_warnings(total_timed, timed_units, lines, catalog, medicare)),
    )


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
            why=cms_why(code, m, full[code], left, total_timed, winners, losers, unit_number,
                         tie_codes, prefer),
            full_units=full[code],
            leftover_minutes=left[code],
            assistant_minutes=assistant[code],
        )
    return _Allocation(lines=lines, summary=summary, tie_codes=tie_codes, alternatives=alternatives)
