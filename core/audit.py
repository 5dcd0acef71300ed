"""The audit trail: every change to a recorded segment or a session, with its reason.

An entry keeps the whole value before and after, so that undo can walk it back and an auditor
can see what was first recorded.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self
from uuid import UUID, uuid4

from pydantic import Field, model_validator

from core.models import Frozen, Name, Note, Segment, UtcDatetime
from core.session import Session


class Action(StrEnum):
    OPEN = "open"
    START = "start"
    STOP = "stop"
    ADD = "add"
    EDIT = "edit"
    DELETE = "delete"
    CLOSE = "close"
    REOPEN = "reopen"
    UNDO = "undo"
    IMPORT = "import"


WHOLE = frozenset({"id", "session_id", "code", "start"})
"""The fields every stored segment has: an entry holding them holds a whole segment."""
STATE = frozenset({"closed_at", "billing"})
"""What a close or a reopen changes of a session (its audit entry holds just that)."""
DETAILS = frozenset({"patient", "payer", "discipline", "progress_report", "group_size",
                     "place_of_service", "telehealth"})
"""What editing an open session may change (its audit entry holds the changed ones)."""
REMOVED = frozenset({"session", "segments"})
"""What deleting a session keeps: the session and its segments, whole, to bring them back."""

UNDOABLE = frozenset({Action.START, Action.STOP, Action.ADD, Action.EDIT, Action.DELETE,
                      Action.CLOSE, Action.REOPEN})


class AuditEntry(Frozen):
    """One change. Entries written in one durable write share a `change_id` and undo together."""

    id: UUID = Field(default_factory=uuid4)
    change_id: UUID
    at: UtcDatetime
    who: Name
    action: Action
    session_id: UUID
    segment_id: UUID | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    reason: Note = ""
    undone: bool = False

    @model_validator(mode="after")
    def _values_of_their_kind(self) -> Self:
        """What undo puts back must be what it was: a whole segment (added or deleted), a
        segment's changed fields (stopped or edited), or a session's closed state."""
        for value in (self.before, self.after):
            if value is None:
                continue
            if self.segment_id is not None:
                _segment_values(self.action, value)
            else:
                _session_values(self.action, value)
        return self

    @property
    def code(self) -> str:
        """The code of the segment the entry is about ('' for a session's entry)."""
        for value in (self.after, self.before):
            if value and isinstance(value.get("code"), str):
                return str(value["code"])
        return ""


def _segment_values(action: Action, value: dict[str, Any]) -> None:
    """A whole segment (added or deleted), or a segment's changed fields (stopped or edited)."""
    if set(value) >= WHOLE:
        Segment.model_validate(value)
    elif not set(value) <= set(Segment.model_fields):
        raise ValueError(f"a {action} entry holds {sorted(value)}, not a segment's fields")


def _session_values(action: Action, value: dict[str, Any]) -> None:
    """A session's closed state (closed, reopened), the details an edit corrects, or a
    deleted session whole with its segments."""
    if action in (Action.CLOSE, Action.REOPEN) and not set(value) <= STATE:
        raise ValueError(f"a {action} entry holds {sorted(value)}, not a session's closed "
                         "state")
    if action is Action.EDIT and not set(value) <= DETAILS:
        raise ValueError(f"an edit of a session holds {sorted(value)}, not its patient, payer, "
                         "discipline, progress-report mark, group size or place")
    if action is Action.DELETE:
        if set(value) != REMOVED or not isinstance(value["segments"], list):
            raise ValueError("a deleted session's entry holds no whole session")
        Session.model_validate(value["session"])
        for segment in value["segments"]:
            Segment.model_validate(segment)
