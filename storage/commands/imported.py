"""Sessions imported from a segments CSV (storage/imports.py checked them), written a date of
service at a time."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from uuid import uuid4

from core.audit import Action
from core.models import Segment
from core.session import Session
from storage.commands.guards import Guards
from storage.commands.writing import Writer
from storage.context import Context


def add_imported(context: Context, guards: Guards, writer: Writer, day: date,
                 bundles: Sequence[tuple[Session, Sequence[Segment]]]) -> None:
    """Write imported sessions of one date of service in one durable write."""
    guards.require_writer()
    store = context.store
    with store.change(store.day_path(day)) as change:
        for session, segments in bundles:  # made by their constructors: validated once
            change.put_valid("sessions", session)
            for segment in segments:
                change.put_valid("segments", segment)
            change.put_valid("audit", writer.audit(uuid4(), Action.IMPORT, session,
                                                   reason=f"{len(segments)} segments imported"))
    context.indexes.day_changed(day)
