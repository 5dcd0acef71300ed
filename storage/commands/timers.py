"""The timers: start a code now or backdated (the therapist's running timed code stops at the
same instant: one pair of hands), stop one or pause them all, resume the last."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from core.audit import Action
from core.models import FurnishedBy, Segment
from core.session import Session
from core.timing import to_stop_for
from storage.commands.guards import Guards
from storage.commands.writing import Writer, dump
from storage.context import Context
from storage.errors import InvalidChange


class Timers:
    def __init__(self, context: Context, guards: Guards, writer: Writer) -> None:
        self._ctx, self._guards, self._writer = context, guards, writer

    def start(self, session_id: UUID, code: str, *, at: datetime | None = None,
              furnished_by: FurnishedBy | None = None, note: str = "") -> Segment:
        """Start `code` now (or backdated to `at`), saved at once with no end, with `note`
        (a note given for a code already running is put on it).

        A timed code stops the therapist's running timed code in any session at the same
        instant (one pair of hands); within this session that is one durable write.
        """
        session = self._guards.writable(session_id)
        entry = self._guards.code(code)
        start = self._writer.now() if at is None else self._guards.past(at, "start")
        self._guards.outside_group(entry)
        already = [s for s in self._ctx.queries.segments_of(session_id)
                   if s.running and s.code == entry.code]
        if already:
            if at is None and not note:
                return already[0]
            return self._started_earlier(session, already[0], start if at else None, note)
        candidate = self._guards.furnishable(self._guards.segment(
            session_id=session_id, code=entry.code, start=start,
            furnished_by=furnished_by or self._ctx.settings.role, note=note))
        running = self._ctx.queries.running_timed() if entry.timed else []
        stopping = to_stop_for(start, running)
        if entry.timed:
            self._guards.overlap(candidate, ignore={s.id for s in stopping}, running=running)
        for other in (s for s in stopping if s.session_id != session_id):
            other_session = self._ctx.queries.session(other.session_id)
            self._writer.stop(other_session, [other], start,
                              f"started {entry.code} on {session.patient}")
            self._ctx.notify(f"Stopped {other.code} on {other_session.patient}: one pair of "
                             "hands", "information")  # said once it is saved
        change_id = uuid4()
        with self._writer.day(session) as change:
            for other in (s for s in stopping if s.session_id == session_id):
                self._writer.replace(change, change_id, Action.STOP, session, other,
                                     other.model_copy(update={"end": start}),
                                     f"switched to {entry.code}")
            change.put("segments", candidate)
            change.add("audit", self._writer.audit(change_id, Action.START, session,
                                                   candidate.id, after=dump(candidate)))
        self._ctx.clock.saw(start)
        return candidate

    def _started_earlier(self, session: Session, running: Segment, start: datetime | None,
                         note: str) -> Segment:
        """A code already running is backdated ("I pressed 2 late"): its start moves to
        `start`, and the timed segment of this session that the switch stopped at the old
        start ends at the new one instead. Anything else it would overlap is refused. A
        note given with it is put on the running segment (`start` None: only the note)."""
        if start is not None and start >= running.start:
            raise InvalidChange(f"{running.code} is running since "
                                f"{self._ctx.local(running.start):%H:%M}: a later start is "
                                "an edit of that segment (e)")
        moved = self._guards.segment(**{**running.model_dump(), "start": start or running.start,
                                        "note": note or running.note})
        timed = self._ctx.catalog.is_timed(running.code)
        switched = [s for s in self._ctx.queries.segments_of(session.id) if timed
                    and start is not None and s.end == running.start and s.start < start
                    and self._ctx.catalog.is_timed(s.code)]
        self._guards.overlap(moved, ignore={running.id, *(s.id for s in switched)})
        change_id = uuid4()
        reason = (f"{running.code} started earlier, at {self._ctx.local(start):%H:%M}" if start
                  else "note")
        with self._writer.day(session) as change:
            for other in switched:
                self._writer.replace(change, change_id, Action.EDIT, session, other,
                                     other.model_copy(update={"end": start}), reason)
            self._writer.replace(change, change_id, Action.EDIT, session, running, moved,
                                 reason)
        return moved

    def stop(self, session_id: UUID, segment_id: UUID | None = None, *,
             at: datetime | None = None) -> list[Segment]:
        """Stop one running segment, or (pause) every running timed segment of the session."""
        session = self._guards.writable(session_id)
        running = [s for s in self._ctx.queries.segments_of(session_id) if s.running]
        if segment_id is not None:
            running = [s for s in running if s.id == segment_id]
            if not running:
                raise InvalidChange("that segment is not running")
        else:
            running = [s for s in running if self._ctx.catalog.is_timed(s.code)]
        end = self._writer.now() if at is None else self._guards.past(at, "stop")
        for segment in running:
            if end < segment.start:
                raise InvalidChange(
                    f"{segment.code} cannot stop at {self._ctx.local(end):%H:%M}: it started "
                    f"at {self._ctx.local(segment.start):%H:%M}")
        return self._writer.stop(session, running, end, "stopped")

    def resume(self, session_id: UUID) -> Segment:
        """Start again the timed code that stopped last in this session."""
        stopped = [s for s in self._ctx.queries.segments_of(session_id)
                   if not s.running and self._ctx.catalog.is_timed(s.code)]
        if not stopped:
            raise InvalidChange("nothing to resume: no timed code has run in this session yet")
        last = max(stopped, key=lambda s: s.end or s.start)
        return self.start(session_id, last.code, furnished_by=last.furnished_by)
