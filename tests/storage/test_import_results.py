"""What an import stores, pinned: the golden folder's segments (every billing shape the
command line depends on: pooling, tie picks, CQ/CO, MPPR across disciplines, KX, groups, a
payer's fee table, an open session, a year change) exported, imported into an empty folder,
and every stored record and every index entry compared with tests/golden/files/imported.json,
which the import wrote before it parsed each row once and billed each session once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from storage.imports import import_segments
from storage.repository import Repository
from tests.golden.folder import NOW, SETTINGS, Clock, build_folder
from tests.golden.test_contract import compare, normalised
from tests.helpers import export_segments


def stored(repo: Repository) -> dict[str, Any]:
    """Every day file's records (ids and times as stored; each list in a fixed order) and
    the index's entry of each day (without the file stamps, which are the disk's)."""
    days: dict[str, Any] = {}
    for day, path in repo.store.day_files().items():
        tables = repo.store.tables(path)
        rows = {name: [record.model_dump(mode="json") for record in tables[name].values()]
                for name in ("sessions", "segments", "audit")}
        rows["sessions"].sort(key=lambda s: (s["opened_at"], s["patient"]))
        order = {s["id"]: place for place, s in enumerate(rows["sessions"])}
        rows["segments"].sort(key=lambda s: (s["start"], s["code"], order[s["session_id"]]))
        rows["audit"].sort(key=lambda a: order[a["session_id"]])
        days[day.isoformat()] = rows
    index = {day.isoformat(): {**entry.model_dump(mode="json"), "stamp": None}
             for month in repo.indexes.months()
             for day, entry in sorted(repo.indexes.month(month).items())}
    return {"days": days, "index": index,
            "open": sorted(str(entry.date) for entry in repo.indexes.open_sessions())}


def imported_as_text(tmp_path: Path) -> str:
    """The golden folder's segments imported into an empty folder, as pinned JSON (ids
    numbered in the order they first appear)."""
    build_folder(tmp_path / "golden")
    with Repository.open(tmp_path / "golden", Clock(NOW), SETTINGS, read_only=True) as repo:
        source = tmp_path / "segments.csv"
        source.write_text(export_segments(repo), encoding="utf-8")
    with Repository.open(tmp_path / "imported", Clock(NOW), SETTINGS) as repo:
        report = import_segments(repo, source)
        assert not report.errors, report.errors
        found = stored(repo)
    for records in found["days"].values():  # random ids, numbered by where they come first
        for record in records["segments"] + records["audit"]:
            record["id"] = None
        for entry in records["audit"]:
            entry["change_id"] = None
    return normalised(json.dumps(found, indent=1, sort_keys=True)) + "\n"


@pytest.mark.usefixtures("tmp_path")
def test_every_stored_record_and_index_entry_is_as_the_import_wrote_them_before(tmp_path):
    compare("imported.json", imported_as_text(tmp_path))
