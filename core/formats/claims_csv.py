"""What billing needs, as CSV rows: claim lines and sessions (with their chart notes).

Lines: one row per patient, date of service, discipline, code and modifier set (a code's units
with and without CQ/CO are two lines; otherwise a code is never split across lines of one date),
with up to four modifiers in their own columns, the estimated payment and the allowed amount
(the one KX counts; they differ on a CQ/CO line, paid at 85%). Dates are
ISO dates, units whole numbers, amounts plain decimals: a spreadsheet reads them as they are.

Both files end with where, how and by whom the session was furnished (`WHERE_AND_WHO`, after
the older columns, which keep their places): `place_of_service` (the CMS code, 11 office),
`telehealth` (blank: in person, `video`, `audio`), `rendering_therapist`, `rendering_npi` and
`provider_code`, as the session was stamped when it opened.
"""

from __future__ import annotations

from core.billing.day import ClaimRow
from core.billing.summary import SessionDay
from core.formats.csv_cells import neutralise
from core.formats.money import cents
from core.formats.segments_csv import WHERE_AND_WHO, where_and_who

LINE_COLUMNS = ("date_of_service", "patient", "payer", "method", "discipline", "code",
                "modifier_1", "modifier_2", "modifier_3", "modifier_4", "units", "minutes",
                "estimated_amount", "allowed_amount", *WHERE_AND_WHO)
SESSION_COLUMNS = ("session_id", "date_of_service", "patient", "payer", "method", "discipline",
                   "status", "total_timed_minutes", "total_treatment_minutes", "timed_units",
                   "units", "estimated_amount", "checks", "progress_report", "group_size",
                   "chart_note", *WHERE_AND_WHO)
MAX_MODIFIERS = 4


def line_row(row: ClaimRow) -> list[str]:
    modifiers = list(row.modifiers[:MAX_MODIFIERS])
    modifiers += [""] * (MAX_MODIFIERS - len(modifiers))
    cells = [row.date_of_service.isoformat(), row.patient, row.payer, row.method.value,
             row.discipline.value, row.code, *modifiers, str(row.units),
             "" if row.minutes is None else str(row.minutes), cents(row.amount) or "",
             cents(row.allowed) or "", *where_and_who(row)]
    return [neutralise(cell) for cell in cells]


def session_row(day: SessionDay, units: str, note: str) -> list[str]:
    """`units` as the day summary says them (DaySummary.units_text: claim lines, what is not
    billed, pooled)."""
    session, billing = day.session, day.billing
    cells = [str(session.id), session.date_of_service.isoformat(), session.patient,
             session.payer.name, session.payer.method.value, session.discipline.value,
             "open" if session.is_open else "closed", str(billing.total_timed_minutes),
             str(billing.total_treatment_minutes), str(billing.timed_units), units,
             cents(day.amount) or "", " | ".join(day.checks),
             "written" if session.progress_report else "",
             str(session.group_size or ""), note, *where_and_who(session)]
    return [neutralise(cell) for cell in cells]
