"""The words of the units: why each line got its units (in terms an auditor checks against
the rule), the warnings of a billing result, and what Medicare's status of a code means."""

from __future__ import annotations

from collections.abc import Sequence

from core.billing.units import MIN_BILLABLE_MINUTES, UNIT_MINUTES, BillingLine
from core.catalog import Catalog, CatalogEntry
from core.kinds import MedicareStatus
from core.text import plural

ASSISTANT_EVALUATION = ("an assistant may not furnish evaluations, re-evaluations or "
                        "assessments (Pub. 100-02 ch.15 §230.1, §230.2)")
"""Why an evaluation furnished by an assistant is refused as input and never billed."""


def _ordinal(number: int) -> str:
    suffixes = {1: "st", 2: "nd", 3: "rd"}
    suffix = "th" if 10 <= number % 100 <= 20 else suffixes.get(number % 10, "th")
    return f"{number}{suffix}"


def length_words(minutes: int) -> str:
    if minutes % 60 == 0:
        return "an hour" if minutes == 60 else f"{minutes // 60} hours"
    return f"{minutes} min"


def cms_why(
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


def unit_warnings(
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
        warnings.append(f"{plural(total_timed, 'timed minute')} but 0 billable timed units: "
                        f"{under}")
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
