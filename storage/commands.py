"""Every change to the data folder: audited, undoable, durable before it returns.

Promise: a change the caller was told about is on disk (atomic, fsynced) before the call
returns, and a refused change writes nothing. Rules enforced here, whatever the caller: one
therapist has one pair of hands (timed segments never overlap, across all sessions), an end
never precedes its start, closed sessions do not change, and a wall clock that jumps back
never yields a negative segment. A change within one day file is one write; the index is
told when what it says of that day changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from uuid import UUID, uuid4

from pydantic import ValidationError

from core.audit import UNDOABLE, Action, AuditEntry
from core.catalog import Catalog, CatalogEntry, CodeError
from core.minutes import code_minutes
from core.models import Discipline, FurnishedBy, PayerProfile, Segment, problem
from core.session import Session
from core.settings import Settings
from core.timing import ClampedClock, describe_overlap, first_overlap, to_stop_for
from core.units import compute_units
from storage.errors import InvalidChange, NotFound, OverlapError
from storage.indexes import Indexes
from storage.queries import Queries
from storage.store import Change, Severity, Store

Notify = Callable[[str, Severity], None]


class Commands:
    def __init__(self, store: Store, indexes: Indexes, queries: Queries, settings: Settings,
                 catalog: Catalog, zone: tzinfo, clock: ClampedClock, notify: Notify) -> None:
        self._store = store
        self._indexes = indexes
        self._read = queries
        self._settings = settings
        self._catalog = catalog
        self._zone = zone
        self._clock = clock
        self._notify = notify

    # ---- sessions -------------------------------------------------------------------------

    def create_session(self, patient: str, payer: str | PayerProfile,
                       discipline: Discipline | None = None) -> Session:
        self._require_writer()
        profile = payer if isinstance(payer, PayerProfile) else self._payer(payer)
        now = self.now()
        try:
            session = Session(patient=patient, payer=profile,
                              discipline=discipline or self._settings.discipline,
                              date_of_service=now.astimezone(self._zone).date(), opened_at=now,
                              therapist=self._settings.therapist)
        except ValidationError as error:
            raise InvalidChange(problem(error).replace("patient:", "patient reference:")) from None
        with self._day(session) as change:
            change.put("sessions", session)
            change.add("audit", self._audit(uuid4(), Action.OPEN, session,
                                            after=_dump(session)))
        self._indexes.day_changed(session.date_of_service)
        self._clock.saw(now)
        return session

    def close_session(self, session_id: UUID, *, stop_running: bool = False,
                      prefer: Sequence[str] = ()) -> Session:
        """Close with the billing result computed from the stored segments at the close instant.

        A running segment is refused unless `stop_running`, which stops it at that instant.
        `prefer` is the therapist's pick among tied codes.
        """
        session = self._writable(session_id)
        segments = self._read.segments_of(session_id)
        running = [s for s in segments if s.running]
        if running and not stop_running:
            codes = ", ".join(s.code for s in running)
            raise InvalidChange(f"{codes} still running on {session.patient}: stop it first")
        now = self.now()
        stopped = [s.model_copy(update={"end": max(now, s.start)}) for s in running]
        final = [s for s in segments if not s.running] + stopped
        billing = compute_units(code_minutes(final, now), session.payer.method, self._catalog,
                                prefer, medicare=session.payer.medicare)
        closed = session.model_copy(update={"closed_at": now, "billing": billing})
        change_id = uuid4()
        with self._day(session) as change:
            for old, new in zip(running, stopped, strict=True):
                self._replace(change, change_id, Action.STOP, session, old, new, "closed")
            change.put("sessions", closed)
            change.add("audit", self._audit(change_id, Action.CLOSE, session,
                                            before=_state(session), after=_state(closed)))
        self._indexes.day_changed(session.date_of_service)
        self._clock.saw(now)
        return closed

    def reopen_session(self, session_id: UUID, reason: str) -> Session:
        self._require_writer()
        session = self._read.session(session_id)
        if session.is_open:
            raise InvalidChange(f"the session of {session.patient} is already open")
        if not reason.strip():
            raise InvalidChange("reopening a closed session needs a reason (it is audited)")
        reopened = session.model_copy(update={"closed_at": None, "billing": None})
        with self._day(session) as change:
            change.put("sessions", reopened)
            change.add("audit", self._audit(uuid4(), Action.REOPEN, session,
                                            before=_state(session), after=_state(reopened),
                                            reason=reason))
        self._indexes.day_changed(session.date_of_service)
        return reopened

    # ---- timers ---------------------------------------------------------------------------

    def start(self, session_id: UUID, code: str, *, at: datetime | None = None,
              furnished_by: FurnishedBy | None = None) -> Segment:
        """Start `code` now (or backdated to `at`), saved at once with no end.

        A timed code stops the therapist's running timed code in any session at the same
        instant (one pair of hands); within this session that is one durable write.
        """
        session = self._writable(session_id)
        entry = self._code(code)
        start = self.now() if at is None else self._past(at, "start")
        already = [s for s in self._read.segments_of(session_id)
                   if s.running and s.code == entry.code]
        if already:
            return already[0]
        candidate = Segment(session_id=session_id, code=entry.code, start=start,
                            furnished_by=furnished_by or self._settings.role)
        running = self._read.running_timed() if entry.timed else []
        stopping = to_stop_for(start, running)
        if entry.timed:
            self._check_overlap(candidate, ignore={s.id for s in stopping}, running=running)
        for other in (s for s in stopping if s.session_id != session_id):
            other_session = self._read.session(other.session_id)
            self._notify(f"stopped {other.code} on {other_session.patient}: one pair of hands",
                         "information")
            self._stop(other_session, [other], start,
                       f"started {entry.code} on {session.patient}")
        change_id = uuid4()
        with self._day(session) as change:
            for other in (s for s in stopping if s.session_id == session_id):
                self._replace(change, change_id, Action.STOP, session, other,
                              other.model_copy(update={"end": start}),
                              f"switched to {entry.code}")
            change.put("segments", candidate)
            change.add("audit", self._audit(change_id, Action.START, session, candidate.id,
                                            after=_dump(candidate)))
        self._clock.saw(start)
        return candidate

    def stop(self, session_id: UUID, segment_id: UUID | None = None, *,
             at: datetime | None = None) -> list[Segment]:
        """Stop one running segment, or (pause) every running timed segment of the session."""
        session = self._writable(session_id)
        running = [s for s in self._read.segments_of(session_id) if s.running]
        if segment_id is not None:
            running = [s for s in running if s.id == segment_id]
            if not running:
                raise InvalidChange("that segment is not running")
        else:
            running = [s for s in running if self._catalog.is_timed(s.code)]
        end = self.now() if at is None else self._past(at, "stop")
        for segment in running:
            if end < segment.start:
                raise InvalidChange(
                    f"{segment.code} cannot stop at {self._local(end):%H:%M}: it started at "
                    f"{self._local(segment.start):%H:%M}")
        return self._stop(session, running, end, "stopped")

    def resume(self, session_id: UUID) -> Segment:
        """Start again the timed code that stopped last in this session."""
        stopped = [s for s in self._read.segments_of(session_id)
                   if not s.running and self._catalog.is_timed(s.code)]
        if not stopped:
            raise InvalidChange("nothing to resume: no timed code has run in this session yet")
        last = max(stopped, key=lambda s: s.end or s.start)
        return self.start(session_id, last.code, furnished_by=last.furnished_by)

    # ---- segments by hand -----------------------------------------------------------------

    def add_segment(self, session_id: UUID, code: str, start: datetime, end: datetime, *,
                    furnished_by: FurnishedBy | None = None, note: str = "",
                    reason: str = "added by hand") -> Segment:
        session = self._writable(session_id)
        entry = self._code(code)
        segment = self._segment(session_id=session_id, code=entry.code, start=start, end=end,
                                furnished_by=furnished_by or self._settings.role, note=note)
        self._past(segment.start, "start")
        self._past(end, "end")
        self._check_overlap(segment, ignore=set())
        with self._day(session) as change:
            change.put("segments", segment)
            change.add("audit", self._audit(uuid4(), Action.ADD, session, segment.id,
                                            after=_dump(segment), reason=reason))
        self._clock.saw(segment.end)
        return segment

    def edit_segment(self, session_id: UUID, segment_id: UUID, *, reason: str = "edited",
                     **changes: Any) -> Segment:
        """Change a segment's code, start, end, furnished_by or note; validated before saving."""
        allowed = {"code", "start", "end", "furnished_by", "note"}
        if unknown := set(changes) - allowed:
            raise InvalidChange(f"cannot change {', '.join(sorted(unknown))} of a segment")
        session = self._writable(session_id)
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
        with self._day(session) as change:
            self._replace(change, uuid4(), Action.EDIT, session, old, new, reason)
        return new

    def delete_segment(self, session_id: UUID, segment_id: UUID, *,
                       reason: str = "deleted") -> None:
        session = self._writable(session_id)
        old = self._segment_in(session_id, segment_id)
        with self._day(session) as change:
            change.drop("segments", old.id)
            change.add("audit", self._audit(uuid4(), Action.DELETE, session, old.id,
                                            before=_dump(old), reason=reason))

    def undo(self, session_id: UUID) -> str:
        """Walk back the last change of this session (all of it, if it was one write).

        Returns what was undone, in words. Refused, writing nothing, if the old state would
        now overlap a segment recorded since.
        """
        self._require_writer()
        session = self._read.session(session_id)
        entries = [e for e in self._read.audit_of(session_id)
                   if not e.undone and e.action in UNDOABLE]
        if not entries:
            raise InvalidChange("nothing to undo in this session")
        group = [e for e in entries if e.change_id == entries[-1].change_id]
        touched = {e.segment_id for e in group if e.segment_id is not None}
        restored = self._restored(session_id, group)
        for segment in restored.values():
            if segment is not None:
                self._check_overlap(segment, ignore=touched)
        state = next((e.before for e in reversed(group)
                      if e.action in (Action.CLOSE, Action.REOPEN)), None)
        codes = {s.id: s.code for s in self._read.segments_of(session_id)}
        codes.update((i, s.code) for i, s in restored.items() if s is not None)
        what = ", ".join(f"{e.action} {e.code or codes.get(e.segment_id, '')}".strip()
                         if e.segment_id else str(e.action) for e in group)
        with self._day(session) as change:
            for segment_id, segment in restored.items():
                if segment is None:
                    change.drop("segments", segment_id)
                else:
                    change.put("segments", segment)
            for entry in reversed(group):
                change.put("audit", entry.model_copy(update={"undone": True}))
            if state is not None:
                change.put("sessions", Session.model_validate({**_dump(session), **state}))
            change.add("audit", self._audit(uuid4(), Action.UNDO, session, reason=what))
        if state is not None:
            self._indexes.day_changed(session.date_of_service)
        return what

    def _restored(self, session_id: UUID, group: Sequence[AuditEntry]
                  ) -> dict[UUID, Segment | None]:
        """The segments as they were before `group` (None: it did not exist). An entry keeps
        what its change changed: a whole segment for one added or deleted, the changed fields
        for one stopped or edited; walked back from the latest entry."""
        now = {s.id: s for s in self._read.segments_of(session_id)}
        for entry in reversed(group):
            if entry.segment_id is None:
                continue
            if entry.before is None:
                now[entry.segment_id] = None  # type: ignore[assignment]
                continue
            current = now.get(entry.segment_id)
            base = {} if current is None else current.model_dump(mode="json")
            try:
                now[entry.segment_id] = Segment.model_validate({**base, **entry.before})
            except ValidationError as error:
                raise InvalidChange(f"the audit trail cannot restore this change: "
                                    f"{problem(error)}") from None
        touched = {e.segment_id for e in group if e.segment_id is not None}
        return {segment_id: segment for segment_id, segment in now.items()
                if segment_id in touched}

    # ---- import ---------------------------------------------------------------------------

    def add_imported(self, day: date, bundles: Sequence[tuple[Session, Sequence[Segment]]]
                     ) -> None:
        """Write imported sessions of one date of service in one durable write."""
        self._require_writer()
        with self._store.change(self._store.day_path(day)) as change:
            for session, segments in bundles:
                change.put("sessions", session)
                for segment in segments:
                    change.put("segments", segment)
                change.add("audit", self._audit(uuid4(), Action.IMPORT, session,
                                                reason=f"{len(segments)} segments imported"))
        self._indexes.day_changed(day)

    # ---- rules ----------------------------------------------------------------------------

    def now(self) -> datetime:
        """The clock, never earlier than an instant already recorded (reported when clamped)."""
        now = self._clock()
        if self._clock.went_back is not None:
            self._notify(f"the clock went back {self._clock.went_back} (to "
                         f"{self._local(self._clock.raw()):%H:%M:%S}); times are kept at "
                         f"{self._local(now):%H:%M:%S} until it catches up", "warning")
        return now

    def _check_overlap(self, candidate: Segment, ignore: set[UUID],
                       running: list[Segment] | None = None) -> None:
        """One therapist, one pair of hands: timed segments never overlap, in any session."""
        if not self._catalog.is_timed(candidate.code):
            return
        nearby = {s.id: s for s in self._read.timed_segments_near(self._local(candidate.start)
                                                                   .date())}
        nearby.update({s.id: s for s in (self._read.running_timed() if running is None
                                         else running)})
        other = first_overlap(candidate, (s for s in nearby.values() if s.id not in ignore))
        if other is not None:
            patient = self._read.session(other.session_id).patient
            raise OverlapError(describe_overlap(candidate, other, patient, self._zone))

    def _past(self, instant: datetime, what: str) -> datetime:
        if instant.tzinfo is None:
            raise InvalidChange(f"the {what} time has no time zone")
        if instant > self._clock.raw() + timedelta(seconds=1):
            raise InvalidChange(f"the {what} time {self._local(instant):%H:%M} is in the future")
        return instant

    def _writable(self, session_id: UUID) -> Session:
        self._require_writer()
        session = self._read.session(session_id)
        if not session.is_open:
            raise InvalidChange(f"the session of {session.patient} is closed: reopen it (with "
                                "a reason) to change it")
        return session

    def _require_writer(self) -> None:
        if not self._store.writer:
            raise InvalidChange(f"{self._store.root} is open read-only: no change was saved")

    def _payer(self, name: str) -> PayerProfile:
        try:
            return self._settings.payer(name)
        except KeyError as error:
            raise InvalidChange(str(error.args[0])) from None

    def _code(self, code: str) -> CatalogEntry:
        try:
            return self._catalog.get(code)
        except CodeError as error:
            raise InvalidChange(str(error)) from None

    def _segment(self, **fields: Any) -> Segment:
        try:
            return Segment(**fields)
        except ValidationError as error:
            raise InvalidChange(problem(error)) from None

    def _segment_in(self, session_id: UUID, segment_id: UUID) -> Segment:
        for segment in self._read.segments_of(session_id):
            if segment.id == segment_id:
                return segment
        raise NotFound(f"no segment {segment_id} in that session")

    def _local(self, instant: datetime) -> datetime:
        return instant.astimezone(self._zone)

    # ---- writing --------------------------------------------------------------------------

    @contextmanager
    def _day(self, session: Session) -> Iterator[Change]:
        with self._store.change(self._store.day_path(session.date_of_service)) as change:
            yield change

    def _stop(self, session: Session, running: Sequence[Segment], end: datetime,
              reason: str) -> list[Segment]:
        stopped = []
        change_id = uuid4()
        with self._day(session) as change:
            for segment in running:
                new = segment.model_copy(update={"end": max(end, segment.start)})
                self._replace(change, change_id, Action.STOP, session, segment, new, reason)
                stopped.append(new)
        self._clock.saw(end)
        return stopped

    def _replace(self, change: Change, change_id: UUID, action: Action, session: Session,
                 old: Segment, new: Segment, reason: str) -> None:
        """The audit entry keeps the fields that changed, before and after (a stop: the end)."""
        before, after = _dump(old), _dump(new)
        changed = [name for name in after if before.get(name) != after[name]]
        change.put("segments", new)
        change.add("audit", self._audit(change_id, action, session, old.id,
                                        before={name: before[name] for name in changed},
                                        after={name: after[name] for name in changed},
                                        reason=reason))

    def _audit(self, change_id: UUID, action: Action, session: Session,
               segment_id: UUID | None = None, *, before: dict[str, Any] | None = None,
               after: dict[str, Any] | None = None, reason: str = "") -> AuditEntry:
        try:
            return AuditEntry(change_id=change_id, at=self._clock.raw(),
                              who=self._settings.therapist, action=action,
                              session_id=session.id, segment_id=segment_id, before=before,
                              after=after, reason=reason)
        except ValidationError as error:
            raise InvalidChange(problem(error)) from None


def _dump(model: Session | Segment) -> dict[str, Any]:
    return model.model_dump(mode="json")


def _state(session: Session) -> dict[str, Any]:
    dumped = _dump(session)
    return {"closed_at": dumped.get("closed_at"), "billing": dumped.get("billing")}

