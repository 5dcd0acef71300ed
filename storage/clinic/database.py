"""The clinic database built from the chosen archives: every therapist, session, segment and
claim line (each therapist billed as `export --kind lines` bills their folder), the year so far
before the range, the clinic checks and which archives; placed as `export --out` places a
file."""

from __future__ import annotations

import json
import sqlite3
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from uuid import UUID

from core.billing.day import ClaimRow
from core.billing.modifiers import TherapyBucket
from core.catalog import default_catalog
from core.clinic import TherapistRecord, date_checks, kx_across
from core.formats.money import cents
from core.models import Segment
from core.place import mode_value
from core.session import Session
from core.settings import Settings
from core.text import printable
from storage.clinic.archives import (
    Archive,
    ArchiveFolder,
    check_archive,
    chosen,
    open_archive,
    read_archive,
)
from storage.clinic.reading import SCHEMA_VERSION, ClinicFile
from storage.errors import BadPath
from storage.exports import check_out, write_built
from storage.reports import claim_rows

SCHEMA = Path(__file__).parent / "schema.sql"
INDEXES = "-- What a biller asks of the file"
"""Where the schema's indexes begin: created after the rows."""


@dataclass
class Merged:
    """What a merge did, for the command line to say."""

    therapists: list[tuple[Archive, int, int, int]] = field(default_factory=list)
    """Each therapist merged: the archive, its sessions, segments and claim lines."""
    left_out: list[tuple[Archive, Archive]] = field(default_factory=list)
    """Each older backup left out, with the newer one merged instead."""
    still_open: list[tuple[Archive, list[Session]]] = field(default_factory=list)
    """Each therapist's sessions of the range not closed yet (no claim lines)."""
    checks: int = 0
    """How many clinic checks were found."""


def check_target(out: Path, data_dir: Path, archives: Sequence[Path], *, force: bool) -> None:
    """BadPath for a target that is one of the archives being merged, or what `export --out`
    refuses (inside any data folder, a folder, a link, a file without --force); with
    --force, an existing file that is not a SQLite file (a backup, a spreadsheet: --force
    replaces a clinic file, nothing else)."""
    resolved = out.resolve()
    for archive in archives:
        if archive.resolve() == resolved:
            raise BadPath(f"{printable(str(out))} is one of the archives being merged: "
                          "choose another file")
    if check_out(out, data_dir, force=force) and not _is_sqlite(out):
        raise BadPath(f"{printable(str(out))} is not a SQLite file: --force replaces a clinic "
                      "file a merge wrote, nothing else (nothing was written)")


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(16) == b"SQLite format 3\x00"


def merge(paths: Sequence[Path], out: Path, data_dir: Path, now: datetime, *,
          first: date | None = None, last: date | None = None, force: bool = False) -> Merged:
    """Merge the archives at `paths` into the SQLite file `out` (whole or not at all)."""
    check_target(out, data_dir, paths, force=force)
    archives = [open_archive(path) for path in paths]  # every one checked before any work
    winners, left_out = chosen(archives)
    _one_zone(winners)
    for older, _ in left_out:
        check_archive(older)  # left out, yet refused if damaged, as restore would
    merged = Merged(left_out=left_out)

    def build(path: Path) -> int:
        _build(path, archives, winners, now, first, last, merged)
        return len(merged.therapists)

    write_built(out, data_dir, build, force=force)
    return merged


def _one_zone(winners: Sequence[Archive]) -> None:
    """BadPath when the therapists' time zones differ: their dates of service, which the
    clinic checks compare, would not be one calendar."""
    zones = {archive.settings.timezone: archive for archive in winners}
    if len(zones) > 1:
        each = ", ".join(f"{printable(a.who)} {zone}" for zone, a in zones.items())
        raise BadPath(f"the therapists keep their dates in different time zones ({each}): "
                      "a clinic's dates of service are one calendar; merge each zone's "
                      "therapists on their own (nothing was written)")


