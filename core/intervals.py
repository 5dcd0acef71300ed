"""The clock time segments cover, time several of them share counted once: a day's
treatment time (the clock-time check), a therapist's billable time (productivity), each
therapist's time with a patient (co-treatment compares them). Pydantic-free: `tabletime units`
loads it through the productivity words."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.models import Segment

Interval = tuple[datetime, datetime]


def covered(segments: Iterable[Segment], now: datetime) -> list[Interval]:
    """The clock time the segments cover, as disjoint intervals by start: time several share
    counted once, a running segment reaching `now`."""
    merged: list[Interval] = []
    for start, end in sorted((s.start, s.start + s.duration(now)) for s in segments):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def covered_time(segments: Iterable[Segment], now: datetime) -> timedelta:
    """How long the segments cover the clock (shared time once): a day's treatment time."""
    return sum((end - start for start, end in covered(segments, now)), timedelta(0))
