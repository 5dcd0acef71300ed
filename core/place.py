"""Where and how a session was furnished (billing-spec section 12): the place of service (POS)
code, and whether it was telehealth by video or audio only.

Each place names whether Medicare's fee schedule pays it at the facility rate (its facility
practice-expense RVU) or the non-facility one; telehealth adds modifier 95 (93 audio only)
after GP/GO/GN and CQ/CO. The codes, names and facility places are data with their sources
(`core/data/places.json`). Plain dataclasses: `tabletime units` runs without pydantic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Any

OFFICE = "11"
TELEHEALTH_MODIFIER = {"video": "95", "audio": "93"}


class Telehealth(StrEnum):
    """How a telehealth session reached the patient; in person is no telehealth at all."""

    VIDEO = "video"
    AUDIO = "audio"

    @property
    def modifier(self) -> str:
        return TELEHEALTH_MODIFIER[self.value]

    @property
    def words(self) -> str:
        return "telehealth by video" if self is Telehealth.VIDEO else "telehealth, audio only"


def mode_value(mode: Telehealth | None) -> str | None:
    """How a file stores the mode: `video`, `audio`, None in person."""
    return None if mode is None else mode.value


@dataclass(frozen=True)
class PlaceTable:
    names: dict[str, str]
    facility: frozenset[str]
    telehealth: frozenset[str]


@cache
def places() -> PlaceTable:
    raw: dict[str, Any] = json.loads(files("core").joinpath("data/places.json").read_text(
        encoding="utf-8"))
    return PlaceTable(names=dict(raw["places"]), facility=frozenset(raw["facility"]),
                      telehealth=frozenset(raw["telehealth"]))


def place_code(text: str) -> str:
    """A place of service code as typed (`11`, ` 02 `) -> its two digits; ValueError naming
    the problem when it is not a CMS place of service code. One digit is refused, not padded:
    `1` is as likely a cut-short 11 as 01, a pharmacy."""
    cleaned = text.strip()
    if cleaned.isascii() and cleaned.isdigit() and len(cleaned) == 1:
        raise ValueError(f"{cleaned!r}: write the place of service code's two digits (0{cleaned}"
                         f" or {cleaned}{cleaned}?)")
    if cleaned.isascii() and cleaned.isdigit() and cleaned in places().names:
        return cleaned
    if not cleaned:
        raise ValueError("give a place of service code: two digits from CMS's list, e.g. 11 "
                         "office, 12 home, 22 outpatient hospital, 10 or 02 telehealth")
    shown = cleaned if cleaned.isascii() and cleaned.isprintable() and len(cleaned) <= 8 else (
        "that value")
    raise ValueError(f"{shown!r} is not a place of service code (two digits from CMS's "
                     "list, e.g. 11 office, 12 home, 22 outpatient hospital, 10 or 02 "
                     "telehealth)")


def place_name(code: str) -> str:
    return places().names[code]


def is_facility(code: str) -> bool:
    """Paid at the facility rate under Medicare's fee schedule (02, 19, 21, 22 ...)."""
    return code in places().facility


def is_telehealth_place(code: str) -> bool:
    """POS 02 and 10 exist only for telehealth."""
    return code in places().telehealth


@dataclass(frozen=True)
class Place:
    """A session's place of service and, for telehealth, how it reached the patient."""

    pos: str = OFFICE
    telehealth: Telehealth | None = None

    def __post_init__(self) -> None:
        if place_code(self.pos) != self.pos:
            raise ValueError(f"place of service {self.pos!r}: write it as two digits")

    @property
    def facility(self) -> bool:
        return is_facility(self.pos)

    @property
    def modifiers(self) -> tuple[str, ...]:
        """What a claim line adds after GP/GO/GN and CQ/CO: 95 or 93 for telehealth."""
        return () if self.telehealth is None else (self.telehealth.modifier,)

    def words(self) -> str:
        """`office (POS 11)`, `telehealth by video (patient at home, POS 10)`, `telehealth
        by video (home, POS 12)`: the telehealth places' names say "telehealth" once."""
        if self.telehealth is None:
            return f"{place_name(self.pos)} (POS {self.pos})"
        where = place_name(self.pos).removeprefix("telehealth, ")
        return f"{self.telehealth.words} ({where}, POS {self.pos})"


OFFICE_VISIT = Place()
