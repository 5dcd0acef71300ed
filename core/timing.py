"""The rules of time at the treatment table: one pair of hands, the switch, a clock that never
goes back. Pure: the store applies them to what it holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo

from core.models import Clock, Segment


class ClampedClock:
    """The clock, never earlier than an instant already recorded: a wall clock that jumps back
    (a laptop resyncing, a user fixing the time) must not make a segment end before it
    started. `went_back` says by how much the last reading was clamped."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.latest: datetime | None = None
        self.went_back: timedelta | None = None

    def __call__(self) -> datetime:
        now = self._clock()
        if self.latest is not None and now < self.latest:
            self.went_back = self.latest - now
            return self.latest
        self.went_back = None
        return now

    def raw(self) -> datetime:
        """The wall clock as it is (for deciding what is in the future)."""
        return self._clock()

    def saw(self, *instants: datetime | None) -> None:
        """Instants recorded: the clock will not be read as earlier than the latest."""
        for instant in instants:
            if instant is not None and (self.latest is None or instant > self.latest):
                self.latest = instant


def first_overlap(candidate: Segment, others: Iterable[Segment]) -> Segment | None:
    """One therapist, one pair of hands: the first timed segment `candidate` would overlap.

    The caller passes timed segments only (untimed and supervised codes may run alongside).
    """
    return next((other for other in others
                 if other.id != candidate.id and candidate.overlaps(other)), None)


def to_stop_for(start: datetime, running_timed: Iterable[Segment]) -> list[Segment]:
    """The switch: starting a timed code stops every running timed code that began before it,
    at the same instant. A running code that began after `start` (a backdated start) is not
    stopped: the new segment would overlap it, and that is refused instead."""
    return [segment for segment in running_timed if segment.start <= start]


def span_text(start: datetime, end: datetime | None, zone: tzinfo) -> str:
    tail = f"{end.astimezone(zone):%H:%M:%S}" if end is not None else "running"
    return f"{start.astimezone(zone):%H:%M:%S}-{tail}"


def describe_overlap(candidate: Segment, other: Segment, patient: str, zone: tzinfo, *,
                     group: bool = False) -> str:
    """Why two segments cannot both be: one pair of hands, or (`other` of a group) no
    one-on-one time inside the therapist's own group."""
    rule = ("one-on-one time cannot overlap the therapist's own group" if group
            else "timed minutes of one therapist cannot overlap")
    return (f"{candidate.code} {span_text(candidate.start, candidate.end, zone)} overlaps "
            f"{other.code} {span_text(other.start, other.end, zone)} on {patient}: {rule}")


def forgotten_timers(segments: Iterable[Segment], now: datetime, minutes: int) -> list[Segment]:
    """Running segments older than `minutes` (billing-spec section 9: a forgotten timer)."""
    limit = timedelta(minutes=minutes)
    return [s for s in segments if s.running and s.duration(now) > limit]
