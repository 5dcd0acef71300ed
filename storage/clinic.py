"""Several therapists' backups merged into one SQLite file for the clinic's biller (`tabletime
clinic merge`; the tables are storage/clinic_schema.sql's).

Each archive is verified exactly as `restore` verifies it before anything is built, then read
in memory: no therapist's data folder is opened at all. Each therapist is billed as `export
--kind lines` bills their own folder (an archive is a FolderReader), the year so far for KX
being their own. One backup per therapist: the same archive twice is refused, and of two
backups of one therapist (same NPI, else same name, credentials and discipline) the newer is
merged and the older left out, said; a session in two therapists' archives (a copied folder)
is refused. The database is built in a scratch file beside the target (its memory does not
grow with the clinic), then written as `export --out` writes a file: beside the target,
durable, renamed, 0600, never inside a data folder, never over a file without --force. A
re-merge builds it whole again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple, TextIO, TypeVar
from uuid import UUID

import orjson

from core.billing.day import ClaimRow, YearToDate, day_claim_rows, medicare_amounts
from core.formats.money import cents
from core.models import Segment
from core.session import Session, SessionData, in_day_order
from core.settings import Settings
from core.text import printable
from storage import layout
from storage.backup import MANIFEST, _members, verify_backup
from storage.documents import DayDocument, Document, PatientsDocument, upgrade, validate
from storage.errors import BadPath
from storage.exports import check_out, write_out
from storage.reading import MissingSessions, SkippedFile
from storage.reports import claim_rows
from storage.settings_file import parse_settings

SCHEMA = Path(__file__).with_name("clinic_schema.sql")
SCHEMA_VERSION = 1
D = TypeVar("D", bound=Document)


class Archive(NamedTuple):
    """A verified backup: its members' checksums, its manifest's, when it was written and
    the settings of the therapist it belongs to."""

    path: Path
    sums: dict[str, str]
    manifest_sha256: str
    created: datetime
    settings: Settings

    @property
    def identity(self) -> str:
        """Who the therapist is: the NPI when set, else name, credentials and discipline."""
        s = self.settings
        return f"npi {s.npi}" if s.npi else f"{s.therapist}, {s.credentials} ({s.discipline})"

    @property
    def who(self) -> str:
        """The therapist as a person reads it: `Dana Reyes, PT, DPT (NPI 1234567893)`."""
        s = self.settings
        name = ", ".join(part for part in (s.therapist, s.credentials) if part)
        return f"{name} (NPI {s.npi})".strip() if s.npi else name


def open_archive(path: Path) -> Archive:
    """Verify an archive as `restore` does (BadPath with restore's message), and read what
    says whose it is and when it was written."""
    verified = verify_backup(path)
    manifest, members = _read(path, verified.sums, {layout.SETTINGS_NAME})
    where = printable(str(path))
    if layout.SETTINGS_NAME not in members:
        raise BadPath(f"{where} holds no settings: whose sessions they are is unknown")
    settings = parse_settings(members[layout.SETTINGS_NAME], "the backup's settings.toml")
    if not (settings.therapist.strip() or settings.npi):
        raise BadPath(f"{where}: its settings name no therapist (no name, no NPI): set them "
                      "in that therapist's Settings and back up again")
    created = json.loads(manifest).get("created")
    try:
        when = datetime.fromisoformat(created) if isinstance(created, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise BadPath(f"{where}: its manifest does not say when it was written")
    return Archive(path, verified.sums, hashlib.sha256(manifest).hexdigest(), when, settings)


def _read(path: Path, sums: dict[str, str], wanted: Callable[[str], bool] | set[str]
          ) -> tuple[bytes, dict[str, bytes]]:
    """The manifest and the members `wanted`, each as it was verified (BadPath when the
    archive changed since: nothing is built from a file that was not checked)."""
    manifest = b""
    seen: dict[str, str] = {}
    kept: dict[str, bytes] = {}
    for name, content in _members(path):
        if name == MANIFEST:
            manifest = content
            continue
        seen[name] = hashlib.sha256(content).hexdigest()
        if name in wanted if isinstance(wanted, set) else wanted(name):
            kept[name] = content
    if seen != sums:
        raise BadPath(f"{printable(str(path))} changed while it was being merged: nothing "
                      "was written")
    return manifest, kept


def chosen(archives: Sequence[Archive]) -> tuple[list[Archive], list[tuple[Archive, Archive]]]:
    """The archives to merge, one per therapist (the newest), and each one left out with the
    newer one it gave way to. BadPath for the same archive twice and for two backups of one
    therapist written the same second (which is the newer cannot be told)."""
    newest: dict[str, Archive] = {}
    by_manifest: dict[str, Archive] = {}
    for archive in archives:
        twin = by_manifest.setdefault(archive.manifest_sha256, archive)
        if twin is not archive:
            raise BadPath(f"{printable(str(twin.path))} and {printable(str(archive.path))} "
                          "are the same backup: give it once")
        other = newest.setdefault(archive.identity, archive)
        if other is not archive and other.created == archive.created:
            raise BadPath(f"{printable(str(other.path))} and {printable(str(archive.path))} "
                          f"are two backups of {printable(archive.who)} written at the "
                          "same time: give the one to merge")
        if other.created < archive.created:
            newest[archive.identity] = archive
    winners = list(newest.values())
    left_out = [(a, newest[a.identity]) for a in archives if newest[a.identity] is not a]
    return winners, left_out


class ArchiveFolder:
    """A therapist's archive read as a data folder (storage/reading.FolderReader), in memory:
    what the claim lines of an export read. Each day file is parsed once, when first read."""

    def __init__(self, archive: Archive, now: datetime) -> None:
        self.settings = archive.settings
        self.catalog = archive.settings.catalog()
        self.zone = archive.settings.zone
        self._now = now
        _, members = _read(archive.path, archive.sums, _kept_member)
        self._raw = {day: content for name, content in members.items()
                     if (day := layout.day_of_name(name)) is not None}
        self._parsed: dict[date, list[SessionData]] = {}
        patients = members.get(layout.PATIENTS_NAME)
        self._elsewhere = [] if patients is None else list(_document(
            patients, PatientsDocument, {}).elsewhere.values())

    def days(self, first: date | None = None, last: date | None = None) -> list[date]:
        return sorted(day for day in self._raw
                      if (first is None or day >= first) and (last is None or day <= last))

    def day_sessions(self, day: date, *, keep: bool = True) -> list[SessionData]:
        found = self._parsed.get(day)
        if found is None:
            document = _document(self._raw[day], DayDocument, {"day": day})
            by_session: dict[UUID, list[Segment]] = {}
            for segment in sorted(document.segments.values(), key=lambda s: s.start):
                by_session.setdefault(segment.session_id, []).append(segment)
            found = in_day_order((s, by_session.get(s.id, []))
                                 for s in document.sessions.values())
        if keep:
            self._parsed[day] = found
        else:
            self._parsed.pop(day, None)
        return found

    def year_to_date(self, day: date) -> YearToDate:
        """As the folder's index counts it: what other providers billed (as entered) and
        the Medicare amounts of the closed sessions of the year before `day`."""
        totals = self.elsewhere(day.year)
        for key, amount in self.billed_before(day).items():
            totals[key] = totals.get(key, Decimal(0)) + amount
        return totals

    def elsewhere(self, year: int) -> YearToDate:
        """What the therapist entered as used at other providers in `year`."""
        return {(e.patient, e.bucket): e.amount for e in self._elsewhere if e.year == year}

    def billed_before(self, day: date) -> YearToDate:
        """The Medicare amounts of the closed sessions of `day`'s year before it."""
        totals: YearToDate = {}
        for earlier in self.days(date(day.year, 1, 1), day - timedelta(days=1)):
            closed = [(s, segs) for s, segs in self.day_sessions(earlier) if not s.is_open]
            rows = day_claim_rows(earlier, closed, self._now, self.catalog)
            for key, amount in medicare_amounts(rows).items():
                totals[key] = totals.get(key, Decimal(0)) + amount
        return totals

    def open_sessions(self) -> list[Session]:
        return [s for day in self.days() for s, _ in self.day_sessions(day) if s.is_open]

    def skipped(self) -> list[SkippedFile]:
        return []  # every member was verified before it was read

    def missing(self) -> list[MissingSessions]:
        return []  # an archive has no index to remember lost sessions


def _kept_member(name: str) -> bool:
    return name == layout.PATIENTS_NAME or layout.day_of_name(name) is not None


def _document(content: bytes, kind: type[D], context: dict[str, Any]) -> D:
    """A member as the app reads it (verified already: this cannot fail but for a bug)."""
    document = validate(upgrade(orjson.loads(content)), kind, context)
    assert isinstance(document, kind)
    return document


@dataclass
class Merged:
    """What a merge did, for the command line to say."""

    therapists: list[tuple[Archive, int, int, int]] = field(default_factory=list)
    """Each therapist merged: the archive, its sessions, segments and claim lines."""
    left_out: list[tuple[Archive, Archive]] = field(default_factory=list)
    """Each older backup left out, with the newer one merged instead."""
    still_open: list[tuple[Archive, list[Session]]] = field(default_factory=list)
    """Each therapist's sessions of the range not closed yet (no claim lines)."""


def check_target(out: Path, data_dir: Path, archives: Sequence[Path], *, force: bool) -> None:
    """BadPath for a target inside any data folder (a folder or an ancestor holding
    settings.toml and days/, or the data folder configured here), one of the archives being
    merged, or what `export --out` refuses (a folder, a link, a file without --force)."""
    resolved = out.resolve()
    for folder in resolved.parents:
        if (folder / layout.SETTINGS_NAME).exists() and (folder / layout.DAYS).is_dir():
            raise BadPath(f"{printable(str(out))} is inside the data folder "
                          f"{printable(str(folder))}: a file there could replace Tabletime's "
                          "own files; choose a file outside it")
    for archive in archives:
        if archive.resolve() == resolved:
            raise BadPath(f"{printable(str(out))} is one of the archives being merged: "
                          "choose another file")
    check_out(out, data_dir, force=force)


def merge(paths: Sequence[Path], out: Path, data_dir: Path, now: datetime, *,
          first: date | None = None, last: date | None = None, force: bool = False) -> Merged:
    """Merge the archives at `paths` into the SQLite file `out` (whole or not at all)."""
    check_target(out, data_dir, paths, force=force)
    archives = [open_archive(path) for path in paths]  # every one checked before any work
    winners, left_out = chosen(archives)
    merged = Merged(left_out=left_out)
    fd, name = tempfile.mkstemp(dir=out.parent, prefix=".tabletime-clinic.", suffix=".tmp")
    os.close(fd)
    building = Path(name)
    try:
        _build(building, archives, winners, now, first, last, merged)

        def produce(stream: TextIO) -> int:
            with building.open("rb") as source:
                shutil.copyfileobj(source, stream.buffer)
            return building.stat().st_size

        write_out(out, data_dir, produce, force=force)
    finally:
        building.unlink(missing_ok=True)
    return merged


def _build(path: Path, archives: Sequence[Archive], winners: Sequence[Archive], now: datetime,
           first: date | None, last: date | None, merged: Merged) -> None:
    """The database, built in a scratch file (no journal, no syncs: written out after)."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(SCHEMA.read_text(encoding="utf-8"))
        ids = {archive.identity: number for number, archive in enumerate(winners, start=1)}
        owners: dict[UUID, Path] = {}
        for archive in winners:
            _add_therapist(db, ids[archive.identity], archive, now, first, last, owners, merged)
        db.executemany("INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (str(a.path.resolve()), a.manifest_sha256, a.created.isoformat(), ids[a.identity],
             int(a in winners), now.isoformat(timespec="seconds"), _iso(first), _iso(last),
             SCHEMA_VERSION, version("tabletime")) for a in archives])
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.commit()
    finally:
        db.close()


def _add_therapist(db: sqlite3.Connection, number: int, archive: Archive, now: datetime,
                   first: date | None, last: date | None, owners: dict[UUID, Path],
                   merged: Merged) -> None:
    """One therapist's row, sessions and segments of the range, and claim lines."""
    s = archive.settings
    db.execute("INSERT INTO therapists VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (number, archive.identity, s.therapist, s.credentials, s.discipline.value,
                s.role.value, s.npi, s.provider_code, s.billing_entity, s.timezone))
    folder = ArchiveFolder(archive, now)
    sessions = segments = 0
    still_open = []
    for day in folder.days(first, last):
        found = folder.day_sessions(day)
        for session, _ in found:
            _claim(owners, session.id, archive.path)
            still_open += [session] if session.is_open else []
        db.executemany("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                       "?, ?, ?, ?, ?, ?, ?)", (_session_row(number, s) for s, _ in found))
        rows = []
        for _, mine in found:
            for segment in mine:
                _claim(owners, segment.id, archive.path)
                rows.append(_segment_row(number, segment, folder.catalog.is_timed(segment.code)))
        db.executemany("INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        sessions, segments = sessions + len(found), segments + len(rows)
    lines = db.executemany(
        "INSERT INTO claim_lines (therapist_id, date_of_service, patient, payer, method, "
        "medicare, discipline, code, modifiers, units, minutes, estimated_cents, "
        "allowed_cents, charge_cents, place_of_service, telehealth, rendering_therapist, "
        "rendering_npi, provider_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?)", (_line_row(number, row) for row in claim_rows(folder, first, last, now)))
    db.executemany("INSERT INTO year_before VALUES (?, ?, ?, ?, ?, ?)",
                   _year_before(number, folder, first, last))
    merged.therapists.append((archive, sessions, segments, lines.rowcount))
    if still_open:
        merged.still_open.append((archive, still_open))


def _year_before(therapist: int, folder: ArchiveFolder, first: date | None,
                 last: date | None) -> Iterator[tuple[object, ...]]:
    """The year so far before the first merged day of each year of the range."""
    for year in sorted({day.year for day in folder.days(first, last)}):
        start = max(first or date.min, date(year, 1, 1))
        billed, elsewhere = folder.billed_before(start), folder.elsewhere(year)
        for patient, bucket in sorted(billed.keys() | elsewhere.keys()):
            yield (therapist, patient, bucket.value, start.isoformat(),
                   _amount(billed.get((patient, bucket), Decimal(0))),
                   _amount(elsewhere.get((patient, bucket), Decimal(0))))


def _claim(owners: dict[UUID, Path], key: UUID, path: Path) -> None:
    """Note whose archive holds a session or segment; BadPath when another one holds it too
    (a folder copied from another), or another day file of the same one."""
    other = owners.get(key)
    if other is None:
        owners[key] = path
        return
    where = printable(str(path))
    if other == path:
        raise BadPath(f"{where} holds {key} in two day files: repair that folder (tabletime "
                      "check) and back it up again; nothing was written")
    raise BadPath(f"{key} is in both {printable(str(other))} and {where}: one folder was "
                  "copied from the other; merge each therapist's own backup (nothing was "
                  "written)")


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _amount(value: Decimal | None) -> int | None:
    """Cents, exactly as the CSV exports write the amount."""
    text = cents(value)
    return None if text is None else int(Decimal(text).scaleb(2))


def _session_row(therapist: int, session: Session) -> tuple[object, ...]:
    billing = session.billing
    return (str(session.id), therapist, session.date_of_service.isoformat(), session.patient,
            session.payer.name, session.payer.method.value, int(session.payer.medicare),
            session.discipline.value, session.opened_at.isoformat(),
            None if session.closed_at is None else session.closed_at.isoformat(),
            None if billing is None else billing.total_timed_minutes,
            None if billing is None else billing.total_treatment_minutes,
            None if billing is None else billing.timed_units,
            int(session.progress_report), session.group_size, session.place_of_service,
            None if session.telehealth is None else session.telehealth.value,
            session.therapist, session.npi, session.provider_code)


def _segment_row(therapist: int, segment: Segment, timed: bool) -> tuple[object, ...]:
    end = segment.end
    return (str(segment.id), str(segment.session_id), therapist, segment.code, int(timed),
            segment.start.isoformat(), None if end is None else end.isoformat(),
            None if end is None else int((end - segment.start).total_seconds()),
            segment.furnished_by.value, segment.note)


def _line_row(therapist: int, row: ClaimRow) -> tuple[object, ...]:
    return (therapist, row.date_of_service.isoformat(), row.patient, row.payer,
            row.method.value, int(row.medicare), row.discipline.value, row.code,
            " ".join(row.modifiers), row.units, row.minutes, _amount(row.amount),
            _amount(row.allowed), _amount(row.charge), row.place_of_service,
            None if row.telehealth is None else row.telehealth.value, row.therapist, row.npi,
            row.provider_code)

