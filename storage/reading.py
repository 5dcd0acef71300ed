"""What reports and exports read of a data folder, as a narrow protocol: the days of a range,
a day's sessions with their segments, the year so far for KX, the open sessions, what could
not be read or went missing, and the settings, catalog and zone they are read with. An opened
folder (storage/repository.py) is one; a reader over several folders can be another, and the
CSV writers and an export's completeness check take either."""

from __future__ import annotations

from datetime import date, tzinfo
from pathlib import Path
from typing import NamedTuple, Protocol

from core.billing.day import YearToDate
from core.catalog import Catalog
from core.session import Session, SessionData
from core.settings import Settings


class SkippedFile(NamedTuple):
    """A file that could not be read (left as it is, or moved aside), and why."""

    path: Path
    reason: str
    day: date | None
    """The date of a day file; None for any other file."""
    entered: bool
    """patients.json: what was entered about patients (the year so far counts it)."""


class MissingSessions(NamedTuple):
    """Sessions the index knew on a date that their day file lost (storage/witness.py)."""

    path: Path
    day: date
    lost: int
    """How many sessions it lost."""


class FolderReader(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def zone(self) -> tzinfo: ...

    def days(self, first: date | None = None, last: date | None = None) -> list[date]:
        """Dates with a day file, in order, optionally within [first, last]."""
        ...

    def day_sessions(self, day: date, *, keep: bool = True) -> list[SessionData]:
        """The sessions of a date (`in_day_order`), each with its segments (by start);
        `keep=False` for going through every day once."""
        ...

    def year_to_date(self, day: date) -> YearToDate:
        """Each Medicare patient's allowed amount per KX bucket in `day`'s year before it."""
        ...

    def open_sessions(self) -> list[Session]:
        """Sessions not closed yet, from any day."""
        ...

    def skipped(self) -> list[SkippedFile]:
        """Every file that could not be read so far."""
        ...

    def missing(self) -> list[MissingSessions]:
        """Each date whose day file lost sessions the index knew, oldest first."""
        ...
