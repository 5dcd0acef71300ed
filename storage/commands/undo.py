"""Undo: the last change of a session walked back, all of it if it was one write, from what
its audit entries kept; refused, writing nothing, if the old state would now overlap a
segment recorded since. Redo: what the last undo walked back, put again, until the session
changes otherwise.

An undo's own entry (an `undo` action) names the change it walked back (`after`:
`{"undid": change id}`); a redo is an undo of that undo: the change's entries count again,
the undo's entry is marked undone, and the redo's own entry (also an `undo` action, its
reason "redo: ...") names the change it put back (`{"redid": change id}`). Any other change
of the session since an undo ends what can be redone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any
from uuid import UUID, uuid4

from pydantic import ValidationError

from core.audit import UNDOABLE, Action, AuditEntry
from core.models import Segment, problem
from core.session import Session
from storage.commands.guards import Guards
from storage.commands.writing import Writer, dump
from storage.context import Context
from storage.errors import InvalidChange
from storage.store import Change

SESSION_STATE = (Action.CLOSE, Action.REOPEN, Action.EDIT)
"""The actions whose entry about the session itself keeps what it was before (and after)."""
UNDID, REDID = "undid", "redid"
"""What an undo's entry and a redo's entry name: the change walked back or put again."""


class Undo:
    def __init__(self, context: Context, guards: Guards, writer: Writer) -> None:
        self._ctx, self._guards, self._writer = context, guards, writer

    def undo(self, session_id: UUID) -> str:
        """Walk back the last change of this session (all of it, if it was one write).

        Returns what was undone, in words. Refused, writing nothing, if the old state would
        now overlap a segment recorded since, or if the session is closed: undoing a close
        would reopen it without a reason and count the time it sat closed.
        """
        session = self._guards.writable(session_id)
        group = self._last_change(session_id)
        touched = {e.segment_id for e in group if e.segment_id is not None}
        restored = self._restored(session_id, group)
        for segment in restored.values():
            if segment is not None:
                self._guards.overlap(segment, ignore=touched)
        state = _session_state(group)
        what = self._words(session_id, group, restored)
        with self._writer.day(session) as change:
            _put_segments(change, restored)
            for entry in reversed(group):
                change.put("audit", entry.model_copy(update={"undone": True}))
            if state:
                change.put("sessions", Session.model_validate({**dump(session), **state}))
            change.add("audit", self._writer.audit(uuid4(), Action.UNDO, session, reason=what,
                                                   after={UNDID: str(group[0].change_id)}))
        if state:
            self._ctx.indexes.day_changed(session.date_of_service)
        return what

    def redo(self, session_id: UUID) -> str:
        """Put again what the last undo of this session walked back (several undos: redone
        last first), unless the session changed otherwise since. Returns what was redone, in
        words. Refused, writing nothing, if it would now overlap a segment recorded since, or
        if the session is closed (but for redoing its reopening)."""
        self._guards.require_writer()
        session = self._ctx.queries.session(session_id)
        entries = self._ctx.queries.audit_of(session_id)
        undo = _redoable(entries)
        if undo is None:
            raise InvalidChange("nothing to redo in this session")
        assert undo.after is not None  # _redoable found it there
        change_id = UUID(str(undo.after[UNDID]))
        group = [e for e in entries if e.change_id == change_id and e.undone]
        if not session.is_open and not any(e.action is Action.REOPEN for e in group):
            self._guards.writable(session_id)  # says the session is closed
        redone = self._redone(session_id, group)
        touched = {e.segment_id for e in group if e.segment_id is not None}
        for segment in redone.values():
            if segment is not None:
                self._guards.overlap(segment, ignore=touched)
        state = _session_state(group, after=True)
        what = self._words(session_id, group, redone)
        with self._writer.day(session) as change:
            _put_segments(change, redone)
            for entry in group:
                change.put("audit", entry.model_copy(update={"undone": False}))
            change.put("audit", undo.model_copy(update={"undone": True}))
            if state:
                change.put("sessions", Session.model_validate({**dump(session), **state}))
            change.add("audit", self._writer.audit(uuid4(), Action.UNDO, session,
                                                   reason=f"redo: {what}",
                                                   after={REDID: str(change_id)}))
        if state:
            self._ctx.indexes.day_changed(session.date_of_service)
        return what

    def _last_change(self, session_id: UUID) -> list[AuditEntry]:
        """The entries of the session's last change not undone yet (one write, one id)."""
        entries = [e for e in self._ctx.queries.audit_of(session_id)
                   if not e.undone and e.action in UNDOABLE]
        if not entries:
            raise InvalidChange("nothing to undo in this session")
        return [e for e in entries if e.change_id == entries[-1].change_id]

    def _restored(self, session_id: UUID, group: Sequence[AuditEntry]
                  ) -> dict[UUID, Segment | None]:
        """The segments as they were before `group` (None: it did not exist). An entry keeps
        what its change changed: a whole segment for one added or deleted, the changed fields
        for one stopped or edited; walked back from the latest entry."""
        return self._replayed(session_id, reversed(group), lambda e: e.before, "restore")

    def _redone(self, session_id: UUID, group: Sequence[AuditEntry]
                ) -> dict[UUID, Segment | None]:
        """The segments as `group` left them (None: it removed it), from what they are now
        (as its undo left them): walked forward from the first entry."""
        return self._replayed(session_id, group, lambda e: e.after, "redo")

    def _replayed(self, session_id: UUID, entries: Iterable[AuditEntry],
                  state: Callable[[AuditEntry], dict[str, Any] | None], verb: str
                  ) -> dict[UUID, Segment | None]:
        """The segments the entries touch, each entry's `state` laid over the segment as it
        stands (None: the segment is not there then), in the order given."""
        entries = list(entries)
        now: dict[UUID, Segment | None] = {s.id: s for s in
                                           self._ctx.queries.segments_of(session_id)}
        for entry in entries:
            if entry.segment_id is None:
                continue
            fields = state(entry)
            if fields is None:
                now[entry.segment_id] = None
                continue
            current = now.get(entry.segment_id)
            base = {} if current is None else current.model_dump(mode="json")
            try:
                now[entry.segment_id] = Segment.model_validate({**base, **fields})
            except ValidationError as error:
                raise InvalidChange(f"the audit trail cannot {verb} this change: "
                                    f"{problem(error)}") from None
        touched = {e.segment_id for e in entries if e.segment_id is not None}
        return {segment_id: segment for segment_id, segment in now.items()
                if segment_id in touched}

    def _words(self, session_id: UUID, group: Sequence[AuditEntry],
               restored: dict[UUID, Segment | None]) -> str:
        """What the change was, in words ("start 97110, stop 97140"), the code of each
        segment as it is now or as it comes back."""
        codes = {s.id: s.code for s in self._ctx.queries.segments_of(session_id)}
        codes.update((i, s.code) for i, s in restored.items() if s is not None)
        return ", ".join(f"{e.action} {e.code or codes.get(e.segment_id, '')}".strip()
                         if e.segment_id else _session_words(e) for e in group)


