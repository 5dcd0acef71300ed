"""Segments by hand: added afterwards, edited (code, times, who furnished it, note) and
deleted, each under the same rules as a timer."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from core.audit import Action
from core.models import FurnishedBy, Segment
from storage.commands.guards import Guards
from storage.commands.writing import Writer, dump
from storage.context import Context
from storage.errors import InvalidChange

EDITABLE = frozenset({"code", "start", "end", "furnished_by", "note"})


class Segments:
    def __init__(self, context: Context, guards: Guards, writer: Writer) -> None:
        self._ctx, self._guards, self._writer = context, guards, writer

    def add(self, session_id: UUID, code: str, start: datetime, end: datetime, *,
            furnished_by: FurnishedBy | None = None, note: str = "",
            reason: str = "added by hand") -> Segment:
        session = self._guards.writable(session_id)
        entry = self._guards.code(code)
        segment = self._guards.furnishable(self._guards.segment(
            session_id=session_id, code=entry.code, start=start, end=end,
            furnished_by=furnished_by or self._ctx.settings.role, note=note))
        self._guards.past(segment.start, "start")
        self._guards.past(end, "end")
        self._guards.overlap(segment, ignore=set())
        with self._writer.day(session) as change:
            change.put("segments", segment)
            change.add("audit", self._writer.audit(uuid4(), Action.ADD, session, segment.id,
                                                   after=dump(segment), reason=reason))
        self._ctx.clock.saw(segment.end)
        return segment

    def edit(self, session_id: UUID, segment_id: UUID, *, reason: str = "edited",
             **changes: Any) -> Segment:
        """Change a segment's code, start, end, furnished_by or note; validated before saving."""
        if unknown := set(changes) - EDITABLE:
            raise InvalidChange(f"cannot change {', '.join(sorted(unknown))} of a segment")
        session = self._guards.writable(session_id)
        old = self._guards.segment_in(session_id, segment_id)
        if "code" in changes:
            changes["code"] = self._guards.code(changes["code"]).code
        start, end = changes.get("start", old.start), changes.get("end", old.end)
        if (isinstance(start, datetime) and isinstance(end, datetime) and start.tzinfo
                and end.tzinfo and end < start):  # said in the clinic's time, not UTC's
            local = self._ctx.local
            raise InvalidChange(f"{old.code} would end at {local(end):%H:%M:%S}, before it "
                                f"starts at {local(start):%H:%M:%S}")
        new = self._guards.segment(**{**old.model_dump(), **changes})
        if {"code", "furnished_by"} & set(changes):  # an imported one can still be fixed
            self._guards.furnishable(new)
        if "start" in changes:
            self._guards.past(new.start, "start")
        if new.end is not None and "end" in changes:
            self._guards.past(new.end, "end")
        if old.end is not None and new.end is None:
            raise InvalidChange("a stopped segment cannot be made to run again; add a new one")
        self._guards.overlap(new, ignore={old.id})
        with self._writer.day(session) as change:
            self._writer.replace(change, uuid4(), Action.EDIT, session, old, new, reason)
        return new

    def delete(self, session_id: UUID, segment_id: UUID, *, reason: str = "deleted") -> None:
        session = self._guards.writable(session_id)
        old = self._guards.segment_in(session_id, segment_id)
        with self._writer.day(session) as change:
            change.drop("segments", old.id)
            change.add("audit", self._writer.audit(uuid4(), Action.DELETE, session, old.id,
                                                   before=dump(old), reason=reason))
