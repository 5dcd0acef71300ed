"""What units are made of: minutes per code in, a billing result out, and the arithmetic of the
8-minute table (billing-spec sections 3-5). core.billing.methods applies the methods,
core.billing.families the code families, core.billing.explain says why.

The values are frozen dataclasses (checked where they can go wrong): a day's billing builds
thousands of them, and `tabletime units` runs without loading pydantic; a session stores its
result through pydantic all the same (STRICT: an unknown field in a stored result is refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from core.catalog import (
    STRICT,
    normalise_code,
)
from core.kinds import Method

UNIT_MINUTES = 15
MINUTES_IN_A_DAY = 24 * 60
MIN_BILLABLE_MINUTES = 8

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


def units_in(minutes: int, unit: int) -> int:
    """Units of `unit` minutes in `minutes` by the CPT time rule: one once more than half of it
    has passed (15 -> 8 min, 30 -> 16, 60 -> 31), then one more for each further unit so
    passed. For 15 minutes this is the 8-minute table."""
    threshold = unit // 2 + 1
    return 0 if minutes < threshold else (minutes + unit - threshold) // unit


