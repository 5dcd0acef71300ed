"""What the data folder holds that is derived from the day files: where each session is, which
are open, whom was seen when, what each closed session came to, and each day's Medicare
amounts (the year so far, for KX). The day files are the only truth; this is a shortcut.

    index/2026-03.json   each day file of March 2026 as derived from it, with the file's stamp
    index/months.json    per month: a digest of its day files' stamps and its open sessions

A month, not a year, so that what a new or closed session rewrites stays small in December.
At open, every day file is stat'ed (not read): a month whose digest differs from what the index
saw (a crash between two writes, a file restored, repaired, removed or edited by hand, an
index lost or damaged) has its changed days derived again, and the user is told once when
that changed what the index said. A reader derives in memory and writes nothing.

The index is also a witness: sessions it knew that a day file derived again no longer holds,
and does not record deleting (a file reduced to `{}` by a sync conflict, removed, moved aside),
are kept as missing in index/months.json and said at every open, by date, count and patient,
until they come back or the user accepts the loss (`tabletime check --accept-missing`). The
day file is left as it is. Deleting index/ stays safe: nothing is derived from a witness, and
with no index to compare, nothing is missing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from core.audit import Action
from core.billing.day import YearToDate, bill_day, medicare_amounts
from core.billing.modifiers import TherapyBucket
from core.care.history import Visit, visit_of
from core.catalog import Catalog
from core.models import Segment
from core.session import Session
from core.text import plural, printable
from storage import layout
from storage.document_storage import Records, Report
from storage.documents import DayEntry, MissingEntry, MonthEntry, OpenEntry
from storage.store import Store, file_stamp

DERIVATION = 4
"""What the index holds and how: another number makes every month derived again (4: each
visit's billed units and whether it was pooled)."""
LEDGER_KEY = "\t"  # joins patient and bucket; a patient reference cannot hold a tab
MISSING_TOLD = 5
"""Dates with missing sessions named at an open; beyond that, a count (check lists them)."""


def digest(stamps: Iterable[tuple[date, str]]) -> str:
    text = ";".join(f"{day.isoformat()}={stamp}" for day, stamp in sorted(stamps))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def month_of(day: date) -> str:
    """The index's unit: `2026-03`."""
    return f"{day.year:04d}-{day.month:02d}"


def derive_day(day: date, records: Records, stamp: str, now: datetime, catalog: Catalog
               ) -> DayEntry:
    """A day file's entry: its sessions, with the totals of the closed ones, and the day's
    Medicare amounts (closed sessions only: an open one is not billed yet)."""
    sessions: list[Session] = sorted(records["sessions"].values(), key=lambda s: s.opened_at)
    segments: dict[UUID, list[Segment]] = {}
    for segment in records["segments"].values():
        segments.setdefault(segment.session_id, []).append(segment)
    closed = [(s, segments.get(s.id, [])) for s in sessions if not s.is_open]
    billed = bill_day(closed, now, catalog)
    entries = []
    for session in sessions:
        if session.is_open:  # a treatment day until it closes without minutes: its segments
            entries.append(visit_of(session, True))  # change without touching the index
            continue
        billing = billed.billings[session.id]
        entries.append(visit_of(session, billing.total_treatment_minutes > 0,
                                billing.total_timed_minutes, billing.timed_units,
                                billed.amounts.get(session.id),
                                units=billed.units.get(session.id),
                                pooled=session.id not in billed.units))
    medicare = {f"{patient}{LEDGER_KEY}{bucket}": amount
                for (patient, bucket), amount in medicare_amounts(billed.rows).items()}
    return DayEntry(date=day, stamp=stamp, sessions=tuple(entries), medicare=medicare)


def deleted_sessions(records: Records) -> set[UUID]:
    """Sessions a day file records deleting (through Tabletime, not brought back)."""
    return {entry.session_id for entry in records["audit"].values()
            if entry.action is Action.DELETE and entry.segment_id is None and not entry.undone}


def missing_text(entry: MissingEntry, path: object) -> str:
    """What a witness says: the date, how many sessions, whose, and what to do."""
    count = len(entry.sessions)
    patients = ", ".join(sorted({visit.patient for visit in entry.sessions}))
    return (f"{entry.date}: {plural(count, 'session')} the index knew "
            f"{'is' if count == 1 else 'are'} missing from {printable(str(path))} ({patients}); "
            "the file was left as it is: put them back (from a backup), or accept the loss "
            "with tabletime check --accept-missing")


def _same(a: DayEntry, b: DayEntry) -> bool:
    """The same content, whatever the stamps."""
    return a.model_copy(update={"stamp": ""}) == b.model_copy(update={"stamp": ""})


Derive = Callable[[date, Records, str], DayEntry]


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
        self._missing: dict[date, MissingEntry] = {}
        self._missing_changed: set[date] = set()
        """Dates whose witness changed since the summary was last written."""

    # ---- keeping them true ---------------------------------------------------------------

    def verify(self) -> int:
        """Derive every day of every month again, whatever the stamps say, and write what
        differed. Returns how many days the index had wrong."""
        return sum(self._refresh(month, everything=True) for month in self.months())

    def open(self) -> int:
        """Check every month against its day files; derive again what changed. Returns how
        many days the index had wrong (0 when it was right)."""
        self._stamps = {day: stamp for day, path in self._store.day_files().items()
                        if (stamp := file_stamp(path)) is not None}
        self._summary = {entry.month: entry for entry in
                         self._store.records(self._store.summary_path(), "months")}
        self._missing = {entry.date: entry for entry in
                         self._store.records(self._store.summary_path(), "missing")}
        self._months = {}
        by_month: dict[str, list[tuple[date, str]]] = {month: [] for month in self._summary}
        for day, stamp in self._stamps.items():
            by_month.setdefault(month_of(day), []).append((day, stamp))
        wrong = 0
        for month, stamps in sorted(by_month.items()):
            entry = self._summary.get(month)
            if (entry is None or entry.version != DERIVATION
                    or entry.digest != digest(stamps)):
                wrong += self._refresh(month, entry is None or entry.version != DERIVATION)
        self._tell(wrong)
        self._tell_missing()
        return wrong

    def _tell_missing(self) -> None:
        entries = self.missing()
        for entry in entries[:MISSING_TOLD]:
            self._report(missing_text(entry, self._store.day_path(entry.date)), "error")
        if len(entries) > MISSING_TOLD:
            more = entries[MISSING_TOLD:]
            self._report(f"and {plural(sum(len(e.sessions) for e in more), 'session')} more "
                         f"missing on {plural(len(more), 'other day')} (tabletime check lists "
                         "them)", "error")

    def missing(self) -> list[MissingEntry]:
        """The witness: each date whose day file lost sessions the index knew, oldest first."""
        return [self._missing[day] for day in sorted(self._missing)]

    def accept_missing(self) -> list[MissingEntry]:
        """The user accepts the loss: the witness lets go of every missing session."""
        accepted = self.missing()
        if accepted and self._store.saves:
            with self._store.change(self._store.summary_path()) as change:
                for entry in accepted:
                    change.drop("missing", entry.date)
        self._missing = {}
        self._missing_changed.clear()
        return accepted

    def _witness(self, day: date, old: DayEntry | None, new: DayEntry | None,
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
        self._missing_changed.add(day)

    def _tell(self, wrong: int) -> None:
        """Said by a writer, which rebuilds the index on disk; a reader derives in memory what
        it needs each time, which is nothing to tell."""
        if wrong and self._store.writer:
            self._report(f"The index of sessions was rebuilt from the day files: {wrong} "
                         f"day{'s' if wrong != 1 else ''} had changed since it was written.",
                         "warning")

    def day_changed(self, day: date) -> None:
        """A command changed what the index says of `day` (a session opened, closed, reopened,
        imported...): derive its entry again and write it."""
        path = self._store.day_path(day)
        stamp = self._store.written.get(path) or file_stamp(path)
        entries = self.month(month_of(day))
        old = entries.pop(day, None)
        if stamp is None:
            self._stamps.pop(day, None)
        else:
            self._stamps[day] = stamp
            entries[day] = self._derive(day, self._store.read_once(path), stamp)
            if day in self._missing:  # a command brought a missing session back (an import)
                self._witness(day, None, entries[day], set())
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
        when the days move past it, and then let go of, so memory holds one month at a time."""
        self._deferred = {}
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
            self._witness(day, entries[day], None, set())
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

    def _refresh(self, month: str, everything: bool) -> int:
        self._refreshing.add(month)
        try:
            return self._derive_month(month, everything)
        finally:
            self._refreshing.discard(month)
            self._stale.discard(month)

    def _derive_month(self, month: str, everything: bool) -> int:
        known = self.month(month)
        stamps = self._month_stamps(month)
        fresh: dict[date, DayEntry] = {}
        changed: list[DayEntry] = []
        wrong = 0
        for day, stamp in stamps.items():
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
            self._witness(day, old, entry, deleted_sessions(records))
            wrong += old is None or not _same(old, entry)
            fresh[day] = entry
            changed.append(entry)
        removed = [day for day in known if day not in fresh]
        for day in removed:  # its day file is gone
            self._witness(day, known[day], None, set())
        self._months[month] = fresh
        self._persist(month, changed=changed, removed=removed)
        return wrong + len(removed)

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
        summary = MonthEntry(month=month,
                             digest=digest((d, e.stamp) for d, e in entries.items()),
                             version=DERIVATION, open=opened)
        self._summary[month] = summary
        if not self._store.saves:
            self._missing_changed.clear()
            return  # a reader derives in memory only
        with self._store.change(self._store.index_path(month)) as change:
            for entry in changed:
                change.put("days", entry)
            for day in removed:
                change.drop("days", day)
        with self._store.change(self._store.summary_path()) as change:
            change.put("months", summary)
            for day in sorted(self._missing_changed):
                witness = self._missing.get(day)
                if witness is None:
                    change.drop("missing", day)
                else:
                    change.put("missing", witness)
        self._missing_changed.clear()

    def _month_stamps(self, month: str) -> dict[date, str]:
        first = date(int(month[:4]), int(month[5:]), 1)
        after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return {day: stamp for day, stamp in self._stamps.items() if first <= day < after}

    # ---- reading them ----------------------------------------------------------------------

    def month(self, month: str) -> dict[date, DayEntry]:
        """The entries of one month, by date (read from its index file the first time)."""
        if month not in self._months:
            path = self._store.index_path(month)
            self._months[month] = {e.date: e for e in self._store.records(path, "days")}
            if month in self._stale and month not in self._refreshing:
                self._stale.discard(month)
                self._tell(self._refresh(month, everything=True))
        return self._months[month]

    def _peek(self, month: str) -> dict[date, DayEntry]:
        """A month's entries without keeping them when they were not kept already (a pass
        over every month, as an import's or a close's, holds one month at a time)."""
        if month in self._months or month in self._stale:
            return self.month(month)
        return {e.date: e for e in self._store.read_once(self._store.index_path(month))
                .get("days", {}).values()}

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

    def years(self) -> list[int]:
        return sorted({int(month[:4]) for month in self.months()})

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

    def visits(self, patient: str) -> list[tuple[date, Visit]]:
        """Every session of a patient, oldest first, from the index alone."""
        return self.visits_of({patient}).get(patient, [])

    def visits_of(self, patients: set[str], before: date | None = None
                  ) -> dict[str, list[tuple[date, Visit]]]:
        """The sessions of several patients (before a date), oldest first, in one reading."""
        found: dict[str, list[tuple[date, Visit]]] = {}
        last = None if before is None else month_of(before)
        for month in self.months():
            if last is not None and month > last:
                break
            for day, entry in sorted(self.month(month).items()):
                if before is not None and day >= before:
                    break
                for visit in entry.sessions:
                    if visit.patient in patients:
                        found.setdefault(visit.patient, []).append((day, visit))
        return found

    def patients(self, years: Iterable[int]) -> list[str]:
        return sorted({s.patient for year in years for entry in self.year(year).values()
                       for s in entry.sessions})

    def year_to_date(self, day: date) -> YearToDate:
        """Each patient's Medicare amount per KX bucket in `day`'s year, before `day`: the one
        year-to-date that the day summary, the claim lines and the history all use."""
        return year_to_date(self.year(day.year).values(), day)


def year_to_date(entries: Iterable[DayEntry], before: date) -> YearToDate:
    totals: YearToDate = {}
    for entry in entries:
        if entry.date < before:
            for key, amount in entry.medicare.items():
                patient, bucket = key.split(LEDGER_KEY)
                index = (patient, TherapyBucket(bucket))
                totals[index] = totals.get(index, Decimal(0)) + amount
    return totals


def medicare_by_day(entries: Mapping[date, DayEntry], patient: str
                    ) -> dict[date, dict[TherapyBucket, Decimal]]:
    """A patient's Medicare amounts per bucket on each date of the year."""
    found: dict[date, dict[TherapyBucket, Decimal]] = {}
    for day, entry in sorted(entries.items()):
        for key, amount in entry.medicare.items():
            who, bucket = key.split(LEDGER_KEY)
            if who == patient:
                found.setdefault(day, {})[TherapyBucket(bucket)] = amount
    return found
