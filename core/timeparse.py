"""What a therapist types for a time, turned into an instant.

"6" or "6m" or "6 min" means six minutes ago (the quick backdate); "1h5m" an hour and five
minutes ago; "10:05", "10:05:30", "2:30pm" a clock time in the clinic's zone on a given day.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_AGO = re.compile(r"^(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*(?:m|min|mins|minutes)?)?\s*(?:ago)?$")
_CLOCK = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>am|pm|a|p)?$")


class TimeParseError(ValueError):
    """The text is not a time we understand; the message says what is expected."""


def parse_clock_time(text: str, day: date, zone: ZoneInfo) -> datetime:
    """`10:05`, `10:05:30` or `2:30pm` on `day` in `zone`, as an aware datetime."""
    match = _CLOCK.match(text.strip().lower())
    if match is None:
        raise TimeParseError(f"{text!r} is not a clock time (write 10:05 or 2:30pm)")
    hour, minute = int(match["h"]), int(match["m"])
    second = int(match["s"] or 0)
    ampm = match["ampm"]
    if ampm:
        if not 1 <= hour <= 12:
            raise TimeParseError(f"{text!r}: with am/pm the hour is 1 to 12")
        hour = hour % 12 + (12 if ampm.startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise TimeParseError(f"{text!r} is not a valid time of day")
    return datetime.combine(day, time(hour, minute, second), tzinfo=zone)


def parse_when(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """A past instant: minutes ago (`6`, `6m`, `1h5m`) or a clock time today (`10:05`)."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise TimeParseError("give minutes ago (6) or a clock time (10:05)")
    if ":" in cleaned:
        return parse_clock_time(cleaned, now.astimezone(zone).date(), zone)
    match = _AGO.match(cleaned)
    if match is None or not (match["h"] or match["m"]):
        raise TimeParseError(f"{text!r}: give minutes ago (6) or a clock time (10:05)")
    ago = timedelta(hours=int(match["h"] or 0), minutes=int(match["m"] or 0))
    return now - ago


def parse_minutes(text: str) -> int:
    """Whole minutes, 1 to 1440."""
    cleaned = text.strip().lower().removesuffix("min").removesuffix("m").strip()
    if not cleaned.isdigit() or not 1 <= int(cleaned) <= 24 * 60:
        raise TimeParseError(f"{text!r}: give whole minutes from 1 to 1440")
    return int(cleaned)
