"""How a change is written: the clock that never goes back, one atomic write of a day file
with its audit entries (each keeping what changed, before and after), the index told when
what it says of that day changed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from pydantic import ValidationError

from core.audit import Action, AuditEntry
from core.models import Segment, problem
from core.session import Session
from storage.context import Context
from storage.errors import InvalidChange
from storage.store import Change


class Writer:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    def now(self) -> datetime:
        """The clock, never earlier than an instant already recorded (reported when clamped)."""
        clock, local = self._ctx.clock, self._ctx.local
        now = clock()
        if clock.went_back is not None:
            self._ctx.notify(f"the clock went back {clock.went_back} (to "
                             f"{local(clock.raw()):%H:%M:%S}); times are kept at "
                             f"{local(now):%H:%M:%S} until it catches up", "warning")
        return now

    @contextmanager
    def day(self, session: Session) -> Iterator[Change]:
        """The session's day file, changed in one atomic write at the end of the block."""
        store = self._ctx.store
        with store.change(store.day_path(session.date_of_service)) as change:
            yield change

    def put_session(self, changed: Session, action: Action, *,
                    before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
                    reason: str = "") -> Session:
        """A session as a whole changed (opened, reopened, corrected), with its audit entry,
        and the index told."""
        with self.day(changed) as change:
            change.put("sessions", changed)
            change.add("audit", self.audit(uuid4(), action, changed, before=before,
                                           after=after, reason=reason))
        self._ctx.indexes.day_changed(changed.date_of_service)
        return changed

    def stop(self, session: Session, running: Sequence[Segment], end: datetime,
             reason: str) -> list[Segment]:
        stopped = []
        change_id = uuid4()
        with self.day(session) as change:
            for segment in running:
                new = segment.model_copy(update={"end": max(end, segment.start)})
                self.replace(change, change_id, Action.STOP, session, segment, new, reason)
                stopped.append(new)
        self._ctx.clock.saw(end)
        return stopped

    def replace(self, change: Change, change_id: UUID, action: Action, session: Session,
                old: Segment, new: Segment, reason: str) -> None:
        """The audit entry keeps the fields that changed, before and after (a stop: the end)."""
        before, after = dump(old), dump(new)
        changed = [name for name in after if before.get(name) != after[name]]
        change.put("segments", new)
        change.add("audit", self.audit(change_id, action, session, old.id,
                                       before={name: before[name] for name in changed},
                                       after={name: after[name] for name in changed},
                                       reason=reason))

    def audit(self, change_id: UUID, action: Action, session: Session,
              segment_id: UUID | None = None, *, before: dict[str, Any] | None = None,
              after: dict[str, Any] | None = None, reason: str = "") -> AuditEntry:
        try:
            return AuditEntry(change_id=change_id, at=self._ctx.clock.raw(),
                              who=self._ctx.settings.therapist, action=action,
                              session_id=session.id, segment_id=segment_id, before=before,
                              after=after, reason=reason)
        except ValidationError as error:
            raise InvalidChange(problem(error)) from None


def dump(model: Session | Segment) -> dict[str, Any]:
    return model.model_dump(mode="json")


def closed_state(session: Session) -> dict[str, Any]:
    dumped = dump(session)
    return {"closed_at": dumped.get("closed_at"), "billing": dumped.get("billing")}
