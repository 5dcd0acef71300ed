"""The audit trail: every change to a recorded segment or a session's state, with its reason.

An entry keeps the whole value before and after, so that undo can walk it back and an auditor
can see what was first recorded.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from pydantic import Field

from core.models import Frozen, UtcDatetime
from core.text import Name, Note


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
