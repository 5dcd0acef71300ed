"""What the read and the write side of an opened data folder share, in one frozen object:
built by the repository when it opens the folder and again when the settings change, so that
no reader or writer keeps settings (or a catalog, or a zone) older than the folder's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from core.catalog import Catalog
from core.settings import Settings
from core.timing import ClampedClock
from storage.document_storage import Report
from storage.indexes import Indexes
from storage.patients import Patients
from storage.queries import Queries
from storage.store import Store


@dataclass(frozen=True)
class Context:
    store: Store
    indexes: Indexes
    patients: Patients
    settings: Settings
    catalog: Catalog
    zone: tzinfo
    clock: ClampedClock
    notify: Report
    """Tells the user (a notice the app shows, a line a command prints)."""
    queries: Queries = field(init=False, repr=False, compare=False)
    """The read side over this context: the write side reads through it too."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "queries", Queries(self))  # a frozen dataclass's own field

    def local(self, instant: datetime) -> datetime:
        """An instant in the clinic's zone (dates of service, times shown)."""
        return instant.astimezone(self.zone)
