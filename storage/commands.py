"""Every change to the data folder: audited, undoable, durable before it returns.

Promise: a change the caller was told about is on disk (atomic, fsynced) before the call
returns, and a refused change writes nothing. The rules (storage/change_rules.py) hold
whatever the caller: one therapist has one pair of hands (timed segments never overlap,
across all sessions), an end never precedes its start, closed sessions do not change, and a
wall clock that jumps back never yields a negative segment. A change within one day file is
one write; the index is told when what it says of that day changed. Here: timers, segments,
undo and import; a session as a whole is storage/session_changes.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import ValidationError

from core.audit import UNDOABLE, Action, AuditEntry
from core.models import FurnishedBy, Segment, problem
from core.session import MAX_GROUP, Session
from core.timing import to_stop_for
from storage.change_rules import dump
from storage.errors import InvalidChange
from storage.session_changes import SessionChanges


class Commands(SessionChanges):
    # ---- timers ---------------------------------------------------------------------------

    def start(self, session_id: UUID, code: str, *, at: datetime | None = None,
              furnished_by: FurnishedBy | None = None, note: str = "") -> Segment:
        """Start `code` now (or backdated to `at`), saved at once with no end, with `note`
        (a note given for a code already running is put on it).

        A timed code stops the therapist's running timed code in any session at the same
        instant (one pair of hands); within this session that is one durable write.
        """
        session = self._writable(session_id)
        entry = self._code(code)
        start = self.now() if at is None else self._past(at, "start")
        if (entry.timed or entry.evaluation) and (group := self._running_group()):
            raise InvalidChange(f"a group ({group[0].code}) runs since "
                                f"{self._local(group[0].start):%H:%M}: one-on-one time "
                                "cannot overlap it; stop the group first (g on Today)")
        already = [s for s in self._read.segments_of(session_id)
                   if s.running and s.code == entry.code]
        if already:
            if at is None and not note:
                return already[0]
            return self._started_earlier(session, already[0], start if at else None, note)
        candidate = self._furnishable(self._segment(
            session_id=session_id, code=entry.code, start=start,
            furnished_by=furnished_by or self._settings.role, note=note))
        running = self._read.running_timed() if entry.timed else []
        stopping = to_stop_for(start, running)
        if entry.timed:
            self._check_overlap(candidate, ignore={s.id for s in stopping}, running=running)
        for other in (s for s in stopping if s.session_id != session_id):
            other_session = self._read.session(other.session_id)
            self._stop(other_session, [other], start,
                       f"started {entry.code} on {session.patient}")
            self._notify(f"stopped {other.code} on {other_session.patient}: one pair of hands",
                         "information")  # said once it is saved
        change_id = uuid4()
        with self._day(session) as change:
            for other in (s for s in stopping if s.session_id == session_id):
                self._replace(change, change_id, Action.STOP, session, other,
                              other.model_copy(update={"end": start}),
                              f"switched to {entry.code}")
            change.put("segments", candidate)
            change.add("audit", self._audit(change_id, Action.START, session, candidate.id,
                                            after=dump(candidate)))
        self._clock.saw(start)
        return candidate

    def _started_earlier(self, session: Session, running: Segment, start: datetime | None,
                         note: str) -> Segment:
        """A code already running is backdated ("I pressed 2 late"): its start moves to
        `start`, and the timed segment of this session that the switch stopped at the old
        start ends at the new one instead. Anything else it would overlap is refused. A
        note given with it is put on the running segment (`start` None: only the note)."""
        if start is not None and start >= running.start:
            raise InvalidChange(f"{running.code} is running since "
                                f"{self._local(running.start):%H:%M}: a later start is an "
                                "edit of that segment (e)")
        moved = self._segment(**{**running.model_dump(), "start": start or running.start,
                                 "note": note or running.note})
        timed = self._catalog.is_timed(running.code)
        switched = [s for s in self._read.segments_of(session.id) if timed
                    and start is not None and s.end == running.start and s.start < start
                    and self._catalog.is_timed(s.code)]
        self._check_overlap(moved, ignore={running.id, *(s.id for s in switched)})
        change_id = uuid4()
        reason = (f"{running.code} started earlier, at {self._local(start):%H:%M}" if start
                  else "note")
        with self._day(session) as change:
            for other in switched:
                self._replace(change, change_id, Action.EDIT, session, other,
                              other.model_copy(update={"end": start}), reason)
            self._replace(change, change_id, Action.EDIT, session, running, moved, reason)
        return moved

    # ---- group therapy --------------------------------------------------------------------

    def _running_group(self) -> list[Segment]:
        return [s for s in self._read.running_segments() if self._catalog.is_group(s.code)]

    def start_group(self, patients: Sequence[str], code: str = "97150", *,
                    new_payer: str | None = None) -> list[Segment]:
        """Group therapy (97150; 92508 for speech) for two or more patients at once (at most
        MAX_GROUP): each gets its open session of today (a new one takes the patient's last
        payer and discipline, or `new_payer` for a patient seen first), the group code starts
        in all of them at one instant and each session keeps the group's size. The
        therapist's one-on-one timed code stops there (one pair of hands) and none starts
        while the group runs. Everything is checked before the first write."""
        self._require_writer()
        entry = self._code(code)
        if not entry.group:
            raise InvalidChange(f"{entry.code} is not a group code: 97150, or 92508 for "
                                "speech-language groups")
        names = self._group_names(patients)
        payer = self._payer(new_payer).name if new_payer else None
        if running := self._running_group():
            raise InvalidChange(f"a group ({running[0].code}) is running already: stop it "
                                "first")
        now = self.now()
        for other in self._read.running_timed():
            other_session = self._read.session(other.session_id)
            self._stop(other_session, [other], now, f"group {entry.code} started")
            self._notify(f"stopped {other.code} on {other_session.patient}: group therapy "
                         "started", "information")
        started = []
        for name in names:
            session = self._session_for_group(name, now, payer)
            segment = Segment(session_id=session.id, code=entry.code, start=now,
                              furnished_by=self._settings.role)
            grouped = session.model_copy(update={"group_size": len(names)})
            change_id = uuid4()
            with self._day(session) as change:
                change.put("segments", segment)
                change.put("sessions", grouped)
                change.add("audit", self._audit(change_id, Action.START, session, segment.id,
                                                after=dump(segment)))
                change.add("audit", self._audit(
                    change_id, Action.EDIT, session, before={"group_size": session.group_size},
                    after={"group_size": len(names)}, reason=f"group of {len(names)}"))
            started.append(segment)
        self._clock.saw(now)
        return started

    def _group_names(self, patients: Sequence[str]) -> list[str]:
        names = list(dict.fromkeys(self._patient_ref(name) for name in patients
                                   if name.strip()))
        if len(names) < 2:
            raise InvalidChange("a group is two or more patients: give their references, "
                                "separated by commas")
        if len(names) > MAX_GROUP:
            raise InvalidChange(f"a group holds at most {MAX_GROUP} patients: "
                                f"{len(names)} were given")
        return names

    def group_newcomers(self, patients: Sequence[str], new_payer: str | None = None
                        ) -> dict[str, str]:
        """The patients of a group who get a new session on a payer nobody chose for them,
        with that payer (to be confirmed first): a patient never seen, or one whose last
        payer is no longer in the settings. Writes nothing."""
        today = self._local(self.now()).date()
        payers = {p.name for p in self._settings.payers}
        found = {}
        for name in self._group_names(patients):
            if self._open_today(name, today) is not None:
                continue
            last = self._read.last_visit(name)
            if last is None or last.payer not in payers:
                found[name] = new_payer or self._settings.payers[0].name
        return found

    def _open_today(self, patient: str, today: date) -> Session | None:
        return next((s for s in self._read.open_sessions()
                     if s.patient == patient and s.date_of_service == today), None)

    def _session_for_group(self, patient: str, now: datetime, new_payer: str | None
                           ) -> Session:
        """The patient's open session of today, or a new one under their last payer and
        discipline (`new_payer`, else the settings' first payer, for a new patient)."""
        session = self._open_today(patient, self._local(now).date())
        if session is not None:
            return session
        last = self._read.last_visit(patient)
        payers = {p.name for p in self._settings.payers}
        payer = last.payer if last is not None and last.payer in payers \
            else new_payer or self._settings.payers[0].name
        return self.create_session(patient, payer, None if last is None else last.discipline)

    def stop_group(self) -> list[Segment]:
        """Stop the running group in every session at one instant."""
        running = self._running_group()
        if not running:
            raise InvalidChange("no group is running")
        now = self.now()
        stopped = []
        for segment in running:
            stopped += self._stop(self._read.session(segment.session_id), [segment], now,
                                  "group stopped")
        return stopped

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
        segment = self._furnishable(self._segment(
            session_id=session_id, code=entry.code, start=start, end=end,
            furnished_by=furnished_by or self._settings.role, note=note))
        self._past(segment.start, "start")
        self._past(end, "end")
        self._check_overlap(segment, ignore=set())
        with self._day(session) as change:
            change.put("segments", segment)
            change.add("audit", self._audit(uuid4(), Action.ADD, session, segment.id,
                                            after=dump(segment), reason=reason))
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
        if {"code", "furnished_by"} & set(changes):  # an imported one can still be fixed
            self._furnishable(new)
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
                                            before=dump(old), reason=reason))

    def undo(self, session_id: UUID) -> str:
        """Walk back the last change of this session (all of it, if it was one write).

        Returns what was undone, in words. Refused, writing nothing, if the old state would
        now overlap a segment recorded since, or if the session is closed: undoing a close
        would reopen it without a reason and count the time it sat closed.
        """
        session = self._writable(session_id)
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
        state: dict[str, Any] = {}
        for entry in reversed(group):
            if entry.segment_id is None and entry.before is not None and entry.action in (
                    Action.CLOSE, Action.REOPEN, Action.EDIT):
                state.update(entry.before)
        codes = {s.id: s.code for s in self._read.segments_of(session_id)}
        codes.update((i, s.code) for i, s in restored.items() if s is not None)
        what = ", ".join(f"{e.action} {e.code or codes.get(e.segment_id, '')}".strip()
                         if e.segment_id else _session_words(e) for e in group)
        with self._day(session) as change:
            for segment_id, segment in restored.items():
                if segment is None:
                    change.drop("segments", segment_id)
                else:
                    change.put("segments", segment)
            for entry in reversed(group):
                change.put("audit", entry.model_copy(update={"undone": True}))
            if state:
                change.put("sessions", Session.model_validate({**dump(session), **state}))
            change.add("audit", self._audit(uuid4(), Action.UNDO, session, reason=what))
        if state:
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


def _session_words(entry: AuditEntry) -> str:
    if entry.action is not Action.EDIT:
        return str(entry.action)
    if entry.before is not None and "progress_report" in entry.before:
        return "progress report mark"
    if entry.before is not None and "group_size" in entry.before:
        return "group size"
    return "correction of the session"
