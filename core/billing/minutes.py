"""Segments -> whole minutes per code (billing-spec section 2): seconds add up per code across
episodes, then round down once, so the app never bills time that was not fully given."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from core.billing.units import CodeMinutes
from core.models import FurnishedBy, Segment


def whole_minutes(span: timedelta) -> int:
    """Round down: 7 min 59 s is 7 minutes."""
    return int(span.total_seconds()) // 60


def code_minutes(segments: Iterable[Segment], now: datetime) -> list[CodeMinutes]:
    """Per-code whole minutes, ordered by each code's first start (the tie-break order).

    A running segment counts up to `now`. Assistant minutes are rounded down on their own,
    so they never exceed the code's minutes.
    """
    total: dict[str, timedelta] = {}
    by_assistant: dict[str, timedelta] = {}
    for segment in sorted(segments, key=lambda s: s.start):
        span = segment.duration(now)
        total[segment.code] = total.get(segment.code, timedelta(0)) + span
        if segment.furnished_by is FurnishedBy.ASSISTANT:
            by_assistant[segment.code] = by_assistant.get(segment.code, timedelta(0)) + span
    return [
        CodeMinutes(
            code=code,
            minutes=whole_minutes(span),
            assistant_minutes=whole_minutes(by_assistant.get(code, timedelta(0))),
        )
        for code, span in total.items()
    ]