def _build(path: Path, archives: Sequence[Archive], winners: Sequence[Archive], now: datetime,
           first: date | None, last: date | None, merged: Merged) -> None:
    """The database, built in the file at `path` (no journal, no syncs: `write_built` makes
    it durable once whole)."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        tables, indexes = SCHEMA.read_text(encoding="utf-8").split(INDEXES)
        db.executescript(tables)
        ids = {archive.identity: number for number, archive in enumerate(winners, start=1)}
        owners: dict[UUID, Path] = {}
        starts = _year_starts(winners, first, last)
        records = [_add_therapist(db, ids[archive.identity], archive, now, first, last, starts,
                                  owners, merged) for archive in winners]
        db.executescript(INDEXES + indexes)
        merged.checks = _add_checks(db, records, [a.settings for a in winners], now)
        db.executemany("INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (str(a.path.resolve()), a.manifest_sha256, a.created.isoformat(), ids[a.identity],
             int(a in winners), now.isoformat(timespec="seconds"), _iso(first), _iso(last),
             SCHEMA_VERSION, version("tabletime")) for a in archives])
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.commit()
    finally:
        db.close()


def _add_therapist(db: sqlite3.Connection, number: int, archive: Archive, now: datetime,
                   first: date | None, last: date | None, starts: Sequence[date],
                   owners: dict[UUID, Path], merged: Merged) -> TherapistRecord:
    """One therapist's row, sessions and segments of the range, claim lines and year before;
    returns what the clinic checks need of them but their sessions (read back later a month
    at a time: the archive is let go)."""
    s = archive.settings
    db.execute("INSERT INTO therapists VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (number, archive.identity, s.therapist, s.credentials, s.discipline.value,
                s.role.value, s.npi, s.provider_code, s.billing_entity, s.timezone,
                archive.settings_toml))
    folder = read_archive(archive, now)  # verified as restore verifies it
    sessions = segments = 0
    still_open = []
    for day in folder.days(first, last):
        found = folder.day_sessions(day)
        for session, _ in found:
            _claim(owners, session.id, archive.path)
            still_open += [session] if session.is_open else []
        db.executemany("INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                       "?, ?, ?, ?, ?, ?, ?, ?)", (_session_row(number, s) for s, _ in found))
        rows = []
        for _, mine in found:
            for segment in mine:
                _claim(owners, segment.id, archive.path)
                rows.append(_segment_row(number, segment, folder.catalog.is_timed(segment.code)))
        db.executemany("INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        sessions, segments = sessions + len(found), segments + len(rows)
    lines = list(claim_rows(folder, first, last, now))
    db.executemany(
        "INSERT INTO claim_lines (therapist_id, date_of_service, patient, payer, method, "
        "medicare, discipline, code, modifiers, units, minutes, estimated_cents, "
        "allowed_cents, charge_cents, place_of_service, telehealth, rendering_therapist, "
        "rendering_npi, provider_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?)", (_line_row(number, row) for row in lines))
    before, elsewhere = _year_before(folder, starts)
    db.executemany("INSERT INTO year_before VALUES (?, ?, ?, ?, ?, ?)", (
        (number, patient, bucket.value, start.isoformat(),
         _amount(before.get((patient, year, bucket), Decimal(0))),
         _amount(elsewhere.get((patient, year, bucket), Decimal(0))))
        for patient, year, bucket in sorted(before.keys() | elsewhere.keys())
        for start in starts if start.year == year))
    merged.therapists.append((archive, sessions, segments, len(lines)))
    if still_open:
        merged.still_open.append((archive, still_open))
    return TherapistRecord(
        therapist=str(number), name=s.signature or s.who, billing_entity=s.billing_entity,
        sessions=(), rows=lines, elsewhere=elsewhere, before=before)


def _year_starts(winners: Sequence[Archive], first: date | None, last: date | None
                 ) -> list[date]:
    """The first day of each year the merge holds (any therapist's), or --from in its year:
    where each therapist's year so far is counted, also a therapist without a session in
    the range (their amounts before it still count towards the clinic's KX)."""
    years = {day.year for archive in winners for day in archive.days
             if (first is None or day >= first) and (last is None or day <= last)}
    return [max(first or date.min, date(year, 1, 1)) for year in sorted(years)]


def _year_before(folder: ArchiveFolder, starts: Sequence[date]
                 ) -> tuple[dict[tuple[str, int, TherapyBucket], Decimal],
                            dict[tuple[str, int, TherapyBucket], Decimal]]:
    """Per patient, year and bucket: the therapist's Medicare allowed amounts of the year
    before its first merged day, and what they entered as used elsewhere that year."""
    before: dict[tuple[str, int, TherapyBucket], Decimal] = {}
    elsewhere: dict[tuple[str, int, TherapyBucket], Decimal] = {}
    for start in starts:
        for (patient, bucket), amount in folder.billed_before(start).items():
            before[patient, start.year, bucket] = amount
        for (patient, bucket), amount in folder.elsewhere(start.year).items():
            elsewhere[patient, start.year, bucket] = amount
    return before, elsewhere


def _add_checks(db: sqlite3.Connection, records: Sequence[TherapistRecord],
                settings: Sequence[Settings], now: datetime) -> int:
    """The clinic checks (core.clinic) of the merged dates: a patient's date a month at a
    time, that month's sessions read back from the file being built (only they are in
    memory); KX once over the claim lines of the whole range (it sums the year), each check
    then naming the sessions of its patient and date. The codes are the standard catalog
    with every therapist's own."""
    if not records:
        return 0
    catalog = default_catalog().with_custom(
        {entry.code: entry for one in settings for entry in one.custom_codes}.values())
    built = ClinicFile(db, "the clinic file being built", built_here=True)
    days = built.days(None, None)
    checks = []
    for month in sorted({(day.year, day.month) for day in days}):
        start, end = date(*month, 1), date(*month, monthrange(*month)[1])
        month_records = [replace(record, sessions=[
            found for day in built.sessions(int(record.therapist), start, end,
                                            shared=True).values()
            for found in day]) for record in records]
        checks += date_checks(month_records, start, end, now, catalog, zone=settings[0].zone)
    if days:
        checks += [replace(check, session_ids=built.session_ids(
            check.date_of_service, check.patient, [int(key) for key in check.therapists]))
            for check in kx_across(records, days[0], days[-1])]
    db.executemany("INSERT INTO clinic_checks (kind, date_of_service, patient, therapist_ids, "
                   "session_ids, message, source) VALUES (?, ?, ?, ?, ?, ?, ?)", (
                       (c.kind.value, c.date_of_service.isoformat(), c.patient,
                        json.dumps([int(key) for key in c.therapists]),
                        json.dumps([str(i) for i in c.session_ids]), c.message, c.source)
                       for c in sorted(checks, key=lambda c: (c.date_of_service, c.patient))))
    return len(checks)


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
            mode_value(session.telehealth),
            session.therapist, session.npi, session.provider_code, session.model_dump_json())


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
            mode_value(row.telehealth), row.therapist, row.npi,
            row.provider_code)
