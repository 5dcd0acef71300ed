"""The therapists' backups as a merge reads them: each verified as `restore` verifies it,
whose it is and when it was written, one per therapist (the newest), and each read in memory
as a data folder (storage/reading.FolderReader) that the claim-line export bills."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from uuid import UUID

import orjson

from core.billing.day import YearToDate, day_claim_rows, medicare_amounts
from core.models import Segment
from core.session import Session, SessionData, in_day_order
from core.settings import Settings
from core.text import printable
from storage import layout
from storage.backup import MANIFEST, members, verify_backup
from storage.documents import DayDocument, Document, PatientsDocument, upgrade, validate
from storage.errors import BadPath
from storage.reading import MissingSessions, SkippedFile
from storage.settings_file import parse_settings

D = TypeVar("D", bound=Document)


class Archive(NamedTuple):
    """A verified backup: its members' checksums, its manifest's, when it was written and
    the settings of the therapist it belongs to (with settings.toml as written)."""

    path: Path
    sums: dict[str, str]
    manifest_sha256: str
    created: datetime
    settings: Settings
    settings_toml: str

    @property
    def identity(self) -> str:
        """Who the therapist is: the NPI when set, else name, credentials and discipline."""
        s = self.settings
        return f"npi {s.npi}" if s.npi else f"{s.therapist}, {s.credentials} ({s.discipline})"

    @property
    def who(self) -> str:
        return self.settings.who


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
    return Archive(path, verified.sums, hashlib.sha256(manifest).hexdigest(), when, settings,
                   members[layout.SETTINGS_NAME].decode("utf-8"))


def _read(path: Path, sums: dict[str, str], wanted: Callable[[str], bool] | set[str]
          ) -> tuple[bytes, dict[str, bytes]]:
    """The manifest and the members `wanted`, each as it was verified (BadPath when the
    archive changed since: nothing is built from a file that was not checked)."""
    manifest = b""
    seen: dict[str, str] = {}
    kept: dict[str, bytes] = {}
    for name, content in members(path):
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
            closed = [(s, segs) for s, segs in self.day_sessions(earlier, keep=False)
                      if not s.is_open]
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
