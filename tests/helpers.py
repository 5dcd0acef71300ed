"""Small conveniences the tests share."""

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from storage.derive import derive_day, patient_file, patients_cut
from storage.documents import DayDocument
from storage.journal import folded, journal_path
from storage.reports import write_segments
from storage.repository import Repository


def export_segments(repo: Repository, first: date | None = None, last: date | None = None
                    ) -> str:
    """The segments CSV as one string (the app and the command line stream it)."""
    out = io.StringIO()
    write_segments(repo, first, last, out)
    return out.getvalue()


def day_on_disk(path: Path) -> dict[str, Any]:
    """A day file's tables as the disk has them: the file with its journal replayed (not the
    store's cache)."""
    content = path.read_bytes()
    if journal_path(path).exists():
        content = folded(content, journal_path(path).read_bytes(), DayDocument.KEYS)
    return json.loads(content)


def killed(repo):
    """As if the process died: the lock goes with it, and nothing runs on the way out."""
    lock = repo._lock
    assert lock is not None
    lock.release()
    repo._lock = None


def rebuilt_equals_kept(repo):
    """Every month's index equals what the day files give when derived again, and the
    patient index holds each patient's cut of those entries."""
    entries = {}
    for month in repo.indexes.months():
        kept = repo.indexes.month(month)
        files = {d: p for d, p in repo.store.day_files().items() if f"{d:%Y-%m}" == month}
        assert set(kept) == set(files)
        for day, path in files.items():
            again = derive_day(day, repo.store.read_once(path), kept[day].stamp,
                               repo.clock.raw(), repo.catalog)
            assert again == kept[day]
        entries.update(kept)
    patients = {visit.patient for entry in entries.values() for visit in entry.sessions}
    held = repo.indexes.patient_files(patients)
    for patient in patients:
        name = patient_file(patient)
        cut = {day: patients_cut(entry, name) for day, entry in entries.items()}
        assert held[name] == {day: entry for day, entry in cut.items() if entry is not None}
