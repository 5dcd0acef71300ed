"""What the data folder holds that is derived from the day files: where each session is, which
are open, whom was seen when, what each closed session came to, and each day's Medicare
amounts (the year so far, for KX). The day files are the only truth; this is a shortcut.

    index/2026-03.json        each day file of March 2026 as derived from it, with its stamp
    index/patients/3f.json    the same entries, of the patients hashed to 3f only
    index/months.json         per month: a digest of its day files' stamps, its open sessions
                              and its file's seal; the seals of the patient index's files

A month, not a year, so that what a new or closed session rewrites stays small in December.
At open, every day file is stat'ed (not read): a month whose digest differs from what the index
saw (a crash between two writes, a file restored, repaired, removed or edited by hand, an
index lost or damaged) has its changed days derived again, and the user is told once when
that changed what the index said. A reader derives in memory and writes nothing.

Its files are derived, and read as such: a month file (or a patient file) whose content still
has the seal index/months.json recorded is read without the checks of untrusted text; one
that does not (changed by hand, damaged, cut short) is derived again from the day files, and
one of an earlier Tabletime (no seal) validated field by field, then sealed by the writer.

What a day file gives is derived in storage/derive.py; the index is also a witness of the
sessions day files lost (storage/witness.py), and it keeps the patient index
(storage/patient_index.py). The reads of whom was seen when are the queries'
(storage/queries.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from core.billing.day import YearToDate
from core.billing.modifiers import TherapyBucket
from core.text import plural
from storage import layout
from storage.derive import (
    DERIVATION,
    deleted_sessions,
    digest,
    in_month,
    medicare_of,
    month_of,
    same_content,
)
from storage.document_storage import Records, Report
from storage.documents import DayEntry, MissingEntry, MonthEntry, MonthIndexDocument, OpenEntry
from storage.patient_index import PatientIndex
from storage.sealed import read_sealed, seal_written, sealed_rows
from storage.store import Store, file_stamp
from storage.witness import Witness

Derive = Callable[[date, Records, str], DayEntry]


LONG_REBUILD_DAYS = 100
"""Day files to derive again at an open from which the wait is said first (about 2 s)."""


class Indexes:
    """The derived indexes of one data folder, kept right in memory by the store's commands
    and written (by a writer) whenever what they say changes."""

    def __init__(self, store: Store, derive: Derive, report: Report) -> None:
        self._store = store
        self._derive = derive
        self._report = report
        self._stamps: dict[date, str] = {}
        self._summary: dict[str, MonthEntry] = {}
        self._months: dict[str, dict[date, DayEntry]] = {}
        self._ids: dict[UUID, date] | None = None
        self._stale: set[str] = set()
        """Months whose index file was damaged and moved aside: derived again when read."""
        self._refreshing: set[str] = set()
        self._deferred: dict[str, tuple[dict[date, DayEntry], set[date]]] | None = None
        self.witness = Witness(store, report)
        self.patients = PatientIndex(store, self._every_month, self._months_size)

    # ---- keeping them true ---------------------------------------------------------------

    def verify(self) -> int:
        """Derive every day of every month again, whatever the stamps say, and write what
        differed (the patient index with it). Returns how many days the index had wrong."""
        with self._batched():
            wrong = sum(self._refresh(month, everything=True) for month in self.months())
            if self._summary:
                self.patients.rebuild(everything=True)
        return wrong

    def open(self, before_long: Callable[[int], None] | None = None) -> int:
        """Check every month against its day files; derive again what changed. Returns how
        many days the index had wrong (0 when it was right). `before_long` is told how many
        day files are to be read first when they are LONG_REBUILD_DAYS or more (a folder
        copied or restored: every stamp changed), before the wait it means."""
        self._stamps = self._store.day_stamps()
        none_before = not self._store.summary_path().exists()
        self._summary = {entry.month: entry for entry in
                         self._store.records(self._store.summary_path(), "months")}
        self.witness.load()
        self.patients.load(self._store.records(self._store.summary_path(), "patients"))
        self._months = {}
        by_month: dict[str, list[tuple[date, str]]] = {month: [] for month in self._summary}
        for day, stamp in self._stamps.items():
            by_month.setdefault(month_of(day), []).append((day, stamp))
        changed = [(month, entry is None or entry.version != DERIVATION)
                   for month, stamps in sorted(by_month.items())
                   if (entry := self._summary.get(month)) is None
                   or entry.version != DERIVATION or entry.digest != digest(stamps)]
        days = sum(len(by_month[month]) for month, _ in changed)
        said = False
        if before_long is not None and days >= LONG_REBUILD_DAYS and self._store.saves:
            before_long(days)
            said = True
        wrong = 0
        with self._batched():
            for month, everything in changed:
                wrong += self._refresh(month, everything)
            self._seal_earlier()
        if not (said and none_before):  # an index built where there was none, said before
            self._tell(wrong, none_before=none_before)
        self.witness.tell()
        return wrong

    def _seal_earlier(self) -> None:
        """(The writer) Month files of an earlier Tabletime, which has no seal for them, are
        written again to be sealed, and the patient index is derived where it has none."""
        if not self._store.saves or not self._summary:
            return
        for month in sorted(m for m, entry in self._summary.items() if entry.seal is None):
            self._persist(month, changed=list(self.month(month).values()), removed=[])
        self.patients.rebuild()

    @contextmanager
    def _batched(self) -> Iterator[None]:
        """Many days may change in the block: the patient index is written once, after it."""
        with self.patients.batch():
            yield
        self._write_patients()

    def missing(self) -> list[MissingEntry]:
        """The witness: each date whose day file lost sessions the index knew, oldest first."""
        return self.witness.missing()

    def _tell(self, wrong: int, *, none_before: bool = False) -> None:
        """Said by a writer, which rebuilds the index on disk; a reader derives in memory what
        it needs each time, which is nothing to tell. An index that was not there at all (a
        restore, index/ deleted) is no warning: nothing had gone wrong with it."""
        if not wrong or not self._store.writer:
            return
        if none_before:
            self._report(f"The index of sessions was rebuilt from the day files "
                         f"({plural(wrong, 'day')}): there was none.", "information")
        else:
            self._report(f"The index of sessions was rebuilt from the day files: "
                         f"{plural(wrong, 'day')} had changed since it was written.", "warning")

    def day_changed(self, day: date) -> None:
        """A command changed what the index says of `day` (a session opened, closed, reopened,
        imported...): derive its entry again (from the records the store keeps: the file is
        not read again) and write it."""
        path = self._store.day_path(day)
        stamp = self._store.written.get(path) or file_stamp(path)
        entries = self.month(month_of(day))
        old = entries.pop(day, None)
        if stamp is None:
            self._stamps.pop(day, None)
        else:
            self._stamps[day] = stamp
            entries[day] = self._derive(day, self._store.read_once(path), stamp)
            if self.witness.knows(day):  # a command brought a missing session back (an import)
                self.witness.saw(day, None, entries[day], set())
        self.patients.changed(day, old, entries.get(day))
        if self._ids is not None:
            for visit in () if old is None else old.sessions:
                self._ids.pop(visit.id, None)
            for visit in () if day not in entries else entries[day].sessions:
                self._ids[visit.id] = day
        self._persist(month_of(day), changed=[entries[day]] if day in entries else [],
                      removed=[] if day in entries else [day])

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Many days changed in date order (an import): each month's index is written once,
        when the days move past it, and then let go of, so memory holds one month at a time;
        the patient index when the folder closes, once what the import held is let go of.
        The map of every session's date is let go of too (it would grow with the import):
        read again from the months when next asked."""
        with self.patients.batch():
            self._deferred = {}
            self._ids = None
            try:
                yield
            finally:
                pending, self._deferred = self._deferred, None
                for month, (changed, removed) in sorted(pending.items()):
                    self._persist(month, list(changed.values()), sorted(removed))

    def forget_day(self, day: date) -> None:
        """A day file was moved aside: its sessions leave the index, missing until it is
        repaired and put back."""
        entries = self.month(month_of(day))
        if day in entries:
            self.witness.saw(day, entries[day], None, set())
            self.day_changed(day)

    def flush(self) -> None:
        """Bring the index up to the day files this process wrote since it last did (timers
        started and stopped change no entry, only the stamp), so that the next start finds
        it current and reads nothing."""
        written: dict[str, dict[date, str]] = {}
        for path, stamp in self._store.written.items():
            day = layout.day_of(self._store.root, path)
            if day is not None and stamp is not None:
                written.setdefault(month_of(day), {})[day] = stamp
        for month, stamps in sorted(written.items()):
            entries = self._peek(month)
            for day, stamp in sorted(stamps.items()):
                entry = entries.get(day)
                if entry is None or entry.stamp != stamp:
                    self.day_changed(day)
        self._write_patients()  # a file a query found changed, say

    def _refresh(self, month: str, everything: bool) -> int:
        """Derive again the days of `month` whose stamp changed (`everything`: every day);
        returns how many the index had wrong."""
        self._refreshing.add(month)
        try:
            known = self.month(month)
            untrusted = month in self._stale  # its file changed since the index wrote it:
            everything = everything or untrusted  # its stamps and entries are not evidence
            fresh: dict[date, DayEntry] = {}
            changed: list[DayEntry] = []
            wrong = 0
            for day, stamp in in_month(self._stamps, month).items():
                old = known.get(day)
                if old is not None and old.stamp == stamp and not everything:
                    fresh[day] = old
                    continue
                path = self._store.day_path(day)
                records = self._store.read_once(path)
                entry = self._derive(day, records, stamp)
                if not path.exists():  # moved aside while being read
                    self._stamps.pop(day, None)
                    continue
                self.witness.saw(day, old, entry, deleted_sessions(records))
                self.patients.changed(day, old, entry, untrusted=untrusted)
                wrong += old is None or not same_content(old, entry)
                fresh[day] = entry
                changed.append(entry)
            removed = [day for day in known if day not in fresh]
            for day in removed:  # its day file is gone
                self.witness.saw(day, known[day], None, set())
                self.patients.changed(day, known[day], None, untrusted=untrusted)
            self._months[month] = fresh
            self._persist(month, changed=changed, removed=removed)
            return wrong + len(removed)
        finally:
            self._refreshing.discard(month)
            self._stale.discard(month)

    def _persist(self, month: str, changed: list[DayEntry], removed: list[date]) -> None:
        if self._deferred is not None:
            for earlier in [m for m in self._deferred if m < month]:
                done, gone = self._deferred.pop(earlier)
                self._persist_now(earlier, list(done.values()), sorted(gone))
                self._months.pop(earlier, None)
            waiting, gone = self._deferred.setdefault(month, ({}, set()))
            waiting.update({entry.date: entry for entry in changed})
            gone.update(removed)
            return
        self._persist_now(month, changed, removed)

    def _persist_now(self, month: str, changed: list[DayEntry], removed: list[date]) -> None:
        entries = self.month(month)
        opened = tuple(OpenEntry(id=s.id, date=day) for day, entry in sorted(entries.items())
                       for s in entry.sessions if s.open)
        earlier = self._summary.get(month)
        summary = MonthEntry(month=month,
                             digest=digest((d, e.stamp) for d, e in entries.items()),
                             version=DERIVATION, open=opened,
                             seal=None if earlier is None else earlier.seal)
        if not self._store.saves:
            self._summary[month] = summary  # a reader derives in memory only
            self.witness.written()
            return
        path = self._store.index_path(month)
        with self._store.change(path) as change:
            for entry in changed:  # derived by the constructor, or read and validated
                change.put_valid("days", entry)
            for day in removed:
                change.drop("days", day)
        self._summary[month] = summary.model_copy(update={"seal": seal_written(self._store,
                                                                               path)})
        self.patients.write()
        self._write_summary([self._summary[month]])

    def _write_patients(self) -> None:
        """(The writer) The files of the patient index not yet what they should be, and their
        seals."""
        if self.patients.behind and self._store.saves:
            self.patients.write()
            self._write_summary([])

    def _write_summary(self, months: list[MonthEntry]) -> None:
        """index/months.json: the months given, what the witness and the patient index say."""
        with self._store.change(self._store.summary_path()) as change:
            for entry in months:
                change.put("months", entry)
            self.witness.put_changes(change)
            self.patients.put_changes(change)
        self.witness.written()
        self.patients.written()

    # ---- reading them ----------------------------------------------------------------------

    def month(self, month: str) -> dict[date, DayEntry]:
        """The entries of one month, by date (read from its index file the first time; derived
        again from the day files when that file is not the one the index wrote)."""
        if month not in self._months:
            found = self._sealed_month(month)
            if found is None:
                path = self._store.index_path(month)
                found = {e.date: e for e in self._store.records(path, "days")}
                if self._sealed(month):  # changed since it was written: not trusted
                    self._stale.add(month)
            self._months[month] = found
            if month in self._stale and month not in self._refreshing:
                self._tell(self._refresh(month, everything=True))  # takes it off _stale
        return self._months[month]

    def _peek(self, month: str) -> dict[date, DayEntry]:
        """A month's entries without keeping them when they were not kept already (a pass
        over every month, as an import's or a close's, holds one month at a time)."""
        if month in self._months or month in self._stale:
            return self.month(month)
        found = self._sealed_month(month)
        if found is not None:
            return found
        if self._sealed(month):
            return self.month(month)
        return {e.date: e for e in self._store.read_once(self._store.index_path(month))
                .get("days", {}).values()}

    def _sealed(self, month: str) -> bool:
        """Whether the index recorded the seal of the month's file."""
        entry = self._summary.get(month)
        return entry is not None and entry.seal is not None

    def _sealed_month(self, month: str) -> dict[date, DayEntry] | None:
        """The month's file as the index wrote it; None when that cannot be proven."""
        entry = self._summary.get(month)
        document = read_sealed(self._store.index_path(month),
                               None if entry is None else entry.seal, MonthIndexDocument)
        if not isinstance(document, MonthIndexDocument):
            return None
        return {e.date: e for e in document.days.values()}

    def _months_size(self) -> int:
        """How many bytes every month's index file is."""
        size = 0
        for month in self.months():
            with contextlib.suppress(FileNotFoundError):
                size += self._store.index_path(month).stat().st_size
        return size

    def _every_month(self) -> Iterator[list[dict[str, Any]]]:
        """Every month's entries as JSON rows, oldest first, one month at a time (what the
        patient index is derived from): a month file with its seal is parsed, not made into
        models (a pass over every month for a few patients' files, many passes after an
        import of a million rows)."""
        for month in self.months():
            rows = None
            if month not in self._months and month not in self._stale:
                entry = self._summary.get(month)
                rows = sealed_rows(self._store.index_path(month),
                                   None if entry is None else entry.seal, MonthIndexDocument,
                                   "days")
            yield rows if rows is not None else [
                entry.model_dump(mode="json") for entry in self._peek(month).values()]

    def patient_files(self, patients: Iterable[str]) -> dict[str, dict[date, DayEntry]]:
        """The patients' files of the patient index, by name (`patient_file`): each file's
        day entries, those of the few patients it holds (filter them by patient)."""
        return self.patients.files(patients)

    def year(self, year: int) -> dict[date, DayEntry]:
        """The entries of one year, by date."""
        return {day: entry for month in self.months() if month.startswith(f"{year:04d}-")
                for day, entry in self.month(month).items()}

    def forget_month(self, month: str) -> None:
        """A month's index file was damaged and moved aside: derive it all again."""
        self._stale.add(month)
        self._ids = None

    def months(self) -> list[str]:
        return sorted(set(self._summary) | {month_of(day) for day in self._stamps})

    def open_sessions(self) -> list[OpenEntry]:
        return [entry for month in sorted(self._summary) for entry in self._summary[month].open]

    def date_of(self, session_id: UUID) -> date | None:
        """Where a session is, whatever month it is in (open sessions and the months already
        read first: the full map reads every month's index)."""
        for opened in self.open_sessions():
            if opened.id == session_id:
                return opened.date
        if self._ids is None:
            for entries in self._months.values():
                for day, entry in entries.items():
                    if any(visit.id == session_id for visit in entry.sessions):
                        return day
        return self.session_dates().get(session_id)

    def session_dates(self) -> dict[UUID, date]:
        """Every session's date, from every month's index (read once, then kept up to date)."""
        if self._ids is None:
            ids: dict[UUID, date] = {}
            for month in self.months():
                for entry in self._peek(month).values():
                    ids.update((visit.id, entry.date) for visit in entry.sessions)
            self._ids = ids
        return self._ids


def year_to_date(entries: Iterable[DayEntry], before: date) -> YearToDate:
    """Each patient's Medicare amount per KX bucket in `entries` before a date: the one
    year-to-date that the day summary, the claim lines and the history all use."""
    totals: YearToDate = {}
    for entry in entries:
        if entry.date < before:
            for patient, bucket, amount in medicare_of(entry):
                totals[(patient, bucket)] = totals.get((patient, bucket), Decimal(0)) + amount
    return totals


def medicare_by_day(entries: Mapping[date, DayEntry], patient: str
                    ) -> dict[date, dict[TherapyBucket, Decimal]]:
    """A patient's Medicare amounts per bucket on each date of the year."""
    found: dict[date, dict[TherapyBucket, Decimal]] = {}
    for day, entry in sorted(entries.items()):
        for who, bucket, amount in medicare_of(entry):
            if who == patient:
                found.setdefault(day, {})[bucket] = amount
    return found
