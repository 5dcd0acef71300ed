"""What the data folder holds that is derived from the day files: where each session is, which
are open, whom was seen when, what each closed session came to, and each day's Medicare
amounts (the year so far, for KX). The day files are the only truth; this is a shortcut.

    index/2026.json    each day file of 2026 as derived from it, with the file's stamp
    index/years.json   per year: a digest of its day files' stamps and its open sessions

At open, every day file is stat'ed (not read): a year whose digest differs from what the index
saw (a crash between two writes, a file restored, repaired, removed or edited by hand, an
index lost or damaged) has its changed days derived again, and the user is told once when
that changed what the index said. A reader derives in memory and writes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime, tzinfo
from decimal import Decimal
from uuid import UUID

from core.catalog import Catalog
from core.day import YearToDate, medicare_amounts, session_billing, summarize_day
from core.history import Visit
from core.models import Segment
from core.modifiers import TherapyBucket
from core.session import Session
from storage.documents import DayEntry, OpenEntry, YearEntry
from storage.store import Records, Report, Store, file_stamp

DERIVATION = 1
"""What the index holds and how: another number makes every year derived again."""
LEDGER_KEY = "\t"  # joins patient and bucket; a patient reference cannot hold a tab


def digest(stamps: Iterable[tuple[date, str]]) -> str:
    text = ";".join(f"{day.isoformat()}={stamp}" for day, stamp in sorted(stamps))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def derive_day(day: date, records: Records, stamp: str, now: datetime, catalog: Catalog,
               zone: tzinfo) -> DayEntry:
    """A day file's entry: its sessions, with the totals of the closed ones, and the day's
    Medicare amounts (closed sessions only: an open one is not billed yet)."""
    sessions: list[Session] = sorted(records["sessions"].values(), key=lambda s: s.opened_at)
    segments: dict[UUID, list[Segment]] = {}
    for segment in records["segments"].values():
        segments.setdefault(segment.session_id, []).append(segment)
    closed = [(s, segments.get(s.id, [])) for s in sessions if not s.is_open]
    summary = summarize_day(day, closed, now, catalog, zone)
    amounts = {item.session.id: item.amount for item in summary.sessions}
    entries = []
    for session in sessions:
        totals = {}
        if not session.is_open:
            billing = session_billing(session, segments.get(session.id, []), now, catalog)
            totals = {"timed_minutes": billing.total_timed_minutes,
                      "timed_units": billing.timed_units, "amount": amounts.get(session.id)}
        entries.append(Visit(
            id=session.id, patient=session.patient, discipline=session.discipline,
            payer=session.payer.name, medicare=session.payer.medicare, open=session.is_open,
            **totals))
    medicare = {f"{patient}{LEDGER_KEY}{bucket}": amount
                for (patient, bucket), amount in medicare_amounts(summary).items()}
    return DayEntry(date=day, stamp=stamp, sessions=tuple(entries), medicare=medicare)


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
        self._summary: dict[int, YearEntry] = {}
        self._years: dict[int, dict[date, DayEntry]] = {}
        self._ids: dict[UUID, date] | None = None
        self._stale: set[int] = set()
        """Years whose index file was damaged and moved aside: derived again when read."""
        self._refreshing: set[int] = set()
        self._deferred: dict[int, tuple[dict[date, DayEntry], set[date]]] | None = None

    # ---- keeping them true ---------------------------------------------------------------

    def verify(self) -> int:
        """Derive every day of every year again, whatever the stamps say, and write what
        differed. Returns how many days the index had wrong."""
        return sum(self._refresh(year, everything=True) for year in self.years())

    def open(self) -> int:
        """Check every year against its day files; derive again what changed. Returns how
        many days the index had wrong (0 when it was right)."""
        self._stamps = {day: stamp for day, path in self._store.day_files().items()
                        if (stamp := file_stamp(path)) is not None}
        self._summary = {entry.year: entry for entry in
                         self._store.records(self._store.summary_path(), "years")}
        self._years = {}
        wrong = 0
        for year in sorted({day.year for day in self._stamps} | set(self._summary)):
            entry = self._summary.get(year)
            if (entry is None or entry.version != DERIVATION
                    or entry.digest != digest(self._year_stamps(year).items())):
                wrong += self._refresh(year, entry is None or entry.version != DERIVATION)
        self._tell(wrong)
        return wrong

    def _tell(self, wrong: int) -> None:
        if wrong:
            self._report(f"The index of sessions was rebuilt from the day files: {wrong} "
                         f"day{'s' if wrong != 1 else ''} had changed since it was written.",
                         "warning")

    def day_changed(self, day: date) -> None:
        """A command changed what the index says of `day` (a session opened, closed, reopened,
        imported...): derive its entry again and write it."""
        path = self._store.day_path(day)
        stamp = self._store.written.get(path) or file_stamp(path)
        entries = self.year(day.year)
        old = entries.pop(day, None)
        if stamp is None:
            self._stamps.pop(day, None)
        else:
            self._stamps[day] = stamp
            entries[day] = self._derive(day, self._store.read_once(path), stamp)
        if self._ids is not None:
            for visit in () if old is None else old.sessions:
                self._ids.pop(visit.id, None)
            for visit in () if day not in entries else entries[day].sessions:
                self._ids[visit.id] = day
        self._persist(day.year, changed=[entries[day]] if day in entries else [],
                      removed=[] if day in entries else [day])

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Many days changed in date order (an import): each year's index is written once, when
        the days move past it, and then let go of, so memory holds one year at a time."""
        self._deferred = {}
        try:
            yield
        finally:
            pending, self._deferred = self._deferred, None
            for year, (changed, removed) in sorted(pending.items()):
                self._persist(year, list(changed.values()), sorted(removed))

    def forget_day(self, day: date) -> None:
        """A day file was moved aside: its sessions leave the index until it comes back."""
        if day in self.year(day.year):
            self.day_changed(day)

    def flush(self) -> None:
        """Bring the index up to the day files this process wrote since it last did (timers
        started and stopped change no entry, only the stamp), so that the next start finds
        it current and reads nothing."""
        for path, stamp in sorted(self._store.written.items()):
            if path.parent.parent != self._store.root / "days" or stamp is None:
                continue
            day = date.fromisoformat(path.stem)
            entry = self.year(day.year).get(day)
            if entry is None or entry.stamp != stamp:
                self.day_changed(day)

    def _refresh(self, year: int, everything: bool) -> int:
        self._refreshing.add(year)
        try:
            return self._derive_year(year, everything)
        finally:
            self._refreshing.discard(year)
            self._stale.discard(year)

    def _derive_year(self, year: int, everything: bool) -> int:
        known = self.year(year)
        stamps = self._year_stamps(year)
        fresh: dict[date, DayEntry] = {}
        changed: list[DayEntry] = []
        wrong = 0
        for day, stamp in stamps.items():
            old = known.get(day)
            if old is not None and old.stamp == stamp and not everything:
                fresh[day] = old
                continue
            path = self._store.day_path(day)
            entry = self._derive(day, self._store.read_once(path), stamp)
            if not path.exists():  # moved aside while being read
                self._stamps.pop(day, None)
                continue
            wrong += old is None or not _same(old, entry)
            fresh[day] = entry
            changed.append(entry)
        removed = [day for day in known if day not in fresh]
        self._years[year] = fresh
        self._persist(year, changed=changed, removed=removed)
        return wrong + len(removed)

    def _persist(self, year: int, changed: list[DayEntry], removed: list[date]) -> None:
        if self._deferred is not None:
            for earlier in [y for y in self._deferred if y < year]:
                done, gone = self._deferred.pop(earlier)
                self._persist_now(earlier, list(done.values()), sorted(gone))
                self._years.pop(earlier, None)
            waiting, gone = self._deferred.setdefault(year, ({}, set()))
            waiting.update({entry.date: entry for entry in changed})
            gone.update(removed)
            return
        self._persist_now(year, changed, removed)

    def _persist_now(self, year: int, changed: list[DayEntry], removed: list[date]) -> None:
        entries = self.year(year)
        opened = tuple(OpenEntry(id=s.id, date=day) for day, entry in sorted(entries.items())
                       for s in entry.sessions if s.open)
        summary = YearEntry(year=year, digest=digest((d, e.stamp) for d, e in entries.items()),
                            version=DERIVATION, open=opened)
        self._summary[year] = summary
        if not self._store.writer:
            return  # a reader derives in memory only
        with self._store.change(self._store.index_path(year)) as change:
            for entry in changed:
                change.put("days", entry)
            for day in removed:
                change.drop("days", day)
        with self._store.change(self._store.summary_path()) as change:
            change.put("years", summary)

    def _year_stamps(self, year: int) -> dict[date, str]:
        return {day: stamp for day, stamp in self._stamps.items() if day.year == year}

    # ---- reading them ----------------------------------------------------------------------

    def year(self, year: int) -> dict[date, DayEntry]:
        """The entries of one year, by date (read from its index file the first time)."""
        if year not in self._years:
            path = self._store.index_path(year)
            self._years[year] = {e.date: e for e in self._store.records(path, "days")}
            if year in self._stale and year not in self._refreshing:
                self._stale.discard(year)
                self._tell(self._refresh(year, everything=True))
        return self._years[year]

    def forget_year(self, year: int) -> None:
        """A year's index file was damaged and moved aside: derive it all again."""
        self._stale.add(year)
        self._ids = None

    def years(self) -> list[int]:
        return sorted(set(self._summary) | {day.year for day in self._stamps})

    def open_sessions(self) -> list[OpenEntry]:
        return [entry for year in sorted(self._summary) for entry in self._summary[year].open]

    def date_of(self, session_id: UUID) -> date | None:
        """Where a session is, whatever year it is in (open sessions and the years already
        read first: the full map reads every year's index)."""
        for opened in self.open_sessions():
            if opened.id == session_id:
                return opened.date
        if self._ids is None:
            for entries in self._years.values():
                for day, entry in entries.items():
                    if any(visit.id == session_id for visit in entry.sessions):
                        return day
        return self.session_dates().get(session_id)

    def session_dates(self) -> dict[UUID, date]:
        """Every session's date, from every year's index (read once, then kept up to date)."""
        if self._ids is None:
            ids: dict[UUID, date] = {}
            for year in self.years():
                for entry in self.year(year).values():
                    ids.update((visit.id, entry.date) for visit in entry.sessions)
            self._ids = ids
        return self._ids

    def visits(self, patient: str) -> list[tuple[date, Visit]]:
        """Every session of a patient, oldest first, from the index alone."""
        return [(day, s) for year in self.years() for day, entry in sorted(self.year(year).items())
                for s in entry.sessions if s.patient == patient]

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
