"""The kinds of things the rules talk about (disciplines, unit methods, who furnished a minute,
Medicare's status letters) and the years a record can be in.

Plain enums with no library behind them: the units calculator (`tabletime units`) starts
without loading pydantic.
"""

from __future__ import annotations

from enum import StrEnum

EARLIEST_YEAR, LATEST_YEAR = 1990, 2100
"""The years a treatment record can be in: anything else is a typo or a damaged file (and
year 1 or 9999 breaks date arithmetic)."""


class Discipline(StrEnum):
    PT = "PT"
    OT = "OT"
    SLP = "SLP"


class Method(StrEnum):
    """How timed minutes become units: Medicare pools the day, per-code counts each code."""

    CMS = "cms"
    PER_CODE = "per-code"


class FurnishedBy(StrEnum):
    THERAPIST = "therapist"
    ASSISTANT = "assistant"


class MedicareStatus(StrEnum):
    """Medicare fee-schedule status (PPRRVU's status column): Active, Bundled, Invalid for
    Medicare, Restricted, Non-covered, Carrier-priced, statutory eXclusion, Excluded by
    regulation."""

    A = "A"
    B = "B"
    I = "I"  # noqa: E741 - CMS's own letter
    R = "R"
    N = "N"
    C = "C"
    X = "X"
    E = "E"
