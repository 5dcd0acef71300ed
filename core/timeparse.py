"""What a therapist types for a time, turned into an instant.

"6" or "6m" or "6 min" means six minutes ago (the quick backdate); "1h5m" an hour and five
minutes ago; "10:05", "10:05:30", "2:30pm" a clock time in the clinic's zone on a given day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from core.kinds import EARLIEST_YEAR, LATEST_YEAR

_AGO = re.compile(r"^(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*(?:m|min|mins|minutes)?)?\s*(?:ago)?$",
                  re.ASCII)
_CLOCK = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?\s*(?P<ampm>am|pm|a|p)?"
                    r"(?:\s+(?P<zone>[a-z]{2,5}|[+-]\d{2}:?\d{2}))?$", re.ASCII)


class TimeParseError(ValueError):
    """The text is not a time we understand; the message says what is expected."""


def parse_clock_time(text: str, day: date, zone: ZoneInfo) -> datetime:
    """`10:05`, `10:05:30` or `2:30pm` on `day` in `zone`, as an instant (in UTC).

    On the night clocks fall back, a time in the repeated hour is asked for, never guessed:
    `1:30 EDT` or `1:30 EST` (or `1:30 -04:00`). A time in the hour skipped in spring does
    not exist and is refused.
    """
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
    wall = datetime.combine(day, time(hour, minute, second))
    choices = [moment for moment in (wall.replace(tzinfo=zone, fold=fold) for fold in (0, 1))
               if _exists(moment, wall)]
    shown = f"{wall:%H:%M}" + (f":{second:02d}" if second else "")
    if not choices:
        raise TimeParseError(f"{shown} does not exist on {day}: the clocks jumped forward "
                             "an hour that night")
    if len({moment.utcoffset() for moment in choices}) > 1:
        names = " or ".join(f"{shown} {_zone_name(moment)}" for moment in choices)
        if match["zone"] is None:
            raise TimeParseError(f"{shown} happened twice on {day} (the clocks fell back): "
                                 f"write {names}")
        picked = [moment for moment in choices if _named(moment, match["zone"])]
        if not picked:
            raise TimeParseError(f"{text!r}: on {day} write {names}")
        return picked[0].astimezone(UTC)
    if match["zone"] is not None and not _named(choices[0], match["zone"]):
        raise TimeParseError(f"{text!r}: on {day} that time is {_zone_name(choices[0])}")
    # In UTC: Python compares and subtracts two times of one zone by their wall clocks, so
    # 01:30 EST minus 01:30 EDT would be 0 minutes.
    return choices[0].astimezone(UTC)


MAX_SPAN = timedelta(hours=12)


def end_after(start: datetime, text: str, day: date, zone: ZoneInfo,
              now: datetime | None = None) -> datetime:
    """The end typed as a clock time on `day`; an end earlier than the start means the next
    day only when that makes a plausible stretch (it ran past midnight) that is not still to
    come: otherwise the end is before the start, and the message says so."""
    end = parse_clock_time(text, day, zone)
    if end >= start:
        return end
    next_day = parse_clock_time(text, day + timedelta(days=1), zone)
    if next_day - start <= MAX_SPAN and (now is None or next_day <= now):
        return next_day
    raise TimeParseError(f"the end {text.strip()} is before the start "
                         f"{clock_text(start, zone)}")


def _exists(moment: datetime, wall: datetime) -> bool:
    """Whether the wall time really happens (it does not in the hour skipped in spring)."""
    return moment.astimezone(UTC).astimezone(moment.tzinfo).replace(tzinfo=None) == wall


def _zone_name(moment: datetime) -> str:
    return moment.tzname() or _offset(moment)


def _offset(moment: datetime) -> str:
    return moment.strftime("%z")


def _named(moment: datetime, name: str) -> bool:
    offset = _offset(moment)
    wanted = name.replace(":", "").lower()
    return wanted in {(moment.tzname() or "").lower(), offset.lower()}


def clock_text(instant: datetime, zone: ZoneInfo) -> str:
    """`10:05:30` in the clinic's zone, or `01:30:00 EDT` in the hour that happens twice, so
    that the text read back gives the same instant."""
    local = instant.astimezone(zone)
    other = local.replace(fold=1 - local.fold)
    text = f"{local:%H:%M:%S}"
    if other.utcoffset() != local.utcoffset() and _exists(other, local.replace(tzinfo=None)):
        text += f" {_zone_name(local)}"
    return text


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
    if not re.fullmatch(r"[0-9]{1,4}", cleaned) or not 1 <= int(cleaned) <= 24 * 60:
        raise TimeParseError(f"{text!r}: give whole minutes from 1 to 1440")
    return int(cleaned)


_DAYS_AGO = re.compile(r"^-([0-9]{1,4})$")
_MONTH_DAY = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})$")


def parse_date(text: str, today: date) -> date:
    """A date as a person types it: 2026-03-02, today, yesterday, -3 (three days ago), or
    03/02 (this year's, or last year's when this year's is more than a month ahead)."""
    cleaned = text.strip().lower()
    if cleaned in ("today", "t"):
        return today
    if cleaned in ("yesterday", "y"):
        return today - timedelta(days=1)
    if match := _DAYS_AGO.match(cleaned):
        return _plausible(today - timedelta(days=int(match[1])), text)
    if match := _MONTH_DAY.match(cleaned):
        try:
            found = date(today.year, int(match[1]), int(match[2]))
        except ValueError:
            raise TimeParseError(f"{text!r} is not a date (month/day)") from None
        if found > today + timedelta(days=31):
            found = found.replace(year=today.year - 1) if (found.month, found.day) != (2, 29) \
                else date(today.year - 1, 2, 28)
        return found
    try:
        found = date.fromisoformat(cleaned)
    except ValueError:
        raise TimeParseError(f"{text!r} is not a date: write 2026-03-02, today, yesterday, -3 "
                             "or 03/02") from None
    return _plausible(found, text)


def _plausible(day: date, text: str) -> date:
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise TimeParseError(f"{text!r}: the year {day.year} is out of range "
                             f"({EARLIEST_YEAR}-{LATEST_YEAR})")
    return day
