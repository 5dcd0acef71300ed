"""NCCI edits and Medically Unlikely Edits (billing-spec section 7): which codes may not go
together on one patient's date, and how many units of a code a date allows; and Medicare's
telehealth rules for therapy (section 12): the waiver's dates, the telehealth services list, the
telehealth places of service.

The edits are data (`core/data/edits.json`, `core/data/telehealth.json`, each with its source
and the dates it is in force), never code. A finding names the edit and its source; nothing here
adds a modifier or moves a unit: the biller decides.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib.resources import files
from typing import Any

from core.place import Place, Telehealth, is_telehealth_place, place_name
from core.text import plural


@dataclass(frozen=True)
class Edit:
    id: str
    kind: str
    """once-per-date, needs-modifier, not-with or no-overlap."""
    codes: frozenset[str]
    text: str
    source: str
    start: date
    end: date | None = None
    others: frozenset[str] = frozenset()
    """not-with: the codes it may not go with; no-overlap: the codes that may share a period."""
    modifiers: tuple[str, ...] = ()
    excepted: frozenset[str] = frozenset()
    """needs-modifier: codes it is not about (the other evaluations: their own edit)."""

    def in_force(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class UnitLimit:
    code: str
    units: int
    mai: int
    """MUE adjudication indicator: 2 an absolute date-of-service limit, 3 a clinical one."""


@dataclass(frozen=True)
class Edits:
    edits: tuple[Edit, ...]
    limits: Mapping[str, UnitLimit]
    limits_start: date
    limits_source: str


@dataclass(frozen=True)
class Finding:
    """One edit a patient's date runs into: `check` is the day summary's kind of check."""

    check: str
    edit: str
    codes: tuple[str, ...]
    message: str
    source: str


TELEHEALTH_WAIVER = "telehealth-waiver"
TELEHEALTH_CODE = "telehealth-code"
TELEHEALTH_PLACE = "telehealth-place"
CHECKS = {"once-per-date": "two-evaluations", "needs-modifier": "re-evaluation-with-treatment",
          "not-with": "performance-test-with-evaluation", "no-overlap": "evaluation-overlap"}
MUE_CHECK = "unit-limit"


@cache
def default_edits() -> Edits:
    """The shipped edits, read once per process."""
    raw: dict[str, Any] = json.loads(files("core").joinpath("data/edits.json").read_text(
        encoding="utf-8"))
    sources = raw["sources"]
    edits = tuple(
        Edit(id=item["id"], kind=item["kind"], codes=frozenset(item["codes"]), text=item["text"],
             source=sources[item["source"]], start=date.fromisoformat(item["from"]),
             end=date.fromisoformat(item["to"]) if item.get("to") else None,
             others=frozenset(item.get("with", item.get("may_share", ()))),
             modifiers=tuple(item.get("modifiers", ())),
             excepted=frozenset(item.get("except", ())))
        for item in raw["edits"])
    mue = raw["mue"]
    limits = {code: UnitLimit(code=code, units=value["units"], mai=value["mai"])
              for code, value in mue["limits"].items()}
    return Edits(edits=edits, limits=limits, limits_start=date.fromisoformat(mue["from"]),
                 limits_source=sources[mue["source"]])


@dataclass(frozen=True)
class TelehealthRules:
    """Medicare's telehealth rules for therapy: the waiver that lets PT/OT/SLP furnish it
    (`start` to `end`), the codes on the telehealth services list, the telehealth places."""

    start: date
    end: date
    waiver_name: str
    waiver_text: str
    waiver_source: str
    codes: frozenset[str]
    list_version: str
    list_source: str
    place_text: str
    place_source: str
    audio_place: str
    audio_text: str
    audio_source: str


@cache
def telehealth_rules() -> TelehealthRules:
    """The shipped rules, read once per process."""
    raw: dict[str, Any] = json.loads(files("core").joinpath("data/telehealth.json").read_text(
        encoding="utf-8"))
    sources, waiver, listed, places = raw["sources"], raw["waiver"], raw["list"], raw["places"]
    audio = raw["audio"]
    return TelehealthRules(
        start=date.fromisoformat(waiver["from"]), end=date.fromisoformat(waiver["to"]),
        waiver_name=waiver["name"], waiver_text=waiver["text"],
        waiver_source=sources[waiver["source"]], codes=frozenset(listed["codes"]),
        list_version=listed["version"], list_source=sources[listed["source"]],
        place_text=places["text"], place_source=sources[places["source"]],
        audio_place=audio["place"], audio_text=audio["text"],
        audio_source=sources[audio["source"]])


def telehealth_findings(codes: Iterable[str], place: Place, day: date,
                        rules: TelehealthRules | None = None) -> list[Finding]:
    """Medicare's telehealth rules on one patient's billed codes of a date furnished at
    `place`: a telehealth line outside the waiver's dates, a code not on the telehealth list,
    a place of service that does not match the mode. The lines still carry 95/93."""
    rules = rules or telehealth_rules()
    billed = sorted(set(codes))
    if not billed:
        return []
    listed = ", ".join(billed)
    if place.telehealth is None:
        if not is_telehealth_place(place.pos):
            return []
        return [Finding(check=TELEHEALTH_PLACE, edit=TELEHEALTH_PLACE, codes=tuple(billed),
                        source=rules.place_source, message=(
                            f"{listed} at POS {place.pos} ({place_name(place.pos)}) but "
                            "furnished in person: POS 02 and 10 are for telehealth only; "
                            "correct the place of service or the mode"))]
    found = []
    if not is_telehealth_place(place.pos):
        found.append(Finding(check=TELEHEALTH_PLACE, edit=TELEHEALTH_PLACE, codes=tuple(billed),
                             source=rules.place_source, message=(
                                 f"{listed} by telehealth at POS {place.pos} "
                                 f"({place_name(place.pos)}): {rules.place_text} (10 patient "
                                 "at home, 02 elsewhere)")))
    elif place.telehealth is Telehealth.AUDIO and place.pos != rules.audio_place:
        found.append(Finding(check=TELEHEALTH_PLACE, edit=TELEHEALTH_PLACE, codes=tuple(billed),
                             source=rules.audio_source, message=(
                                 f"{listed} audio only at POS {place.pos} "
                                 f"({place_name(place.pos)}): {rules.audio_text}")))
    if not rules.start <= day <= rules.end:
        when = (f"after the telehealth waiver's end on {rules.end} ({rules.waiver_name})"
                if day > rules.end else f"before the telehealth waivers began on {rules.start}")
        found.append(Finding(check=TELEHEALTH_WAIVER, edit=TELEHEALTH_WAIVER,
                             codes=tuple(billed), source=rules.waiver_source, message=(
                                 f"{listed} by telehealth on {day}, {when}: "
                                 f"{rules.waiver_text}")))
    off_list = [code for code in billed if code not in rules.codes]
    if off_list:
        are = "is" if len(off_list) == 1 else "are"
        found.append(Finding(check=TELEHEALTH_CODE, edit=TELEHEALTH_CODE, codes=tuple(off_list),
                             source=rules.list_source, message=(
                                 f"{', '.join(off_list)} {are} not on the Medicare Telehealth "
                                 f"Services List ({rules.list_version}): Medicare does not pay "
                                 f"{'it' if len(off_list) == 1 else 'them'} by telehealth")))
    return found


def units_by_code(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """(code, units) of claim lines as each code's units (a code may have two lines)."""
    found: dict[str, int] = {}
    for code, units in lines:
        found[code] = found.get(code, 0) + units
    return found


