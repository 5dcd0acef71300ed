"""The clinic database read back, for the clinic checks of a merge and the biller's commands
(`clinic summary`, `clinic export`): each therapist with their settings, their sessions
rebuilt as the app keeps them, their claim lines, the year so far before a date, the clinic
checks. Every value read is parsed and validated as the app's own models: a file edited into
something the merge never writes is refused by name, not believed (the columns beside a
session's record are for SQL; the record is what is billed). A file is opened read-only and
immutable (SQLite's mode=ro, immutable=1): reading it writes nothing, not even beside it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar
from uuid import UUID

from pydantic import ValidationError

from core.billing.day import ClaimRow, YearToDate
from core.billing.modifiers import TherapyBucket, therapy_bucket
from core.clinic import ClinicCheck, ClinicCheckKind
from core.kinds import Method
from core.models import Discipline, FurnishedBy, Segment
from core.place import Telehealth
from core.session import Session, SessionData, in_day_order
from core.settings import Settings
from core.text import printable
from storage.errors import BadPath, SettingsError
from storage.settings_file import parse_settings

FURNISHED_BY = {kind.value: kind for kind in FurnishedBy}
"""The enum by value, looked up a hundred thousand times in a merge (faster than a call)."""
SCHEMA_VERSION = 2
"""The tables' version (PRAGMA user_version): storage/clinic/schema.sql's."""


@dataclass(frozen=True)
class Therapist:
    therapist_id: int
    settings: Settings

    @property
    def name(self) -> str:
        return self.settings.signature

    @property
    def who(self) -> str:
        return self.settings.who


Read = TypeVar("Read")
Args = ParamSpec("Args")


def _checked(what: str) -> Callable[[Callable[Concatenate[ClinicFile, Args], Read]],
                                    Callable[Concatenate[ClinicFile, Args], Read]]:
    """A read whose values the merge never writes (a date that is not one, a bucket that is
    not one: the file was edited) refused as BadPath naming `what`, never a traceback."""
    def wrap(read: Callable[Concatenate[ClinicFile, Args], Read]
             ) -> Callable[Concatenate[ClinicFile, Args], Read]:
        def checked(clinic: ClinicFile, /, *args: Args.args, **kwargs: Args.kwargs) -> Read:
            try:
                return read(clinic, *args, **kwargs)
            except (ValueError, TypeError, KeyError, AttributeError):
                raise BadPath(f"{clinic.where}: {what} is damaged: merge the archives "
                              "again") from None
        return checked
    return wrap


class ClinicFile:
    """A clinic database, open (read-only when opened by path)."""

    def __init__(self, db: sqlite3.Connection, where: str, *, built_here: bool = False) -> None:
        self._db = db
        self.where = where
        self._built_here = built_here
        """The merge reading back the file it is building: its segments were written a
        moment ago from validated models, and are rebuilt without validating them again (a
        third of the merge's checks' time); a file opened by path is always validated."""

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[ClinicFile]:
        """The file at `path`, read-only; BadPath naming it when it is missing, not a
        database, or not a clinic file of this version."""
        where = printable(str(path))
        if path.is_dir():
            raise BadPath(f"{where} is a folder: give the file `tabletime clinic merge --out "
                          "FILE` wrote")
        if not path.exists():
            raise BadPath(f"{where}: no such file (a clinic file is what `tabletime clinic "
                          "merge --out FILE` writes)")
        if not path.is_file():
            raise BadPath(f"{where} is not a regular file (a device, a pipe): give the file "
                          "`tabletime clinic merge --out FILE` wrote")
        uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"  # nothing beside it either
        try:
            with closing(sqlite3.connect(uri, uri=True)) as db:
                found = cls(db, where)
                found._check_version()
                yield found
        except sqlite3.DatabaseError as error:
            raise BadPath(f"{where}: not a clinic file Tabletime can read ({error}): build it "
                          "again with `tabletime clinic merge`") from None

    def _check_version(self) -> None:
        (found,) = self._db.execute("PRAGMA user_version").fetchone()
        tables = {name for (name,) in self._db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if found != SCHEMA_VERSION or not {"meta", "therapists", "sessions"} <= tables:
            raise BadPath(f"{self.where}: not a clinic file of this version (schema "
                          f"{found}, this Tabletime reads {SCHEMA_VERSION}): merge the "
                          "archives again with `tabletime clinic merge`")

    @_checked("its meta table")
    def merged_at(self) -> datetime:
        """When the file was built: the `now` its open sessions and running timers are
        billed at, so that every reading of one file says the same."""
        row = self._db.execute("SELECT merged_at FROM meta LIMIT 1").fetchone()
        if row is None:
            raise BadPath(f"{self.where}: its meta table is empty: merge again")
        return datetime.fromisoformat(row[0])

    @_checked("its therapists table")
    def therapists(self) -> list[Therapist]:
        found = []
        for number, settings in self._db.execute(
                "SELECT therapist_id, settings FROM therapists ORDER BY therapist_id"):
            try:
                parsed = parse_settings(settings.encode("utf-8"),
                                        f"{self.where}: therapist {number}'s settings")
            except SettingsError as error:
                raise BadPath(str(error)) from None
            found.append(Therapist(number, parsed))
        return found

    @_checked("its meta table")
    def merged_range(self) -> tuple[date | None, date | None]:
        """The --from and --to the file was merged with (None: from the first day, to the
        last)."""
        row = self._db.execute("SELECT range_from, range_to FROM meta LIMIT 1").fetchone()
        return (None, None) if row is None else (_maybe_date(row[0]), _maybe_date(row[1]))

    @_checked("a session's date of service")
    def days(self, first: date | None, last: date | None) -> list[date]:
        """The dates of service with a session, in the range."""
        low, high = _bounds(first, last)
        return [date.fromisoformat(day) for (day,) in self._db.execute(
            "SELECT DISTINCT date_of_service FROM sessions WHERE ? IS NULL OR "
            "date_of_service BETWEEN ? AND ? ORDER BY date_of_service",
            (first or last, low, high))]

    @_checked("a session")
    def sessions(self, therapist_id: int, first: date, last: date, *, shared: bool = False
                 ) -> dict[date, list[SessionData]]:
        """One therapist's sessions of the dates, each with its segments, in day order;
        `shared`: only on the patients' dates another therapist has too (all the clinic
        checks of a date compare)."""
        between = (first.isoformat(), last.isoformat())
        wanted = None if not shared else set(self._db.execute(
            "SELECT date_of_service, patient FROM sessions WHERE date_of_service BETWEEN ? "
            "AND ? GROUP BY date_of_service, patient HAVING COUNT(DISTINCT therapist_id) > 1",
            between))
        sessions: dict[str, Session] = {}
        for day, patient, session_id, record in self._db.execute(
                "SELECT date_of_service, patient, session_id, record FROM sessions WHERE "
                "therapist_id = ? AND date_of_service BETWEEN ? AND ?",
                (therapist_id, *between)):
            if wanted is None or (day, patient) in wanted:
                sessions[session_id] = self._session(session_id, record)
        segments: dict[str, list[Segment]] = {key: [] for key in sessions}
        for row in self._db.execute(
                "SELECT g.segment_id, g.session_id, g.code, g.started_at, g.ended_at, "
                "g.furnished_by, g.note FROM segments g JOIN sessions s USING (session_id) "
                "WHERE s.therapist_id = ? AND s.date_of_service BETWEEN ? AND ? "
                "ORDER BY g.started_at", (therapist_id, *between)):
            if (session := sessions.get(row[1])) is not None:
                segments[row[1]].append(self._segment(row, session.id))
        days: dict[date, list[SessionData]] = {}
        for session_id, session in sessions.items():
            days.setdefault(session.date_of_service, []).append(
                (session, segments[session_id]))
        return {day: in_day_order(found) for day, found in sorted(days.items())}

    def _session(self, session_id: str, record: str) -> Session:
        try:
            return Session.model_validate_json(record)
        except ValidationError:
            raise BadPath(f"{self.where}: session {printable(session_id)} is damaged: merge "
                          "again") from None

    def _segment(self, row: Sequence[object], session_id: UUID) -> Segment:
        segment_id, _, code, start, end, furnished_by, note = row
        if self._built_here:
            return Segment.model_construct(
                id=UUID(str(segment_id)), session_id=session_id, code=str(code),
                start=datetime.fromisoformat(str(start)),
                end=None if end is None else datetime.fromisoformat(str(end)),
                furnished_by=FURNISHED_BY[str(furnished_by)], note=str(note))
        try:
            return Segment.model_validate({
                "id": segment_id, "session_id": session_id, "code": code, "start": start,
                "end": end, "furnished_by": furnished_by, "note": note})
        except ValidationError:
            raise BadPath(f"{self.where}: segment {printable(str(segment_id))} is damaged: "
                          "merge again") from None

    @_checked("a session")
    def session_ids(self, day: date, patient: str, therapist_ids: Sequence[int]
                    ) -> tuple[UUID, ...]:
        """The sessions of a patient's date of these therapists, in the file's order."""
        marks = ", ".join("?" * len(therapist_ids))
        return tuple(UUID(found) for (found,) in self._db.execute(
            f"SELECT session_id FROM sessions WHERE date_of_service = ? AND patient = ? AND "
            f"therapist_id IN ({marks}) ORDER BY therapist_id, opened_at",
            (day.isoformat(), patient, *therapist_ids)))

    @_checked("the year so far (year_before or claim_lines)")
    def year_to_date(self, therapist_id: int, day: date) -> YearToDate:
        """As that therapist's folder counts the year so far before `day` (KX), for the
        patients they saw that day: what the merge found before its range, and the allowed
        amounts of their lines since."""
        totals: YearToDate = {}
        seen = ("patient IN (SELECT patient FROM sessions WHERE therapist_id = ? AND "
                "date_of_service = ?)")
        start, before = date(day.year, 1, 1).isoformat(), day.isoformat()
        for patient, bucket, cents in self._db.execute(
                "SELECT patient, bucket, billed_cents + elsewhere_cents FROM year_before "
                f"WHERE therapist_id = ? AND before_date BETWEEN ? AND ? AND {seen}",
                (therapist_id, start, before, therapist_id, before)):
            key = (patient, TherapyBucket(bucket))
            totals[key] = totals.get(key, Decimal(0)) + _dollars(cents)
        for patient, discipline, cents in self._db.execute(
                "SELECT patient, discipline, SUM(allowed_cents) FROM claim_lines WHERE "
                "therapist_id = ? AND medicare = 1 AND date_of_service >= ? AND "
                f"date_of_service < ? AND allowed_cents IS NOT NULL AND {seen} "
                "GROUP BY patient, discipline", (therapist_id, start, before, therapist_id,
                                                 before)):
            key = (patient, therapy_bucket(Discipline(discipline)))
            totals[key] = totals.get(key, Decimal(0)) + _dollars(cents)
        return totals

    def claim_rows(self, first: date | None, last: date | None
                   ) -> Iterator[tuple[int, ClaimRow]]:
        """Every claim line of the range with its therapist's id: by date, therapist, then
        in the order the therapist's export has them."""
        low, high = _bounds(first, last)
        for row in self._db.execute(
                "SELECT therapist_id, date_of_service, patient, payer, method, medicare, "
                "discipline, code, modifiers, units, minutes, estimated_cents, allowed_cents, "
                "charge_cents, place_of_service, telehealth, rendering_therapist, "
                "rendering_npi, provider_code FROM claim_lines WHERE date_of_service BETWEEN "
                "? AND ? ORDER BY date_of_service, therapist_id, line_id", (low, high)):
            yield row[0], self._claim_row(row[1:])

    def _claim_row(self, row: Sequence[object]) -> ClaimRow:
        (day, patient, payer, method, medicare, discipline, code, modifiers, units, minutes,
         estimated, allowed, charge, place, telehealth, therapist, npi, provider_code) = row
        try:
            return ClaimRow.model_validate({
                "date_of_service": day, "patient": patient, "payer": payer,
                "method": Method(str(method)), "medicare": bool(medicare),
                "discipline": discipline, "code": code,
                "modifiers": tuple(str(modifiers).split()), "units": units,
                "minutes": minutes, "amount": _maybe_dollars(estimated),
                "allowed": _maybe_dollars(allowed), "charge": _maybe_dollars(charge),
                "place_of_service": place,
                "telehealth": None if telehealth is None else Telehealth(str(telehealth)),
                "therapist": therapist, "npi": npi, "provider_code": provider_code})
        except (ValueError, TypeError):  # a pydantic ValidationError is a ValueError
            raise BadPath(f"{self.where}: a claim line of {printable(str(day))} is damaged: "
                          "merge again") from None

    def check_count(self, first: date | None, last: date | None) -> int:
        (found,) = self._db.execute("SELECT count(*) FROM clinic_checks WHERE date_of_service "
                                    "BETWEEN ? AND ?", _bounds(first, last)).fetchone()
        return int(found)

    @_checked("a clinic check")
    def checks(self, first: date | None, last: date | None) -> list[ClinicCheck]:
        """The clinic checks of the dates, each naming its therapists by id (as text)."""
        low, high = _bounds(first, last)
        return [ClinicCheck(ClinicCheckKind(kind), date.fromisoformat(day), patient,
                            tuple(str(int(i)) for i in json.loads(therapists)),
                            tuple(UUID(i) for i in json.loads(sessions)), message, source)
                for kind, day, patient, therapists, sessions, message, source
                in self._db.execute(
                    "SELECT kind, date_of_service, patient, therapist_ids, session_ids, "
                    "message, source FROM clinic_checks WHERE date_of_service BETWEEN ? AND "
                    "? ORDER BY date_of_service, patient, check_id", (low, high))]


def _bounds(first: date | None, last: date | None) -> tuple[str, str]:
    return (first or date.min).isoformat(), (last or date.max).isoformat()


def _maybe_date(text: object) -> date | None:
    return None if text is None else date.fromisoformat(str(text))


def _dollars(cents: object) -> Decimal:
    if not isinstance(cents, int):
        raise TypeError("an amount in cents is a whole number")
    return Decimal(cents).scaleb(-2)


def _maybe_dollars(cents: object) -> Decimal | None:
    return None if cents is None else _dollars(cents)

