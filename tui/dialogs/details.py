"""Correcting a session's patient reference, payer, discipline or place of service (audited,
undoable), and the place fields every session form shares (new session, group, settings):
a place of service code (the common ones suggested, any CMS code accepted) and how the
patient was reached (in person, telehealth by video or audio only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.models import Discipline
from core.place import Place, Telehealth, is_telehealth_place, place_code, place_name
from core.session import Session
from storage.errors import StorageError
from tui.dialogs.form import FieldError, FormDialog, FormField, say_why

if TYPE_CHECKING:
    from tui.app import TabletimeApp

COMMON_PLACES = ("11", "12", "22", "19", "10", "02")
"""Offered as suggestions: office, home, outpatient hospital on and off campus, telehealth
at home and elsewhere."""
MODES = (("in person", ""), ("telehealth, video", Telehealth.VIDEO.value),
         ("telehealth, audio only", Telehealth.AUDIO.value))
POS_LABEL = "Where (POS): 11 office, 12 home, 22/19 hospital, 10/02 telehealth"


def pos_text(pos: str) -> str:
    """`11 office`: a place as the form shows it (and accepts it back)."""
    return f"{pos} {place_name(pos)}"


def typed_pos(text: str) -> str:
    """The code of a place as typed: `12`, `02`, or `12 home` as suggested; ValueError naming
    the problem for anything else (a code with another place's name is no place)."""
    code, _, words = text.strip().partition(" ")
    pos = place_code(code)
    if words.strip() and words.strip().casefold() != place_name(pos).casefold():
        raise ValueError(f"POS {pos} is {place_name(pos)}: type the code alone, or "
                         f"'{pos_text(pos)}' as suggested")
    return pos


def pos_field(pos: str, name: str = "pos", label: str = POS_LABEL) -> FormField:
    return FormField(name, label, pos_text(pos), placeholder="11",
                     suggestions=[pos_text(code) for code in COMMON_PLACES])


def place_fields(place: Place) -> list[FormField]:
    """Where (`pos`) and how (`mode`)."""
    return [pos_field(place.pos),
            FormField("mode", "How the patient was seen",
                      "" if place.telehealth is None else place.telehealth.value,
                      options=MODES)]


def typed_place(values: dict[str, str]) -> Place | FieldError:
    try:
        pos = typed_pos(values["pos"])
    except ValueError as error:
        return FieldError("pos", str(error))
    return Place(pos, Telehealth(values["mode"]) if values["mode"] else None)


def place_changed(field: str, values: dict[str, str]) -> dict[str, str]:
    """A place that exists only for telehealth (02, 10) typed while `in person` is chosen
    suggests video (the therapist can still choose audio only)."""
    if field != "pos" or values["mode"]:
        return {}
    try:
        pos = typed_pos(values["pos"])
    except ValueError:
        return {}
    return {"mode": Telehealth.VIDEO.value} if is_telehealth_place(pos) else {}


def session_details_dialog(app: TabletimeApp, session: Session, *,
                           undo: str = "u undoes it") -> FormDialog:
    """`undo` says where the correction is undone (u in the session, not on Today)."""
    repo = app.repo

    def submit(values: dict[str, str]) -> str | None:
        place = typed_place(values)
        if isinstance(place, FieldError):
            return place
        if not values["reason"].strip():
            return say_why()
        try:
            saved = app.save(lambda: repo.commands.edit_session(
                session.id, patient=values["patient"], payer=values["payer"],
                discipline=Discipline(values["discipline"]), place=place,
                reason=values["reason"]))
        except StorageError as error:
            return str(error)
        app.tell(f"{saved.patient}: {saved.payer.name}, {saved.discipline}, "
                 f"{saved.place.words()} ({undo})")
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
        *place_fields(session.place),
        FormField("reason", "Why (kept in the audit trail)", placeholder="wrong patient"),
    ], submit, place_changed)
