"""The index as a witness: sessions it knew that a day file derived again no longer holds, and
does not record deleting (a file reduced to `{}` by a sync conflict, removed, moved aside), are
kept as missing in index/months.json and said at every open, by date, count and patient, until
they come back or the user accepts the loss (`tabletime check --accept-missing`). The day file
is left as it is. Deleting index/ stays safe: nothing is derived from a witness, and with no
index to compare, nothing is missing.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from core.text import plural, printable
from storage.document_storage import Report
from storage.documents import DayEntry, MissingEntry
from storage.store import Change, Store

MISSING_TOLD = 5
"""Dates with missing sessions named at an open; beyond that, a count (check lists them)."""


def missing_text(entry: MissingEntry, path: object) -> str:
    """What a witness says: the date, how many sessions, whose, and what to do."""
    count = len(entry.sessions)
    patients = ", ".join(sorted({visit.patient for visit in entry.sessions}))
    return (f"{entry.date}: {plural(count, 'session')} the index knew "
            f"{'is' if count == 1 else 'are'} missing from {printable(str(path))} ({patients}); "
            "the file was left as it is: put them back (from a backup), or accept the loss "
            "with tabletime check --accept-missing")


class Witness:
    """The missing sessions of one data folder, by date, as index/months.json keeps them."""

    def __init__(self, store: Store, report: Report) -> None:
        self._store = store
        self._report = report
        self._missing: dict[date, MissingEntry] = {}
        self._changed: set[date] = set()
        """Dates whose witness changed since the summary was last written."""

    def load(self) -> None:
        """What index/months.json says went missing."""
        self._missing = {entry.date: entry for entry in
                         self._store.records(self._store.summary_path(), "missing")}

    def tell(self) -> None:
        entries = self.missing()
        for entry in entries[:MISSING_TOLD]:
            self._report(missing_text(entry, self._store.day_path(entry.date)), "error")
        if len(entries) > MISSING_TOLD:
            more = entries[MISSING_TOLD:]
            self._report(f"and {plural(sum(len(e.sessions) for e in more), 'session')} more "
                         f"missing on {plural(len(more), 'other day')} (tabletime check lists "
                         "them)", "error")

    def missing(self) -> list[MissingEntry]:
        """Each date whose day file lost sessions the index knew, oldest first."""
        return [self._missing[day] for day in sorted(self._missing)]

    def knows(self, day: date) -> bool:
        """Whether sessions of `day` are missing."""
        return day in self._missing

    def accept(self) -> list[MissingEntry]:
        """The user accepts the loss: the witness lets go of every missing session."""
        accepted = self.missing()
        if accepted and self._store.saves:
            with self._store.change(self._store.summary_path()) as change:
                for entry in accepted:
                    change.drop("missing", entry.date)
        self._missing = {}
        self._changed.clear()
        return accepted

    def saw(self, day: date, old: DayEntry | None, new: DayEntry | None,
            deleted: set[UUID]) -> None:
        """Keep as missing the sessions of `old` (the index's entry) that `new` (the day file
        as it is) neither holds nor records deleting; let go of those that came back."""
        had = self._missing.get(day)
        if old is None and had is None:
            return
        there = deleted | (set() if new is None else {visit.id for visit in new.sessions})
        kept = [visit for visit in (() if had is None else had.sessions) if visit.id not in there]
        there |= {visit.id for visit in kept}
        kept += [visit for visit in (() if old is None else old.sessions)
                 if visit.id not in there]
        if tuple(kept) == (() if had is None else had.sessions):
            return
        if kept:
            self._missing[day] = MissingEntry(date=day, sessions=tuple(kept))
        else:
            del self._missing[day]
        self._changed.add(day)

    def put_changes(self, change: Change) -> None:
        """What changed since the summary was last written, into the summary's `change`."""
        for day in sorted(self._changed):
            witness = self._missing.get(day)
            if witness is None:
                change.drop("missing", day)
            else:
                change.put("missing", witness)

    def written(self) -> None:
        """The summary holds what changed (or, for a reader, never will: it writes nothing)."""
        self._changed.clear()
