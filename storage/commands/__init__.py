"""Every change to the data folder: audited, undoable, durable before it returns.

Promise: a change the caller was told about is on disk (atomic, fsynced) before the call
returns, and a refused change writes nothing. The rules (guards.py) hold whatever the caller:
one therapist has one pair of hands (timed segments never overlap, across all sessions), an
end never precedes its start, closed sessions do not change, and a wall clock that jumps back
never yields a negative segment. A change within one day file is one write (writing.py); the
index is told when what it says of that day changed.

`Commands` is the one way in; it hands each change to the part that makes it: timers.py,
segments.py (by hand), sessions.py (a session as a whole), group.py (a group started,
joined, left, stopped and closed), undo.py (undo and redo), imported.py.
The parts share one context, one set of guards and one writer, and never each other's state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from core.models import Discipline, FurnishedBy, PayerProfile, Segment
from core.place import Place
from core.session import Session
from storage.commands.group import Group, GroupClosed, Member
from storage.commands.guards import Guards
from storage.commands.imported import add_imported
from storage.commands.segments import Segments
from storage.commands.sessions import Sessions
from storage.commands.timers import Timers
from storage.commands.undo import Undo
from storage.commands.writing import Writer
from storage.context import Context


class Commands:
    def __init__(self, context: Context) -> None:
        self._ctx = context
        self._guards = guards = Guards(context)
        self._writer = writer = Writer(context)
        self._timers = Timers(context, guards, writer)
        self._segments = Segments(context, guards, writer)
        self._sessions = Sessions(context, guards, writer)
        self._group = Group(context, guards, writer, self._sessions)
        self._undo = Undo(context, guards, writer)

    def now(self) -> datetime:
        return self._writer.now()

    # ---- timers (timers.py) ---------------------------------------------------------------

    def start(self, session_id: UUID, code: str, *, at: datetime | None = None,
              furnished_by: FurnishedBy | None = None, note: str = "") -> Segment:
        return self._timers.start(session_id, code, at=at, furnished_by=furnished_by,
                                  note=note)

    def stop(self, session_id: UUID, segment_id: UUID | None = None, *,
             at: datetime | None = None) -> list[Segment]:
        return self._timers.stop(session_id, segment_id, at=at)

    def resume(self, session_id: UUID) -> Segment:
        return self._timers.resume(session_id)

    # ---- group therapy (group.py) ---------------------------------------------------------

    def start_group(self, patients: Sequence[str], code: str = "97150", *,
                    new_payer: str | None = None, place: Place | None = None
                    ) -> list[Segment]:
        return self._group.start(patients, code, new_payer=new_payer, place=place)

    def group_newcomers(self, patients: Sequence[str], new_payer: str | None = None
                        ) -> dict[str, str]:
        return self._group.newcomers(patients, new_payer)

    def check_group_place(self, patients: Sequence[str], place: Place) -> None:
        self._group.check_place(patients, place)

    def stop_group(self) -> list[Segment]:
        return self._group.stop()

    def group_members(self) -> list[Member]:
        return self._group.members()

    def join_group(self, patient: str, *, new_payer: str | None = None) -> Segment:
        return self._group.join(patient, new_payer=new_payer)

    def join_group_newcomer(self, patient: str, new_payer: str | None = None) -> str | None:
        return self._group.newcomer(patient, new_payer)

    def leave_group(self, session_id: UUID) -> list[Segment]:
        return self._group.leave(session_id)

    def group_sessions(self) -> list[Session]:
        return self._group.sessions()

    def close_group(self, session_ids: Sequence[UUID]) -> GroupClosed:
        return self._group.close(session_ids)

    # ---- segments by hand (segments.py) ---------------------------------------------------

    def add_segment(self, session_id: UUID, code: str, start: datetime, end: datetime, *,
                    furnished_by: FurnishedBy | None = None, note: str = "",
                    reason: str = "added by hand") -> Segment:
        return self._segments.add(session_id, code, start, end, furnished_by=furnished_by,
                                  note=note, reason=reason)

    def edit_segment(self, session_id: UUID, segment_id: UUID, *, reason: str = "edited",
                     **changes: Any) -> Segment:
        return self._segments.edit(session_id, segment_id, reason=reason, **changes)

    def delete_segment(self, session_id: UUID, segment_id: UUID, *,
                       reason: str = "deleted") -> None:
        self._segments.delete(session_id, segment_id, reason=reason)

    # ---- sessions (sessions.py) -----------------------------------------------------------

    def create_session(self, patient: str, payer: str | PayerProfile,
                       discipline: Discipline | None = None, place: Place | None = None
                       ) -> Session:
        return self._sessions.create(patient, payer, discipline, place)

    def close_session(self, session_id: UUID, *, stop_running: bool = False,
                      prefer: Sequence[str] = (), stop_at: datetime | None = None) -> Session:
        return self._sessions.close(session_id, stop_running=stop_running, prefer=prefer,
                                    stop_at=stop_at)

    def reopen_session(self, session_id: UUID, reason: str) -> Session:
        return self._sessions.reopen(session_id, reason)

    def edit_session(self, session_id: UUID, *, patient: str | None = None,
                     payer: str | None = None, discipline: Discipline | None = None,
                     place: Place | None = None, reason: str = "corrected") -> Session:
        return self._sessions.edit(session_id, patient=patient, payer=payer,
                                   discipline=discipline, place=place, reason=reason)

    def mark_progress_report(self, session_id: UUID, written: bool = True) -> Session:
        return self._sessions.mark_progress_report(session_id, written)

    def delete_session(self, session_id: UUID, reason: str = "deleted") -> Session:
        return self._sessions.delete(session_id, reason)

    def restore_session(self, day: date, session_id: UUID) -> Session:
        return self._sessions.restore(day, session_id)

    # ---- undo, redo and import (undo.py, imported.py) ------------------------------------

    def undo(self, session_id: UUID) -> str:
        return self._undo.undo(session_id)

    def redo(self, session_id: UUID) -> str:
        return self._undo.redo(session_id)

    def add_imported(self, day: date, bundles: Sequence[tuple[Session, Sequence[Segment]]]
                     ) -> None:
        add_imported(self._ctx, self._guards, self._writer, day, bundles)