def code_findings(units: Mapping[str, int], day: date, edits: Edits | None = None, *,
                  limits: bool = True) -> list[Finding]:
    """What one patient's billed units of a date (code -> units, every discipline) run into:
    the NCCI edits, and (`limits`, for a Medicare payer: they are Medicare's) the MUEs."""
    edits = edits or default_edits()
    billed = {code for code, count in units.items() if count}
    found = []
    for edit in edits.edits:
        if not edit.in_force(day):
            continue
        mine = sorted(billed & edit.codes)
        if edit.kind == "once-per-date" and sum(units[c] for c in mine) > 1:
            listed = ", ".join(f"{c} x{units[c]}" if units[c] > 1 else c for c in mine)
            found.append(_finding(edit, mine, f"{listed} on one date: {edit.text}"))
        elif edit.kind in ("needs-modifier", "not-with") and mine:
            others = sorted(billed - {*mine} - edit.excepted if edit.kind == "needs-modifier"
                            else billed & edit.others)
            if others:
                found.append(_finding(edit, [*mine, *others],
                                      f"{', '.join(mine)} with {', '.join(others)}: {edit.text}"))
    if limits and day >= edits.limits_start:
        for code in sorted(billed):
            limit = edits.limits.get(code)
            if limit is not None and units[code] > limit.units:
                kind = ("an absolute date-of-service limit: the units over it are denied"
                        if limit.mai == 2 else
                        "a clinical limit: units over it need the records to back them")
                found.append(Finding(
                    check=MUE_CHECK, edit=f"mue-{code}", codes=(code,), source=edits.limits_source,
                    message=(f"{code}: {plural(units[code], 'unit')} on one date, over the "
                             f"Medically Unlikely Edit of {limit.units} (MAI {limit.mai}, "
                             f"{kind})")))
    return found


Span = tuple[str, datetime, datetime]
"""(code, start, end) of a segment."""


def overlap_findings(spans: Sequence[Span], day: date, edits: Edits | None = None
                     ) -> list[tuple[Finding, Span, Span]]:
    """Evaluations whose time overlaps other treatment of the same patient that may not share
    it (`spans`: one patient's segments of the date)."""
    edits = edits or default_edits()
    found = []
    for edit in edits.edits:
        if edit.kind != "no-overlap" or not edit.in_force(day):
            continue
        for index, evaluation in enumerate(spans):
            if evaluation[0] not in edit.codes:
                continue
            for later, other in enumerate(spans):
                if (later == index or other[0] in edit.others
                        or (other[0] in edit.codes and later < index)  # found from the other
                        or not (other[1] < evaluation[2] and evaluation[1] < other[2])):
                    continue
                found.append((_finding(edit, [evaluation[0], other[0]],
                                       f"{evaluation[0]} overlaps {other[0]}: {edit.text}"),
                              evaluation, other))
    return found


def _finding(edit: Edit, codes: Sequence[str], message: str) -> Finding:
    return Finding(check=CHECKS[edit.kind], edit=edit.id, codes=tuple(dict.fromkeys(codes)),
                   message=message, source=edit.source)
