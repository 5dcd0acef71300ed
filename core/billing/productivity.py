"""A therapist's productivity on one date of service: the minutes that bill over the clock time
of the day (issue 19), and over a scheduled day when the settings give one. Loads no pydantic
(the command line's renderers say it).

The rules, where the issue is silent:

- A segment's time is billable when its code bills in its group (the patient's sessions of one
  discipline and payer that day, billed together): a code with a claim line; under the
  Medicare method also a timed code without units of its own whose minutes made the group's
  timed units (the units come from the total). A code that makes no line (bundled, an
  assistant's evaluation, below the first unit, a group below 8 timed minutes) bills nothing.
- Billable time is the union of those segments: minutes shared by several patients (group
  therapy, overlapping timers) count once, so the figure never passes 100% of the clock.
- The clock runs from the day's first segment start to its last segment end (any code); a
  running timer counts up to now, as the billing does. Both are whole minutes, rounded down.
- A day without segments, or with less than a minute of clock, has no figure (None).
- The percent is rounded down, so that it says "85%" only when the target of 85 is met; the
  target is measured against the clock time (the scheduled day is beside it, for the end of
  the day, and can pass 100% on a long day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from core.intervals import covered_time
from core.kinds import Method

if TYPE_CHECKING:
    from core.billing.day import DayBilling, Group
    from core.models import Segment

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Productivity:
    """A day's (or a range's) billable minutes against its clock and scheduled minutes."""

    billable_minutes: int
    clock_minutes: int
    scheduled_minutes: int | None = None
    target: int | None = None
    """The percent aimed for (settings), or None."""
    running: bool = False
    """A timer still runs: the figure grows until it stops."""

    @property
    def percent(self) -> int | None:
        return _percent(self.billable_minutes, self.clock_minutes)

    @property
    def scheduled_percent(self) -> int | None:
        return _percent(self.billable_minutes, self.scheduled_minutes or 0)

    @property
    def target_met(self) -> bool | None:
        """None without a target or a figure; exact, not on the rounded percent."""
        if self.target is None or not self.clock_minutes:
            return None
        return self.billable_minutes * 100 >= self.target * self.clock_minutes

    def __add__(self, other: Productivity) -> Productivity:
        """Days added up: minutes over minutes, never an average of percents."""
        scheduled = (None if self.scheduled_minutes is None and other.scheduled_minutes is None
                     else (self.scheduled_minutes or 0) + (other.scheduled_minutes or 0))
        return Productivity(self.billable_minutes + other.billable_minutes,
                            self.clock_minutes + other.clock_minutes, scheduled,
                            self.target if self.target is not None else other.target,
                            self.running or other.running)

    def words(self) -> str:
        """`270 of 320 clock min billable (84%), target 80%: met; 56% of 480 scheduled min`."""
        text = f"{self.billable_minutes} of {self.clock_minutes} clock min billable"
        if self.percent is not None:
            text += f" ({self.percent}%)"
        if self.target_met is not None:
            text += f", target {self.target}%: {'met' if self.target_met else 'below'}"
        if self.scheduled_percent is not None:
            text += f"; {self.scheduled_percent}% of {self.scheduled_minutes} scheduled min"
        return text + ("; a timer is running" if self.running else "")


def title_part(figure: Productivity | None, wide: bool) -> str:
    """` · 84% prod` (and ` (target 85%)` when wide) to end Today's title line, the number
    first so that a line cut at the screen's edge keeps it; empty without a figure."""
    if figure is None or figure.percent is None:
        return ""
    target = f" (target {figure.target}%)" if wide and figure.target is not None else ""
    return f" · {figure.percent}% prod{target}"


def productivity_words(figure: Productivity | None) -> str:
    """The line the day summary (screen and text) and the range view end with."""
    if figure is None:
        return "Productivity: no figure (no segment, or under a minute of clock time)"
    return f"Productivity: {figure.words()}"


def _percent(part: int, whole: int) -> int | None:
    return part * 100 // whole if whole else None


def scheduled_minutes(hours: Decimal | None) -> int | None:
    """The settings' scheduled hours in whole minutes (7.33 h -> 440)."""
    if hours is None:
        return None
    return int((hours * 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def day_productivity(billing: DayBilling, now: datetime, *, target: int | None = None,
                     scheduled_hours: Decimal | None = None) -> Productivity | None:
    """The productivity of one billed date of service (see the module's rules); None for a
    day without a segment or under a minute of clock time."""
    segments = [seg for _, segs in billing.ordered for seg in segs]
    if not segments:
        return None
    first = min(seg.start for seg in segments)
    last = max(_end(seg, now) for seg in segments)
    if last - first < MINUTE:
        return None  # under a minute of clock time: no share worth a figure
    billable = [seg for group in billing.groups for seg in _billable(billing, group)]
    return Productivity(
        billable_minutes=covered_time(billable, now) // MINUTE,
        clock_minutes=(last - first) // MINUTE,
        scheduled_minutes=scheduled_minutes(scheduled_hours),
        target=target,
        running=any(seg.running for seg in segments))


def _billable(billing: DayBilling, group: Group) -> list[Segment]:
    """The group's segments whose code bills (see the module's rules)."""
    result = group.billing
    codes = {line.code for line in group.lines}
    if result.method is Method.CMS and result.timed_units:
        codes |= {line.code for line in result.lines
                  if line.timed and line.code not in group.not_billed}
    return [seg for session, segs in billing.ordered if session.id in group.session_ids
            for seg in segs if seg.code in codes]


def _end(segment: Segment, now: datetime) -> datetime:
    return segment.start + segment.duration(now)
