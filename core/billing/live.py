"""What a session at the table shows while a timer runs: the units so far under the payer's
rule, the time to the next one to the second, and what stopping a code now would cost.

Pure: the session's live billing and its segments in, numbers out. Whole minutes bill (a code's
seconds round down), so the next unit comes when the running code's seconds cross the minute
that makes the total reach the 8-minute table's next step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.billing.units import BillingResult, minutes_to_next_unit
from core.catalog import Catalog
from core.kinds import Method
from core.models import Segment
from core.text import plural

SECONDS = 60


@dataclass(frozen=True)
class NextUnit:
    """Where the units stand: `counted` is what the rule counts (the day's timed total under
    Medicare's method, the running code under a per-code payer), `units` its units now."""

    key: str
    """What is counted: "total", or the running code under a per-code payer."""
    minutes: int
    units: int
    to_next: timedelta | None
    """Until one more unit, to the second; None when no timed code is running."""
    running: str | None
    """The running timed code, if any."""


def code_time(segments: Sequence[Segment], code: str, now: datetime) -> timedelta:
    """A code's time so far in a session, every segment of it (running ones up to now)."""
    return sum((s.duration(now) for s in segments if s.code == code), timedelta(0))


def next_unit(method: Method, billing: BillingResult, segments: Sequence[Segment],
               now: datetime, catalog: Catalog) -> NextUnit:
    running = next((s for s in segments if s.running and catalog.is_timed(s.code)), None)
    if method is Method.PER_CODE and running is not None:
        line = billing.line(running.code)
        key, minutes, units = running.code, line.minutes or 0, line.units
    else:
        key, minutes, units = "total", billing.total_timed_minutes, billing.timed_units
    to_next = None
    if running is not None:
        seconds = int(code_time(segments, running.code, now).total_seconds())
        left = minutes_to_next_unit(minutes)
        to_next = timedelta(seconds=(left - 1) * SECONDS + (SECONDS - seconds % SECONDS))
    return NextUnit(key=key, minutes=minutes, units=units, to_next=to_next,
                     running=None if running is None else running.code)


NEAR_MINUTES = 2
"""A unit this close (in timed minutes) is pointed out when no timed code runs."""


def near_units(method: Method, billing: BillingResult) -> list[str]:
    """What one or two more timed minutes would bill, said while paused and at the review:
    under Medicare's method the day's timed total (37 min = 2 units, 38 = 3), per code each
    code on its own (7 min = none, 8 = 1)."""
    if method is Method.CMS:
        counted = [("timed", billing.total_timed_minutes, billing.timed_units)]
    else:
        counted = [(line.code, line.minutes or 0, line.units) for line in billing.lines
                   if line.timed]
    near = []
    for what, minutes, units in counted:
        left = minutes_to_next_unit(minutes)
        if minutes and left <= NEAR_MINUTES:
            verb = "makes" if left == 1 else "make"
            near.append(f"{what} {minutes} min: {plural(left, 'more minute')} {verb} "
                        f"unit {units + 1}")
    return near


def lost_by_stopping(method: Method, billing: BillingResult, code: str) -> int | None:
    """Under a per-code payer, the minutes a code stopped at 1-7 minutes still needs for its
    first unit (None when it costs nothing: another method, a unit reached, no minutes)."""
    if method is not Method.PER_CODE:
        return None
    minutes = next((line.minutes or 0 for line in billing.lines if line.code == code), 0)
    if 0 < minutes < 8:
        return 8 - minutes
    return None