def _put_segments(change: Change, segments: dict[UUID, Segment | None]) -> None:
    """Each segment as it comes back, or dropped where it was not there (None)."""
    for segment_id, segment in segments.items():
        if segment is None:
            change.drop("segments", segment_id)
        else:
            change.put("segments", segment)


def _session_state(group: Sequence[AuditEntry], *, after: bool = False) -> dict[str, Any]:
    """The session's fields as they were before `group` (or after it; empty: the change
    left them)."""
    state: dict[str, Any] = {}
    for entry in (group if after else reversed(group)):
        value = entry.after if after else entry.before
        if entry.segment_id is None and value is not None and entry.action in SESSION_STATE:
            state.update(value)
    return state


def _redoable(entries: Sequence[AuditEntry]) -> AuditEntry | None:
    """The entry of the undo a redo would take back: the latest undo not redone yet, if the
    session had no other change since (a redo's own entry is none; an undo that names no
    change, such as bringing back a deleted session, is one)."""
    undos: list[AuditEntry] = []
    for entry in entries:
        if entry.action is not Action.UNDO or not (entry.after or {}).keys() & {UNDID, REDID}:
            undos.clear()
        elif UNDID in (entry.after or {}) and not entry.undone:
            undos.append(entry)
    return undos[-1] if undos else None


def _session_words(entry: AuditEntry) -> str:
    if entry.action is not Action.EDIT:
        return str(entry.action)
    if entry.before is not None and "progress_report" in entry.before:
        return "progress report mark"
    if entry.before is not None and "group_size" in entry.before:
        return "group size"
    return "correction of the session"
