"""Where everything lives in a data folder: the one module that knows the layout.

    settings.toml               the settings (storage/settings_file.py)
    patients.json               what the user entered about patients
    days/2026/2026-03-02.json   the sessions of that date of service: the truth
    days/2026/2026-03-02.journal  its timer events since it was last written whole, appended
                                (storage/journal.py): read with it, folded into it
    index/2026-03.json          derived from the month's day files
    index/patients/3f.json      derived: the same entries, of the patients hashed to 3f
    index/months.json           derived: each month's digest, open sessions, what went missing,
                                the seals of the other index files
    templates/generic.toml      the user's charge file templates (storage/charges.py)
    exports/                    what the app exported
    crashes/                    crash reports
    tabletime.lock              the lock where flock does not exist (Windows)
beside it, while a restore writes:
    .NAME.restoring-XXXX        the folder a restore fills before renaming it onto NAME

Paths inside an archive are the same, relative (`days/2026/2026-03-02.json`).
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

SETTINGS_NAME = "settings.toml"
PATIENTS_NAME = "patients.json"
SUMMARY_NAME = "months.json"
LOCK_NAME = "tabletime.lock"
DAYS = "days"
INDEX = "index"
PATIENT_INDEX = "patients"
EXPORTS = "exports"
TEMPLATES = "templates"
TEMPLATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
"""A charge file template's name: never a path (`export --template NAME`)."""
CRASHES = "crashes"


def day_path(root: Path, day: date) -> Path:
    return root / day_name(day)


def day_name(day: date) -> str:
    """`days/2026/2026-03-02.json`, relative to the folder (and inside an archive)."""
    return f"{DAYS}/{day.year:04d}/{day.isoformat()}.json"


def day_of_name(name: str) -> date | None:
    """The date of a relative day-file name, or None when it is not one (a file whose name
    is not a date in its year's folder is not one of ours)."""
    parts = name.split("/")
    if len(parts) != 3 or parts[0] != DAYS or not parts[2].endswith(".json"):
        return None
    try:
        day = date.fromisoformat(parts[2].removesuffix(".json"))
    except ValueError:
        return None
    return day if parts[1] == f"{day.year:04d}" else None


def day_of(root: Path, path: Path) -> date | None:
    """The date of a day file of the folder `root`, or None for any other path."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        return None
    return day_of_name(relative.as_posix())


def day_files(root: Path) -> dict[date, Path]:
    """Every day file of the folder, by date (listed, not globbed: every open lists them)."""
    found = {}
    for year in _entries(root / DAYS):
        if year.is_dir(follow_symlinks=False):
            for entry in _entries(Path(year.path)):
                day = day_of_name(f"{DAYS}/{year.name}/{entry.name}")
                if day is not None:
                    found[day] = Path(entry.path)
    return dict(sorted(found.items()))


def template_name(name: str) -> str | None:
    """The template a relative name is (`templates/generic.toml` -> `generic`), or None."""
    folder, _, file = name.partition("/")
    stem = file.removesuffix(".toml")
    if folder != TEMPLATES or stem == file or not TEMPLATE_NAME.fullmatch(stem):
        return None
    return stem


def template_files(root: Path) -> dict[str, Path]:
    """The user's charge file templates, by their name inside an archive: the files (or links
    to files, as `export --template` reads them) named NAME.toml."""
    found = {}
    for entry in _entries(root / TEMPLATES):
        name = f"{TEMPLATES}/{entry.name}"
        if template_name(name) is not None and entry.is_file():
            found[name] = Path(entry.path)
    return dict(sorted(found.items()))


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as listed:
            return list(listed)
    except (FileNotFoundError, NotADirectoryError):
        return []


def month_index_path(root: Path, month: str) -> Path:
    """index/2026-03.json, the index of a month's day files."""
    return root / INDEX / f"{month}.json"


def patient_index_path(root: Path, bucket: str) -> Path:
    """index/patients/3f.json: the index entries of the patients whose reference hashes to
    `3f` (a name never made of the reference itself, which may hold any printable
    character)."""
    return root / INDEX / PATIENT_INDEX / f"{bucket}.json"


def summary_path(root: Path) -> Path:
    return root / INDEX / SUMMARY_NAME


def is_month_index(root: Path, path: Path) -> bool:
    return path.parent == root / INDEX and path.name != SUMMARY_NAME


def patients_path(root: Path) -> Path:
    return root / PATIENTS_NAME


def settings_path(root: Path) -> Path:
    return root / SETTINGS_NAME


def restoring_prefix(data_dir: Path) -> str:
    """`.tabletime.restoring-`: the name of the folder a restore into `data_dir` writes."""
    return f".{data_dir.name}.restoring-"
