"""What the index derives from a day file, and how its entries are keyed: a day's entry (its
sessions, the totals of the closed ones, the day's Medicare amounts), the sessions a day file
records deleting, the month a day belongs to and the digest of a month's stamps, the file of
the patient index a patient's entries are in and a day's entry cut down to that file's
patients.

Pure functions of what a day file holds: the index (storage/indexes.py) decides when to call
them and keeps what they return.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import TypeVar
from uuid import UUID

from core.audit import Action
from core.billing.day import bill_day, medicare_amounts
from core.billing.modifiers import TherapyBucket
from core.care.history import Visit, visit_of
from core.catalog import Catalog
from core.models import Segment
from core.session import in_day_order
from storage.document_storage import Records
from storage.documents import DayEntry

DERIVATION = 4
"""What the index holds and how: another number makes every month derived again (4: each
visit's billed units and whether it was pooled)."""
LEDGER_KEY = "\t"  # joins patient and bucket; a patient reference cannot hold a tab
PATIENT_FILES = 256
"""Files of the patient index: a few patients each, so that one patient's history reads one
small file and a day's patients a few, while a rebuild writes a bounded number of files."""
PATIENT_LAYOUT = 1
"""How patients are spread over those files: another number derives them all again."""
T = TypeVar("T")
A = TypeVar("A")


def digest(stamps: Iterable[tuple[date, str]]) -> str:
    text = ";".join(f"{day.isoformat()}={stamp}" for day, stamp in sorted(stamps))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def month_of(day: date) -> str:
    """The index's unit: `2026-03`."""
    return f"{day.year:04d}-{day.month:02d}"


def in_month(stamps: dict[date, str], month: str) -> dict[date, str]:
    """The stamps of the days of `month`."""
    first = date(int(month[:4]), int(month[5:]), 1)
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return {day: stamp for day, stamp in stamps.items() if first <= day < after}


@cache
def patient_file(patient: str) -> str:
    """The file of the patient index that holds a patient's entries: `3f`, from a digest of
    the reference (stable across runs, unlike hash())."""
    number = int.from_bytes(hashlib.sha256(patient.encode()).digest()[:4], "big")
    return f"{number % PATIENT_FILES:02x}"


def by_patient_file(sessions: Iterable[tuple[str, T]], medicare: Iterable[tuple[str, A]]
                    ) -> dict[str, tuple[list[T], dict[str, A]]]:
    """A day's sessions (by patient) and Medicare amounts (by `patient<TAB>bucket`) sorted
    into the files of the patient index their patients are in, in one pass (a day of 40
    patients in 40 files)."""
    found: dict[str, tuple[list[T], dict[str, A]]] = {}
    for patient, session in sessions:
        found.setdefault(patient_file(patient), ([], {}))[0].append(session)
    for key, amount in medicare:
        found.setdefault(patient_file(key.partition(LEDGER_KEY)[0]), ([], {}))[1][key] = amount
    return found


def patients_cuts(entry: DayEntry) -> dict[str, DayEntry]:
    """A day's entry cut down to each file of the patient index it has patients in: only the
    sessions and Medicare amounts of that file's patients. Without the day file's stamp:
    those files are kept true by being written with the months, and a timer started (a new
    stamp, the same sessions) does not rewrite them."""
    split = by_patient_file(((v.patient, v) for v in entry.sessions), entry.medicare.items())
    return {bucket: _cut(entry, *split[bucket]) for bucket in sorted(split)}


def patients_cut(entry: DayEntry, bucket: str) -> DayEntry | None:
    """A day's entry cut down to the patients of one file (`patients_cuts`); None when it has
    none of them."""
    split = by_patient_file(((v.patient, v) for v in entry.sessions), entry.medicare.items())
    return _cut(entry, *split[bucket]) if bucket in split else None


def _cut(entry: DayEntry, sessions: list[Visit], medicare: dict[str, Decimal]) -> DayEntry:
    return entry.model_copy(update={"stamp": "", "sessions": tuple(sessions),
                                    "medicare": medicare})


def derive_day(day: date, records: Records, stamp: str, now: datetime, catalog: Catalog
               ) -> DayEntry:
    """A day file's entry: its sessions, with the totals of the closed ones, and the day's
    Medicare amounts (closed sessions only: an open one is not billed yet)."""
    segments: dict[UUID, list[Segment]] = {}
    for segment in records["segments"].values():
        segments.setdefault(segment.session_id, []).append(segment)
    # The closed sessions billed and listed as every other reader has them (in_day_order:
    # their segments change only once reopened), the open ones after them by opening time
    # (a start in an open session changes no entry).
    closed = in_day_order((s, segments.get(s.id, [])) for s in records["sessions"].values()
                          if not s.is_open)
    billed = bill_day(closed, now, catalog)
    sessions = [s for s, _ in closed] + sorted(
        (s for s in records["sessions"].values() if s.is_open), key=lambda s: s.opened_at)
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


def medicare_of(entry: DayEntry) -> Iterator[tuple[str, TherapyBucket, Decimal]]:
    """A day's Medicare amounts as (patient, KX bucket, amount)."""
    for key, amount in entry.medicare.items():
        patient, bucket = key.split(LEDGER_KEY)
        yield patient, TherapyBucket(bucket), amount


def deleted_sessions(records: Records) -> set[UUID]:
    """Sessions a day file records deleting (through Tabletime, not brought back)."""
    return {entry.session_id for entry in records["audit"].values()
            if entry.action is Action.DELETE and entry.segment_id is None and not entry.undone}


def same_content(a: DayEntry, b: DayEntry) -> bool:
    """The same content, whatever the stamps."""
    return a.model_copy(update={"stamp": ""}) == b.model_copy(update={"stamp": ""})
