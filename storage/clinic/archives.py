"""The therapists' backups as a merge reads them: whose each is and when it was written
(its manifest and settings), one per therapist (the newest), then each verified as `restore`
verifies it and read in the same pass, in memory, as a data folder
(storage/reading.FolderReader) that the claim-line export bills."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple
from uuid import UUID

from core.billing.day import YearToDate, day_claim_rows, medicare_amounts
from core.care.patients import UsedElsewhere
from core.models import Segment
from core.session import Session, SessionData, in_day_order
from core.settings import Settings
from core.text import printable
from storage import layout
from storage.backup import MANIFEST, Received, members, read_manifest, verify_backup
from storage.documents import DayDocument, Document, PatientsDocument
from storage.errors import BadPath, SettingsError
from storage.reading import MissingSessions, SkippedFile
from storage.settings_file import parse_settings


class Archive(NamedTuple):
    """A backup as a merge first reads it: whose it is (the settings, with settings.toml
    as written), when it was written and its manifest's checksum (which names every
    member's). Its other members are verified as it is merged (`read_archive`)."""

    path: Path
    manifest_sha256: str
    created: datetime
    settings: Settings
    settings_toml: str
    days: frozenset[date]
    """The dates of its day files, by their names."""

    @property
    def identity(self) -> str:
        """Who the therapist is: the NPI when set, else name, credentials and discipline."""
        s = self.settings
        return f"npi {s.npi}" if s.npi else f"{s.therapist}, {s.credentials} ({s.discipline})"

    @property
    def who(self) -> str:
        return self.settings.who


def open_archive(path: Path) -> Archive:
    """Whose backup it is and when it was written, from its manifest and settings, each
    refused in restore's words (BadPath); the rest is checked by `read_archive`."""
    where = printable(str(path))
    manifest = settings_toml = None
    days = set()
    for name, content in members(path):
        if name == MANIFEST:
            manifest = content
        elif name == layout.SETTINGS_NAME:
            settings_toml = content
        elif (day := layout.day_of_name(name)) is not None:
            days.add(day)
    if manifest is None:
        raise BadPath(f"{where} is not a Tabletime backup (no manifest)")
    created = read_manifest(path, manifest).get("created")
    if settings_toml is None:
        raise BadPath(f"{where} holds no settings: whose sessions they are is unknown")
    try:
        settings = parse_settings(settings_toml, "the backup's settings.toml")
    except SettingsError as error:
        raise BadPath(str(error)) from None
    if not (settings.therapist.strip() or settings.npi):
        raise BadPath(f"{where}: its settings name no therapist (no name, no NPI): set them "
                      "in that therapist's Settings and back up again")
    try:
        when = datetime.fromisoformat(created) if isinstance(created, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise BadPath(f"{where}: its manifest does not say when it was written")
    return Archive(path, hashlib.sha256(manifest).hexdigest(), when, settings,
                   settings_toml.decode("utf-8"), frozenset(days))


def _other_person(one: Settings, other: Settings) -> bool:
    """Two settings with one NPI that cannot be one person's backups: another name or
    discipline (a settings file copied from a colleague). Credentials may grow (PT, DPT)."""
    return (one.therapist.strip().casefold(), one.discipline) != (
        other.therapist.strip().casefold(), other.discipline)


def check_archive(archive: Archive, received: Received | None = None) -> None:
    """Verify the whole archive exactly as `restore` does (BadPath in its words), and that it
    is the one `open_archive` read (not replaced meanwhile)."""
    where = printable(str(archive.path))
    try:
        verified = verify_backup(archive.path, received)
    except BadPath as error:  # restore's words, which name no archive when it is one
        raise BadPath(str(error) if where in str(error) else f"{where}: {error}") from None
    if verified.manifest_sha256 != archive.manifest_sha256:
        raise BadPath(f"{printable(str(archive.path))} changed while it was being merged: "
                      "nothing was written")


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
        if other is not archive and _other_person(other.settings, archive.settings):
            raise BadPath(f"{printable(str(other.path))} and {printable(str(archive.path))} "
                          f"both give the NPI {archive.settings.npi}, for "
                          f"{printable(other.settings.therapist)} ({other.settings.discipline})"
                          f" and {printable(archive.settings.therapist)} "
                          f"({archive.settings.discipline}): an NPI is one person's; correct "
                          "the settings that are wrong, back up again (nothing was written)")
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
    what the claim lines of an export read. Built by `read_archive`, which verifies each day
    file and keeps only its sessions and segments (not its audit trail)."""

    def __init__(self, archive: Archive, now: datetime, days: dict[date, list[SessionData]],
                 elsewhere: list[UsedElsewhere]) -> None:
        self.settings = archive.settings
        self.catalog = archive.settings.catalog()
        self.zone = archive.settings.zone
        self._now = now
        self._days = days
        self._elsewhere = elsewhere

    def days(self, first: date | None = None, last: date | None = None) -> list[date]:
        return sorted(day for day in self._days
                      if (first is None or day >= first) and (last is None or day <= last))

    def day_sessions(self, day: date, *, keep: bool = True) -> list[SessionData]:
        return self._days[day]  # all in memory already: `keep` changes nothing

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


def read_archive(archive: Archive, now: datetime) -> ArchiveFolder:
    """The archive verified as `restore` verifies it and read in the same pass: each day
    file's sessions with their segments, what the patients file says was used elsewhere."""
    days: dict[date, list[SessionData]] = {}
    elsewhere: list[UsedElsewhere] = []

    def received(name: str, document: Document | None) -> None:
        if isinstance(document, DayDocument) and (day := layout.day_of_name(name)):
            by_session: dict[UUID, list[Segment]] = {}
            for segment in sorted(document.segments.values(), key=lambda s: s.start):
                by_session.setdefault(segment.session_id, []).append(segment)
            days[day] = in_day_order((s, by_session.get(s.id, []))
                                     for s in document.sessions.values())
        elif isinstance(document, PatientsDocument):
            elsewhere.extend(document.elsewhere.values())

    check_archive(archive, received)
    return ArchiveFolder(archive, now, days, elsewhere)
