"""The patient index: the index's day entries again, each file holding only the patients whose
reference hashes to it (index/patients/3f.json), so that a patient's history, clocks and year
so far read one small file, not every month.

Derived from the months' entries, never from the day files, and trusted like them through
the seals index/months.json records (storage/sealed.py). The index (storage/indexes.py) tells
it of every day whose entry changed: only the files of the patients that day had or has are
rewritten, by the writer, before the write of index/months.json that records their seals (a
crash in between leaves a file whose seal is not recorded: derived again). A file with no
seal, or no longer its seal, is derived again from the months: in memory by a reader or a
query, on disk by the writer when the index next writes, opens or closes. Many days changed
at once (an import, a rebuild) make the files they touch derived again at the end, in as few
passes over the months as memory allows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from core.care.history import SEALED
from storage import layout
from storage.derive import (
    PATIENT_FILES,
    PATIENT_LAYOUT,
    by_patient_file,
    patient_file,
    patients_cut,
    patients_cuts,
)
from storage.documents import DayEntry, MonthIndexDocument, PatientFileEntry
from storage.sealed import NO_FILE, read_sealed, seal_written
from storage.store import Change, Store

PENDING_DAYS = 400
"""Changed days kept to bring the files up to date; beyond, the files they touch are derived
again from the months instead."""
BYTES_AT_ONCE = 6 * 1024 * 1024
"""Month files' bytes whose entries one pass over the months may hold (about 20,000 visits,
some 60 MB as objects): files are derived again in as many passes as the months are that
many bytes (a million imported rows: 32 MB at once peaked at 475 MB, 8 MB at 317 MB, in
about the same time)."""
EVERY_FILE = tuple(f"{n:02x}" for n in range(PATIENT_FILES))

Entries = dict[date, DayEntry]
Rows = Iterable[dict[str, Any]]
"""A month's day entries as the JSON rows of its index file."""


