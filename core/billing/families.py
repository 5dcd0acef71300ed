"""Code families and longer units (billing-spec section 10): a first code and its add-on
(97129 + 97130) are timed as one service and counted as one code, then split (the first code
takes its unit, the add-on every further one); codes in longer units (per hour, a first 30
minutes or hour) are counted on their own by the CPT time rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from core.billing.explain import length_words
from core.billing.units import BillingLine, CodeMinutes, units_in
from core.catalog import Catalog, CatalogEntry
from core.text import plural


def as_counted(timed: Sequence[CodeMinutes], known: dict[str, CatalogEntry], catalog: Catalog
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


def on_its_own(item: CodeMinutes, entry: CatalogEntry) -> BillingLine:
    """A code in longer units, or a family with a longer first unit: counted by itself."""
    minutes = item.minutes or 0
    length = entry.unit_minutes
    units = units_in(minutes, length)
    unit_words = length_words(length)
    if units:
        why = (f"{entry.code}: {minutes} min; counted on its own in units of {unit_words}: "
               f"{plural(units, 'unit')} ({entry.threshold} min make the first)")
    else:
        why = (f"{entry.code}: {minutes} min; counted on its own in units of {unit_words}: "
               f"under {entry.threshold} min, so no unit")
    return BillingLine(code=entry.code, minutes=minutes, units=units, timed=True, why=why,
                       full_units=minutes // length, leftover_minutes=minutes % length,
                       assistant_minutes=item.assistant_minutes)


def split_families(lines: dict[str, BillingLine], catalog: Catalog,
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
                    f"{first.code} is the first {length_words(first.unit_minutes)} "
                    f"({first.threshold} min make it), {add_on.code} each further "
                    f"{length_words(add_on.unit_minutes)} ({add_on.threshold} min make one)")
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


def family_choice(choice: dict[str, int], catalog: Catalog) -> dict[str, int]:
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
