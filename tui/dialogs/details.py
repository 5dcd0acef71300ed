"""Correcting a session's patient reference, payer or discipline (audited, undoable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.models import Discipline
from core.session import Session
from storage.errors import StorageError
from tui.dialogs.form import FormDialog, FormField, say_why

if TYPE_CHECKING:
    from tui.app import TabletimeApp


def session_details_dialog(app: TabletimeApp, session: Session, *,
                           undo: str = "u undoes it") -> FormDialog:
    """`undo` says where the correction is undone (u in the session, not on Today)."""
    repo = app.repo

    def submit(values: dict[str, str]) -> str | None:
        if not values["reason"].strip():
            return say_why()
        try:
            saved = app.save(lambda: repo.commands.edit_session(
                session.id, patient=values["patient"], payer=values["payer"],
                discipline=Discipline(values["discipline"]), reason=values["reason"]))
        except StorageError as error:
            return str(error)
        app.tell(f"{saved.patient}: {saved.payer.name}, {saved.discipline} ({undo})")
        return None

    payers = [(f"{p.name} ({p.method.value})", p.name) for p in repo.settings.payers]
    if session.payer.name not in {name for _, name in payers}:
        payers.insert(0, (f"{session.payer.name} (as recorded)", session.payer.name))
    return FormDialog(f"Correct the session of {session.patient}", [
        FormField("patient", "Patient reference", session.patient,
                  suggestions=repo.queries.patients()),
        FormField("payer", "Payer profile", session.payer.name, options=payers),
        FormField("discipline", "Discipline", session.discipline.value,
                  options=[(d.value, d.value) for d in Discipline]),
        FormField("reason", "Why (kept in the audit trail)", placeholder="wrong patient"),
    ], submit)