class PatientIndex:
    """The files of the patient index of one data folder, as `months` (every month's entries
    as rows, oldest first, from the index) says they should be."""

    def __init__(self, store: Store, months: Callable[[], Iterator[Rows]],
                 size: Callable[[], int]) -> None:
        self._store = store
        self._months = months
        self._size = size
        """How many bytes the months' files are (what derived files cost in memory)."""
        self._seals: dict[str, str] = {}
        """Each file's seal as the index wrote it (none: not trusted, derived again)."""
        self._recorded: dict[str, str] = {}
        """What index/months.json says of them."""
        self._putting: dict[str, str] = {}
        self._loaded: dict[str, Entries] = {}
        self._pending: dict[date, DayEntry | None] = {}
        """Days whose entry changed since the files were last written (None: no day file)."""
        self._touched: dict[str, set[date]] = {}
        """Files to write, and the days of each that changed."""
        self._rederive: set[str] = set()
        """Files to derive again from the months, whatever they hold."""
        self._batching = False
        self._writing = False
        self.corrected = 0
        """Files found holding other than the months say, and written again (check says it)."""

    def load(self, recorded: Iterable[PatientFileEntry]) -> None:
        """What index/months.json says (files of another layout are derived again)."""
        self._recorded = {e.bucket: e.seal for e in recorded if e.version == PATIENT_LAYOUT}
        self._seals = dict(self._recorded)
        self._loaded, self._pending, self._touched, self._rederive = {}, {}, {}, set()

    # ---- reading ---------------------------------------------------------------------------

    def files(self, patients: Iterable[str]) -> dict[str, Entries]:
        """The files of the patients (`3f`: its day entries, those of the patients it holds),
        read, or derived in one pass over the months when they cannot be trusted."""
        return self._files({patient_file(patient) for patient in patients})

    def _files(self, buckets: set[str]) -> dict[str, Entries]:
        for bucket in buckets - set(self._loaded):
            found = self._read(bucket)
            if found is not None:
                self._loaded[bucket] = found
        self._loaded.update(self._derive(buckets - set(self._loaded)))
        return {bucket: self._loaded[bucket] for bucket in buckets}

    def _read(self, bucket: str) -> Entries | None:
        """The file as the index wrote it, with the days changed since; None when it cannot
        be trusted (then the writer writes it again at its next write)."""
        found = self._sealed(bucket)
        if found is None:
            if self._seals.pop(bucket, None) is not None:
                self._touched.setdefault(bucket, set())
            return None
        for day in self._touched.get(bucket, ()):
            entry = self._pending[day]
            _put(found, day, None if entry is None else patients_cut(entry, bucket))
        return found

    def _sealed(self, bucket: str) -> Entries | None:
        """The file on disk when it is the one the index wrote."""
        document = read_sealed(layout.patient_index_path(self._store.root, bucket),
                               self._seals.get(bucket), MonthIndexDocument)
        if not isinstance(document, MonthIndexDocument):
            return None
        return {entry.date: entry for entry in document.days.values()}

    def _derive(self, buckets: set[str]) -> dict[str, Entries]:
        """The files' entries from the months, in one pass: only the visits of these files
        are made into models (the months are derived files, trusted: see storage/sealed.py),
        so that a pass over every month for a few files costs little more than reading them."""
        found: dict[str, Entries] = {bucket: {} for bucket in buckets}
        if not buckets:
            return found
        for rows in self._months():
            for row in rows:
                split = by_patient_file(((v["patient"], v) for v in row.get("sessions", ())),
                                        row.get("medicare", {}).items())
                for bucket in split.keys() & buckets:
                    sessions, medicare = split[bucket]
                    cut = DayEntry.model_validate(
                        {**row, "stamp": "", "sessions": sessions, "medicare": medicare},
                        context={SEALED: True})
                    found[bucket][cut.date] = cut
        return found

    # ---- keeping them true -----------------------------------------------------------------

    def changed(self, day: date, old: DayEntry | None, new: DayEntry | None, *,
                untrusted: bool = False) -> None:
        """A day's entry changed (`None`: no entry): the files whose part of it changed;
        every file of either when `old` is `untrusted` (a month file written before a kill
        that the patient files never caught up with)."""
        before, after = _cuts(old), _cuts(new)
        touched = {bucket for bucket in before.keys() | after.keys()
                   if untrusted or before.get(bucket) != after.get(bucket)}
        if not touched:
            return
        self._pending[day] = new
        for bucket in touched:
            self._touched.setdefault(bucket, set()).add(day)
            if bucket in self._loaded:
                _put(self._loaded[bucket], day, after.get(bucket))
        if len(self._pending) > PENDING_DAYS:  # too many to keep: derive those files again
            for bucket, days in self._touched.items():
                self._seals.pop(bucket, None)
                days.clear()
            self._pending = {}

    def rebuild(self, *, everything: bool = False) -> None:
        """Files with no seal (`everything`: every file) are derived again at the next write."""
        for bucket in EVERY_FILE:
            if everything or bucket not in self._seals:
                self._touched.setdefault(bucket, set())
                self._rederive.add(bucket)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many days change in the block: the files are written once, at `write` after it."""
        self._batching = True
        try:
            yield
        finally:
            self._batching = False

    def write(self) -> None:
        """(The writer) Bring the files the changed days touch to disk, before the summary
        that records their seals; nothing while batching."""
        if self._batching or self._writing or not self._touched:
            return
        self._writing = True
        try:
            self.rebuild()  # with any file not trusted yet (a new folder's, one found changed)
            whole = sorted(b for b in self._touched if b not in self._seals or b in
                           self._rederive)
            passes = min(len(whole), -(-self._size() // BYTES_AT_ONCE)) or 1
            for group in (whole[n::passes] for n in range(passes)):
                for bucket, entries in sorted(self._derive(set(group)).items()):
                    self._write_whole(bucket, entries, derived=True)
            while self._touched:
                bucket = min(self._touched)
                entries = self._files({bucket})[bucket]  # with the days changed since
                if bucket in self._seals:
                    self._write_days(bucket, entries, self._touched.pop(bucket))
                else:  # found changed on disk when read
                    self._write_whole(bucket, entries)
            self._pending = {}
        finally:
            self._writing = False

    def _write_days(self, bucket: str, entries: Entries, days: set[date]) -> None:
        """A trusted file, with the days changed since it was written."""
        path = layout.patient_index_path(self._store.root, bucket)
        with self._store.change(path) as change:
            for day in sorted(days):
                if day in entries:
                    change.put("days", entries[day])
                else:
                    change.drop("days", day)
        self._sign(bucket)

    def _write_whole(self, bucket: str, entries: Entries, *, derived: bool = False) -> None:
        """A file as it should be, whatever it holds now: left as it is when it is the one
        the index wrote and holds just that, else written again (what differs). `derived`:
        the entries are `_derive`'s, made by the model as a sealed read makes them (not
        validated again)."""
        self._touched.pop(bucket, None)
        self._rederive.discard(bucket)
        self._loaded.pop(bucket, None)  # read again when needed: memory stays bounded
        if self._sealed(bucket) == entries:
            return
        path = layout.patient_index_path(self._store.root, bucket)
        if not path.exists():
            if not entries:
                self._seals[bucket] = NO_FILE
                return
        else:
            self.corrected += 1
        with self._store.change(path) as change:
            kept = self._store.tables(path)["days"]  # validated (or moved aside if damaged)
            for key in kept:
                if date.fromisoformat(key) not in entries:
                    change.drop("days", key)
            differ = [e for day, e in entries.items() if kept.get(day.isoformat()) != e]
            for entry in differ or list(entries.values())[:1]:  # written, so that it is sealed
                (change.put_valid if derived else change.put)("days", entry)
        self._sign(bucket)

    def _sign(self, bucket: str) -> None:
        seal = seal_written(self._store, layout.patient_index_path(self._store.root, bucket))
        if seal is None:
            self._seals.pop(bucket, None)
        else:
            self._seals[bucket] = seal

    def put_changes(self, change: Change) -> None:
        """What index/months.json must say now, into its `change`: the seal of each file that
        is up to date on disk; none for a file the changed days still have to reach."""
        self._putting = {b: s for b, s in self._seals.items() if b not in self._touched}
        for bucket in sorted(set(self._recorded) - set(self._putting)):
            change.drop("patients", bucket)
        for bucket, seal in sorted(self._putting.items()):
            if self._recorded.get(bucket) != seal:
                change.put("patients", PatientFileEntry(bucket=bucket, version=PATIENT_LAYOUT,
                                                        seal=seal))

    def written(self) -> None:
        """index/months.json now says what `put_changes` gave it."""
        self._recorded = self._putting

    @property
    def behind(self) -> bool:
        """Whether some file is not yet what it should be on disk (the writer writes it)."""
        return bool(self._touched)


def _cuts(entry: DayEntry | None) -> dict[str, DayEntry]:
    return {} if entry is None else patients_cuts(entry)


def _put(entries: Entries, day: date, cut: DayEntry | None) -> None:
    """A day of one file as its `cut` gives it (none when it has none of the file's
    patients)."""
    if cut is None:
        entries.pop(day, None)
    else:
        entries[day] = cut
