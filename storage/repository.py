"""The store the app and the command line use: sessions, segments, the audit trail and undo.

Promise: a change the caller was told about is on disk (atomic, fsynced) before the call
returns, and a refused change writes nothing. Rules enforced here, whatever the caller:
one therapist has one pair of hands (timed segments never overlap, across all sessions), an
end never precedes its start, closed sessions do not change, and a wall clock that jumps back
never yields a negative segment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from pydantic import ValidationError
from tinydb import where

from core.audit import UNDOABLE, Action, AuditEntry
from core.catalog import CatalogEntry, CodeError
from core.day import YearToDate, medicare_amounts, summarize_day
from core.minutes import code_minutes
from core.models import Clock, Discipline, Frozen, FurnishedBy, PayerProfile, Segment, problem
from core.modifiers import TherapyBucket
from core.session import Session
from core.settings import Settings
from core.text import printable
from core.units import compute_units
from storage.atomic import ensure_private_dir, remove_stale_temps, wider_than_private
from storage.documents import LedgerDay, OpenEntry, PatientVisits
from storage.errors import InvalidChange, MissingDataFolder, NotFound, OverlapError, StorageError
from storage.folder import WriterLock
from storage.settings_file import load_settings
from storage.store import Severity, Store

LEDGER_KEY = "\t"  # joins patient and bucket; a patient reference cannot hold a tab


class Notice(Frozen):
    """Something the user must be told: a timer stopped elsewhere, a file moved aside..."""

    message: str
    severity: Severity = "information"


class Repository:
    """One data folder. Open it with `Repository.open`; a writer holds the folder's lock."""

    def __init__(
        self, data_dir: Path, clock: Clock, settings: Settings, lock: WriterLock | None
    ) -> None:
        self.data_dir = data_dir
        self.clock = clock
        self.settings = settings
        self.catalog = settings.catalog()
        self.zone = settings.zone
        self._lock = lock
        self._notices: list[Notice] = []
        self._files = Store(data_dir, self._notify, writer=lock is not None)
        self._session_days: dict[UUID, date] = {}
        self._latest: datetime | None = None

    @classmethod
    def open(
        cls,
        data_dir: Path,
        clock: Clock,
        settings: Settings | None = None,
        *,
        read_only: bool = False,
    ) -> Repository:
        """Open a data folder; a writer takes the lock (DataFolderLocked if another has it).

        A reader changes nothing at all: it creates, chmods and repairs nothing, so reading
        works on a read-only disk and never disturbs a running app.
        """
        if read_only:
            if not data_dir.is_dir():
                raise MissingDataFolder(data_dir)
            lock = None
        else:
            ensure_private_dir(data_dir)
            lock = WriterLock(data_dir).acquire()
        try:
            if lock is not None:
                remove_stale_temps(data_dir)
            settings = settings or load_settings(data_dir, first_run_writes=not read_only)
            repo = cls(data_dir, clock, settings, lock)
            if (mode := wider_than_private(data_dir)) is not None:
                repo._notify(f"{printable(str(data_dir))} can be read by other users (mode "
                             f"{mode:o}): it holds patient data; chmod 700 it", "warning")
            repo._recover()
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return repo

    def close(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Repository:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def read_only(self) -> bool:
        return self._lock is None

    def pop_notices(self) -> list[Notice]:
        notices, self._notices = self._notices, []
        return notices

    def _notify(self, message: str, severity: Severity = "information") -> None:
        self._notices.append(Notice(message=message, severity=severity))

    # ---- time -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The clock, never earlier than an instant already recorded (a clock that jumps back
        is clamped and reported, so no segment can come out negative)."""
        now = self.clock()
        if self._latest is not None and now < self._latest:
            self._notify(
                f"the clock went back {self._latest - now} (to {self.local(now):%H:%M:%S}); "
                f"times are kept at {self.local(self._latest):%H:%M:%S} until it catches up",
                "warning",
            )
            return self._latest
        return now

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def _saw(self, *instants: datetime | None) -> None:
        for instant in instants:
            if instant is not None and (self._latest is None or instant > self._latest):
                self._latest = instant

    # ---- sessions ---------------------------------------------------------------------------

    def create_session(
        self, patient: str, payer: str | PayerProfile, discipline: Discipline | None = None
    ) -> Session:
        self._require_writer()
        profile = payer if isinstance(payer, PayerProfile) else self._payer(payer)
        now = self.now()
        try:
            session = Session(
                patient=patient.strip(),
                payer=profile,
                discipline=discipline or self.settings.discipline,
                date_of_service=self.local(now).date(),
                opened_at=now,
                therapist=self.settings.therapist,
            )
        except ValidationError as error:
            raise InvalidChange(problem(error).replace("patient:", "patient reference:")) from None
        # The indexes are written first, so they always cover every session on disk.
        self._index_open([(session.id, session.date_of_service)])
        self._index_patients([(session.patient, session.date_of_service)])
        change = uuid4()
        with self._files.writing(self._files.day_path(session.date_of_service)) as table:
            table("sessions").insert(_dump(session))
            table("audit").insert(self._audit(change, Action.OPEN, session, after=_dump(session)))
        self._session_days[session.id] = session.date_of_service
        self._saw(now)
        return session

    def get_session(self, session_id: UUID) -> Session:
        day = self._session_days.get(session_id)
        if day is not None:
            for session in self.sessions_on(day):
                if session.id == session_id:
                    return session
        raise NotFound(f"no session {session_id} in {self.data_dir}")

    def sessions_on(self, day: date) -> list[Session]:
        sessions = self._load(self._files.day_path(day), "sessions", Session)
        for session in sessions:
            self._session_days[session.id] = session.date_of_service
        return sorted(sessions, key=lambda s: s.opened_at)

    def session_dates(self, ids: set[UUID]) -> dict[UUID, date]:
        """The date of service of each of `ids` that is stored, wherever it is."""
        found = {}
        for day in self.all_days():
            for session in self.sessions_on(day):
                if session.id in ids:
                    found[session.id] = day
        return found

    def sessions_between(self, first: date, last: date) -> list[Session]:
        days = self._files.days_with_files(first, last)
        return [session for day in days for session in self.sessions_on(day)]

    def all_days(self) -> list[date]:
        return self._files.days_with_files()

    def sessions_for_patient(self, patient: str) -> list[Session]:
        """Every session of a patient, oldest first, found through the per-year patient index."""
        days: set[date] = set()
        for path in sorted((self.data_dir / "patients").glob("*.json")):
            for visits in self._load(path, "patients", PatientVisits):
                if visits.patient == patient:
                    days.update(visits.dates)
        found = [s for day in sorted(days) for s in self.sessions_on(day) if s.patient == patient]
        return sorted(found, key=lambda s: s.opened_at)

    def patients(self) -> list[str]:
        """Patient references seen this year and last year, for completion."""
        year = self.local(self.clock()).year
        names: set[str] = set()
        for y in (year - 1, year):
            path = self._files.patients_path(y)
            names.update(v.patient for v in self._load(path, "patients", PatientVisits))
        return sorted(names)

    def open_sessions(self) -> list[Session]:
        """Sessions not closed yet, from any day (a session may run past midnight)."""
        entries = self._load(self._files.open_path, "open", OpenEntry)
        by_id = {s.id: s for day in {e.date for e in entries} for s in self.sessions_on(day)}
        result = [by_id[e.session_id] for e in entries
                  if e.session_id in by_id and by_id[e.session_id].is_open]
        stale = [e.session_id for e in entries if e.session_id not in {s.id for s in result}]
        if stale and not self.read_only:
            # A close killed before it updated the ledger left its session here: finish it.
            self.refresh_ledger({by_id[i].date_of_service for i in stale if i in by_id})
            self._unindex_open(stale)
        return sorted(result, key=lambda s: s.opened_at)

    def close_session(
        self, session_id: UUID, *, stop_running: bool = False, prefer: Sequence[str] = ()
    ) -> Session:
        """Close with the billing result computed from the stored segments at the close instant.

        A running segment is refused unless `stop_running`, which stops it at that instant.
        `prefer` is the therapist's pick among tied codes.
        """
        session = self._writable_session(session_id)
        segments = self.segments_of(session_id)
        running = [s for s in segments if s.running]
        if running and not stop_running:
            codes = ", ".join(s.code for s in running)
            raise InvalidChange(f"{codes} still running on {session.patient}: stop it first")
        now = self.now()
        stopped = [s.model_copy(update={"end": max(now, s.start)}) for s in running]
        final = [s for s in segments if not s.running] + stopped
        billing = compute_units(code_minutes(final, now), session.payer.method, self.catalog,
                                prefer)
        closed = session.model_copy(update={"closed_at": now, "billing": billing})
        change = uuid4()
        with self._files.writing(self._files.day_path(session.date_of_service)) as table:
            for old, new in zip(running, stopped, strict=True):
                self._replace_segment(table, change, Action.STOP, session, old, new, "closed")
            table("sessions").update(_dump(closed), where("id") == str(session_id))
            table("audit").insert(self._audit(change, Action.CLOSE, session,
                                              before=_session_state(session),
                                              after=_session_state(closed)))
        self.refresh_ledger([session.date_of_service])
        self._unindex_open([session_id])
        self._saw(now)
        return closed

    def reopen_session(self, session_id: UUID, reason: str) -> Session:
        self._require_writer()
        session = self.get_session(session_id)
        if session.is_open:
            raise InvalidChange(f"the session of {session.patient} is already open")
        if not reason.strip():
            raise InvalidChange("reopening a closed session needs a reason (it is audited)")
        reopened = session.model_copy(update={"closed_at": None, "billing": None})
        self._index_open([(session.id, session.date_of_service)])
        self.refresh_ledger([session.date_of_service], leave_out={session.id})
        with self._files.writing(self._files.day_path(session.date_of_service)) as table:
            table("sessions").update(_dump(reopened), where("id") == str(session_id))
            table("audit").insert(self._audit(uuid4(), Action.REOPEN, session,
                                              before=_session_state(session),
                                              after=_session_state(reopened), reason=reason))
        return reopened

    # ---- segments ---------------------------------------------------------------------------

    def segments_of(self, session_id: UUID) -> list[Segment]:
        day = self._day_of(session_id)
        return [s for s in self.segments_on(day) if s.session_id == session_id]

    def segments_on(self, day: date) -> list[Segment]:
        """Every segment of the sessions of one date of service, in start order."""
        rows = self._load(self._files.day_path(day), "segments", Segment)
        return sorted(rows, key=lambda s: s.start)

    def running_segments(self) -> list[Segment]:
        """Running timers of every open session, whatever day it started on."""
        sessions = self.open_sessions()
        ids = {s.id for s in sessions}
        days = sorted({s.date_of_service for s in sessions})
        return [s for day in days for s in self.segments_on(day)
                if s.running and s.session_id in ids]

    def start(
        self,
        session_id: UUID,
        code: str,
        *,
        at: datetime | None = None,
        furnished_by: FurnishedBy | None = None,
    ) -> Segment:
        """Start `code` now (or backdated to `at`), saved at once with no end.

        A timed code stops the therapist's running timed code in any session at the same
        instant (one pair of hands); within this session that is one durable write.
        """
        session = self._writable_session(session_id)
        entry = self._code(code)
        now = self.now()
        start = now if at is None else self._past(at, "start")
        mine = self.segments_of(session_id)
        already = [s for s in mine if s.running and s.code == entry.code]
        if already:
            return already[0]
        candidate = Segment(session_id=session_id, code=entry.code, start=start,
                            furnished_by=furnished_by or self.settings.role)
        running = self._running_timed() if entry.timed else []
        to_stop = [s for s in running if s.start <= start]
        if entry.timed:
            self._check_overlap(candidate, ignore={s.id for s in to_stop}, running=running)
        for other in (s for s in to_stop if s.session_id != session_id):
            other_session = self.get_session(other.session_id)
            self._notify(f"stopped {other.code} on {other_session.patient}: one pair of hands")
            self._stop(other_session, [other], start, f"started {entry.code} on {session.patient}")
        change = uuid4()
        with self._files.writing(self._files.day_path(session.date_of_service)) as table:
            for other in (s for s in to_stop if s.session_id == session_id):
                self._replace_segment(table, change, Action.STOP, session, other,
                                      other.model_copy(update={"end": start}),
                                      f"switched to {entry.code}")
            table("segments").insert(_dump(candidate))
            table("audit").insert(self._audit(change, Action.START, session, candidate.id,
                                              after=_dump(candidate)))
        self._saw(start)
        return candidate

    def stop(
        self, session_id: UUID, segment_id: UUID | None = None, *, at: datetime | None = None
    ) -> list[Segment]:
        """Stop one running segment, or (pause) every running timed segment of the session."""
        session = self._writable_session(session_id)
        running = [s for s in self.segments_of(session_id) if s.running]
        if segment_id is not None:
            running = [s for s in running if s.id == segment_id]
            if not running:
                raise InvalidChange("that segment is not running")
        else:
            running = [s for s in running if self.catalog.is_timed(s.code)]
        end = self.now() if at is None else self._past(at, "stop")
        for segment in running:
            if end < segment.start:
                raise InvalidChange(
                    f"{segment.code} cannot stop at {self.local(end):%H:%M}: it started at "
                    f"{self.local(segment.start):%H:%M}"
                )
        return self._stop(session, running, end, "stopped")

    def resume(self, session_id: UUID) -> Segment:
        """Start again the timed code that stopped last in this session."""
        stopped = [s for s in self.segments_of(session_id)
                   if not s.running and self.catalog.is_timed(s.code)]
        if not stopped:
            raise InvalidChange("nothing to resume: no timed code has run in this session yet")
        last = max(stopped, key=lambda s: s.end or s.start)
        return self.start(session_id, last.code, furnished_by=last.furnished_by)

    def add_segment(
        self,
        session_id: UUID,
        code: str,
        start: datetime,
        end: datetime,
        *,
        furnished_by: FurnishedBy | None = None,
        note: str = "",
        reason: str = "added by hand",
    ) -> Segment:
        session = self._writable_session(session_id)
        entry = self._code(code)
        segment = self._segment(session_id=session_id, code=entry.code, start=start, end=end,
                                furnished_by=furnished_by or self.settings.role, note=note)
        self._past(segment.start, "start")
        self._past(end, "end")
        self._check_overlap(segment, ignore=set())
        with self._files.writing(self._files.day_path(session.date_of_service)) as table:
            table("segments").insert(_dump(segment))
            table("audit").insert(self._audit(uuid4(), Action.ADD, session, segment.id,
                                              after=_dump(segment), reason=reason))
        self._saw(segment.end)
        return segment

    def edit_segment(
        self, session_id: UUID, segment_id: UUID, *, reason: str = "edited", **changes: Any
    ) -> Segment:
        """Change a segment's code, start, end, furnished_by or note; validated before saving."""
        allowed = {"code", "start", "end", "furnished_by", "note"}
        if unknown := set(changes) - allowed:
            raise InvalidChange(f"cannot change {', '.join(sorted(unknown))} of a segment")
        session = self._writable_session(session_id)
        old = self._segment_in(session_id, segment_id)
        if "code" in changes:
            changes["code"] = self._code(changes["code"]).code
        new = self._segment(**{**old.model_dump(), **changes})
        if "start" in changes:
            self._past(new.start, "start")
        if new.end is not None and "end" in changes:
            self._past(new.end, "end")
        if old.end is not None and new.end is None:
            raise InvalidChange("a stopped segment cannot be made to run again; add a new one")
        self._check_overlap(new, ignore={old.id})
        with self._files.writing(self._files.day_path(session.date_of_service)) as table:
            self._replace_segment(table, uuid4(), Action.EDIT, session, old, new, reason)
        return new

    def delete_segment(
        self, session_id: UUID, segment_id: UUID, *, reason: str = "deleted"
    ) -> None:
        session = self._writable_session(session_id)
        old = self._segment_in(session_id, segment_id)
        with self._files.writing(self._files.day_path(session.date_of_service)) as table:
            table("segments").remove(where("id") == str(segment_id))
            table("audit").insert(self._audit(uuid4(), Action.DELETE, session, old.id,
                                              before=_dump(old), reason=reason))

    def audit_of(self, session_id: UUID) -> list[AuditEntry]:
        day = self._day_of(session_id)
        rows = self._load(self._files.day_path(day), "audit", AuditEntry)
        return [entry for entry in rows if entry.session_id == session_id]

    def undo(self, session_id: UUID) -> str:
        """Walk back the last change of this session (all of it, if it was one write).

        Returns what was undone, in words. Refused, writing nothing, if the old state would
        now overlap a segment recorded since.
        """
        session = self._session_for_undo(session_id)
        entries = [e for e in self.audit_of(session_id) if not e.undone and e.action in UNDOABLE]
        if not entries:
            raise InvalidChange("nothing to undo in this session")
        last = entries[-1].change_id
        group = [e for e in entries if e.change_id == last]
        restored = [Segment.model_validate(e.before) for e in group
                    if e.segment_id is not None and e.before is not None]
        touched = {e.segment_id for e in group if e.segment_id is not None}
        for segment in restored:
            self._check_overlap(segment, ignore=touched)
        state = next((e.before for e in reversed(group) if e.action in (Action.CLOSE,
                                                                         Action.REOPEN)), None)
        if state is not None and state.get("closed_at") is None:
            self._index_open([(session.id, session.date_of_service)])
            self.refresh_ledger([session.date_of_service], leave_out={session.id})
        what = ", ".join(_describe(e) for e in group)
        with self._files.writing(self._files.day_path(session.date_of_service)) as table:
            for entry in reversed(group):
                if entry.segment_id is not None:
                    table("segments").remove(where("id") == str(entry.segment_id))
                    if entry.before is not None:
                        table("segments").insert(entry.before)
                table("audit").update({"undone": True}, where("id") == str(entry.id))
            if state is not None:
                restored_session = Session.model_validate({**_dump(session), **state})
                table("sessions").update(_dump(restored_session), where("id") == str(session.id))
            table("audit").insert(self._audit(uuid4(), Action.UNDO, session, reason=what))
        if state is not None and state.get("closed_at") is not None:
            self.refresh_ledger([session.date_of_service])
            self._unindex_open([session.id])
        return what

    # ---- import -----------------------------------------------------------------------------

    def timed_segments_near(self, day: date) -> list[Segment]:
        """The therapist's timed segments of the day before, the day and the day after."""
        return [s for offset in (-1, 0, 1) for s in self.segments_on(day + timedelta(days=offset))
                if self.catalog.is_timed(s.code)]

    def add_imported(self, bundles: Sequence[tuple[Session, Sequence[Segment]]]) -> None:
        """Write imported sessions: each date of service in one durable write, each session whole.

        The indexes are written first, so an import killed half-way can simply be run again.
        """
        self._require_writer()
        self._index_patients([(s.patient, s.date_of_service) for s, _ in bundles])
        self._index_open([(s.id, s.date_of_service) for s, _ in bundles if s.is_open])
        by_day: dict[date, list[tuple[Session, Sequence[Segment]]]] = {}
        for session, segments in bundles:
            by_day.setdefault(session.date_of_service, []).append((session, segments))
        for day, items in sorted(by_day.items()):
            with self._files.writing(self._files.day_path(day)) as table:
                for session, segments in items:
                    table("sessions").insert(_dump(session))
                    table("segments").insert_multiple(_dump(s) for s in segments)
                    table("audit").insert(self._audit(
                        uuid4(), Action.IMPORT, session,
                        reason=f"{len(segments)} segments imported"))
                    self._session_days[session.id] = day

    # ---- the ledger of Medicare amounts -----------------------------------------------------

    def refresh_ledger(self, days: Iterable[date], leave_out: set[UUID] | None = None) -> None:
        """Recompute the days' Medicare amounts from their sessions (one write per year).

        `leave_out`: sessions about to reopen, written before they are, so that a crash in
        between can only leave an amount out, never count a session that is no longer closed.
        """
        by_year: dict[int, dict[date, dict[str, str]]] = {}
        for day in set(days):
            segments = self.segments_on(day)
            sessions = [(s, [g for g in segments if g.session_id == s.id])
                        for s in self.sessions_on(day)
                        if not s.is_open and s.id not in (leave_out or set())]
            summary = summarize_day(day, sessions, self.clock(), self.catalog, self.zone)
            by_year.setdefault(day.year, {})[day] = {
                f"{patient}{LEDGER_KEY}{bucket}": f"{amount:.2f}"
                for (patient, bucket), amount in medicare_amounts(summary).items()
            }
        for year, entries in by_year.items():
            with self._files.writing(self._files.ledger_path(year)) as table:
                for day, amounts in entries.items():
                    table("days").upsert({"date": day.isoformat(), "amounts": amounts},
                                         where("date") == day.isoformat())

    def year_to_date(self, day: date) -> YearToDate:
        """Each patient's closed Medicare amount per bucket in `day`'s year, before `day`."""
        totals: YearToDate = {}
        for entry in self._load(self._files.ledger_path(day.year), "days", LedgerDay):
            if entry.date < day:
                for key, amount in entry.amounts.items():
                    patient, bucket = key.split(LEDGER_KEY)
                    index = (patient, TherapyBucket(bucket))
                    totals[index] = totals.get(index, Decimal(0)) + amount
        return totals

    # ---- internals --------------------------------------------------------------------------

    def _recover(self) -> None:
        """Find open sessions and running timers (also from earlier days) after any exit."""
        for session in self.open_sessions():
            for segment in self.segments_of(session.id):
                self._saw(segment.start, segment.end)

    def _require_writer(self) -> None:
        if self.read_only:
            raise InvalidChange(f"{self.data_dir} is open read-only: no change was saved")

    def _payer(self, name: str) -> PayerProfile:
        try:
            return self.settings.payer(name)
        except KeyError as error:
            raise InvalidChange(str(error.args[0])) from None

    def _code(self, code: str) -> CatalogEntry:
        try:
            return self.catalog.get(code)
        except CodeError as error:
            raise InvalidChange(str(error)) from None

    def _segment(self, **fields: Any) -> Segment:
        try:
            return Segment(**fields)
        except ValidationError as error:
            raise InvalidChange(problem(error)) from None

    def _past(self, instant: datetime, what: str) -> datetime:
        if instant.tzinfo is None:
            raise InvalidChange(f"the {what} time has no time zone")
        if instant > self.clock() + timedelta(seconds=1):
            raise InvalidChange(f"the {what} time {self.local(instant):%H:%M} is in the future")
        return instant

    def _day_of(self, session_id: UUID) -> date:
        day = self._session_days.get(session_id)
        if day is None:
            self.open_sessions()
            day = self._session_days.get(session_id)
        if day is None:
            raise NotFound(f"no session {session_id} in {self.data_dir}")
        return day

    def _writable_session(self, session_id: UUID) -> Session:
        self._require_writer()
        self._day_of(session_id)
        session = self.get_session(session_id)
        if not session.is_open:
            raise InvalidChange(
                f"the session of {session.patient} is closed: reopen it (with a reason) "
                "to change it"
            )
        return session

    def _session_for_undo(self, session_id: UUID) -> Session:
        self._require_writer()
        self._day_of(session_id)
        return self.get_session(session_id)

    def _segment_in(self, session_id: UUID, segment_id: UUID) -> Segment:
        for segment in self.segments_of(session_id):
            if segment.id == segment_id:
                return segment
        raise NotFound(f"no segment {segment_id} in that session")

    def _running_timed(self) -> list[Segment]:
        return [s for s in self.running_segments() if self.catalog.is_timed(s.code)]

    def _check_overlap(
        self, candidate: Segment, ignore: set[UUID], running: list[Segment] | None = None
    ) -> None:
        """One therapist, one pair of hands: timed segments never overlap, in any session."""
        if not self.catalog.is_timed(candidate.code):
            return
        day = self.local(candidate.start).date()
        nearby = {s.id: s for s in self.timed_segments_near(day)}
        nearby.update({s.id: s for s in (self._running_timed() if running is None else running)})
        for other in nearby.values():
            if other.id in ignore or other.id == candidate.id:
                continue
            if candidate.overlaps(other):
                patient = self.get_session(other.session_id).patient
                raise OverlapError(
                    f"{candidate.code} {self._span(candidate.start, candidate.end)} overlaps "
                    f"{other.code} {self._span(other.start, other.end)} on {patient}: timed "
                    "minutes of one therapist cannot overlap"
                )

    def _span(self, start: datetime, end: datetime | None) -> str:
        tail = f"{self.local(end):%H:%M:%S}" if end is not None else "running"
        return f"{self.local(start):%H:%M:%S}-{tail}"

    def _stop(self, session: Session, running: Sequence[Segment], end: datetime,
              reason: str) -> list[Segment]:
        stopped = []
        change = uuid4()
        with self._files.writing(self._files.day_path(session.date_of_service)) as table:
            for segment in running:
                new = segment.model_copy(update={"end": max(end, segment.start)})
                self._replace_segment(table, change, Action.STOP, session, segment, new, reason)
                stopped.append(new)
        self._saw(end)
        return stopped

    def _replace_segment(self, table: Any, change: UUID, action: Action, session: Session,
                         old: Segment, new: Segment, reason: str) -> None:
        table("segments").update(_dump(new), where("id") == str(old.id))
        table("audit").insert(self._audit(change, action, session, old.id, before=_dump(old),
                                          after=_dump(new), reason=reason))

    def _audit(self, change: UUID, action: Action, session: Session, segment_id: UUID | None = None,
               *, before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
               reason: str = "") -> dict[str, Any]:
        try:
            entry = AuditEntry(change_id=change, at=self.clock(), who=self.settings.therapist,
                               action=action, session_id=session.id, segment_id=segment_id,
                               before=before, after=after, reason=reason)
        except ValidationError as error:
            raise InvalidChange(problem(error)) from None
        return _dump(entry)

    def _load(self, path: Path, table: str, model: type[Any]) -> list[Any]:
        """The validated records of a table (the file was validated as a whole)."""
        return self._files.records(path, table)

    def _index_open(self, sessions: Sequence[tuple[UUID, date]]) -> None:
        if not sessions:
            return
        with self._files.writing(self._files.open_path) as table:
            for session_id, day in sessions:
                table("open").upsert({"session_id": str(session_id), "date": day.isoformat()},
                                     where("session_id") == str(session_id))

    def _unindex_open(self, session_ids: Iterable[UUID]) -> None:
        ids = {str(i) for i in session_ids}
        with self._files.writing(self._files.open_path) as table:
            table("open").remove(where("session_id").one_of(sorted(ids)))

    def _index_patients(self, visits: Iterable[tuple[str, date]]) -> None:
        """Record which dates each patient was seen, one write per year file at most."""
        by_year: dict[int, dict[str, set[str]]] = {}
        for patient, day in visits:
            by_year.setdefault(day.year, {}).setdefault(patient, set()).add(day.isoformat())
        for year, seen in by_year.items():
            path = self._files.patients_path(year)
            known = {v.patient: {d.isoformat() for d in v.dates}
                     for v in self._load(path, "patients", PatientVisits)}
            changed = {p: known.get(p, set()) | d for p, d in seen.items()
                       if not d <= known.get(p, set())}
            if not changed:
                continue
            with self._files.writing(path) as table:
                for patient, dates in changed.items():
                    table("patients").upsert({"patient": patient, "dates": sorted(dates)},
                                             where("patient") == patient)


def _dump(model: Frozen) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _session_state(session: Session) -> dict[str, Any]:
    return {"closed_at": _dump(session).get("closed_at"), "billing": _dump(session).get("billing")}


def _describe(entry: AuditEntry) -> str:
    segment = entry.after or entry.before
    return f"{entry.action} {segment['code']}" if entry.segment_id and segment else entry.action


__all__ = ["InvalidChange", "NotFound", "Notice", "OverlapError", "Repository", "StorageError"]
