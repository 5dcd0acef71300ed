"""The text a therapist pastes into the EMR for one session (billing-spec section 8): where
and how it was furnished unless in the office in person (telehealth needs its mode and the
patient's place documented), and the rendering therapist's NPI when the session has one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo

from core.billing.modifiers import billed_text
from core.billing.session import SessionBill
from core.models import Discipline, FurnishedBy, Method, Segment
from core.place import OFFICE_VISIT
from core.session import Session
from core.text import a_or_an


def chart_note(session: Session, segments: Sequence[Segment], bill: SessionBill,
               zone: tzinfo, *, therapist: str, credentials: str,
               discipline: Discipline | None = None) -> str:
    """`bill` is the session billed (core.billing.recorded.bill_recorded); `discipline` the
    signing therapist's own (the settings'): a session of another discipline says so on its
    signature line."""
    billing, catalog = bill.billing, bill.catalog
    rule = ("Medicare total-time method (8-minute rule)" if session.payer.method is Method.CMS
            else "per-code method")
    lines = [
        f"Date of service: {session.date_of_service:%Y-%m-%d}",
        f"Patient: {session.patient}   Discipline: {session.discipline}   "
        f"Payer: {session.payer.name} ({rule})",
    ]
    if session.place != OFFICE_VISIT:
        lines.append(f"Place of service: {session.place.words()}")
    lines.append("Interventions:")
    for line in billing.lines:
        entry = catalog.find(line.code)
        name = "(not defined in the settings: not billed)" if entry is None else entry.descriptor
        minutes = "" if line.minutes is None else f": {line.minutes} min"
        kind = "" if line.timed or entry is None else " (untimed)"
        notes = "; ".join(s.note for s in segments if s.code == line.code and s.note)
        lines.append(f"  {line.code} {name}{kind}{minutes}" + (f" ({notes})" if notes else ""))
    units = billed_text(bill.claim, bill.not_billed)
    lines += [
        f"Total timed code minutes: {billing.total_timed_minutes}",
        f"Total treatment minutes: {billing.total_treatment_minutes}",
        f"Units: {units}",
        "Times: " + "; ".join(
            f"{s.code} {s.start.astimezone(zone):%H:%M}-"
            + (f"{s.end.astimezone(zone):%H:%M}" if s.end else "running")
            for s in segments),
    ]
    if session.group_size:
        lines.append(f"Group therapy: {session.group_size} patients treated at once")
    if session.progress_report:
        lines.append("Progress report written at this visit (by the therapist)")
    assisted = {s.code for s in segments if s.furnished_by is FurnishedBy.ASSISTANT}
    signer = ", ".join(part for part in (therapist, credentials) if part)
    other = discipline if discipline is not session.discipline else None
    signs_own = bool(session.npi) and session.therapist in ("", therapist)
    lines.append(f"Therapist{f' ({other})' if other else ''}: "
                 f"{signer or '________________________'}"
                 f"{'' if therapist else ' (name, credentials)'}"
                 f"{f' (NPI {session.npi})' if signs_own else ''}   signature: ____________")
    if session.npi and not signs_own:  # stamped with another name than the one signing
        lines.append(f"Rendering therapist: {session.therapist}, NPI {session.npi}")
    if other is not None:
        lines.append(f"Note: {a_or_an(session.discipline)} session signed by "
                     f"{a_or_an(other)}: {session.discipline} services need "
                     f"{a_or_an(session.discipline)} plan of care and clinician")
    if assisted:
        lines.append(f"Assistant furnished part of: {', '.join(sorted(assisted))}; "
                     "assistant signature: ____________")
    return "\n".join(lines)
