"""How times and amounts read on screen."""

from __future__ import annotations

import textwrap
from datetime import datetime, timedelta, tzinfo

WIDE = 100
"""Columns from which screens show their secondary parts (footer keys, full dates, totals)."""
NARROW_PATIENT = 12
NARROW_PAYER = 10
"""Below WIDE columns, the widths a long patient reference and payer name wrap at."""


def elapsed(duration: timedelta) -> str:
    """Elapsed time as m:ss, or h:mm:ss past an hour."""
    seconds = max(int(duration.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def local_time(instant: datetime | None, zone: tzinfo, seconds: bool = False) -> str:
    if instant is None:
        return "running"
    return instant.astimezone(zone).strftime("%H:%M:%S" if seconds else "%H:%M")


def wrapped(text: str, width: int) -> str:
    """`text` in lines of at most `width` (a long reference or payer name in a narrow table:
    wrapped, never cut at the screen's edge)."""
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False) or [text])
