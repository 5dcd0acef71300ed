"""`tabletime clinic summary` as text and JSON: each therapist's part in the words of their
own `summary` (tui/cli/output.py), then the clinic's totals and the clinic checks."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from typing import Any

from core.clinic import ClinicCheck
from core.formats.money import cents, dollars
from core.text import plural
from storage.clinic.reading import Therapist
from storage.clinic.views import ClinicDay, ClinicRange
from tui.cli.output import range_json, range_text, summary_json, summary_text


def _therapist_json(therapist: Therapist) -> dict[str, Any]:
    s = therapist.settings
    return {"therapist_id": therapist.therapist_id, "name": s.therapist,
            "credentials": s.credentials, "discipline": s.discipline.value,
            "role": s.role.value, "npi": s.npi, "provider_code": s.provider_code,
            "billing_entity": s.billing_entity}


def _checks_json(checks: tuple[ClinicCheck, ...], names: dict[int, str]) -> list[dict[str, Any]]:
    return [{"kind": c.kind.value, "date": c.date_of_service.isoformat(), "patient": c.patient,
             "therapists": [{"therapist_id": int(key), "name": names.get(int(key), "")}
                            for key in c.therapists],
             "sessions": [str(i) for i in c.session_ids], "message": c.message,
             "source": c.source}
            for c in checks]


WIDTH = 80
"""A check's lines are wrapped to a terminal's narrowest width, indented under their mark."""


def _checks_text(checks: tuple[ClinicCheck, ...]) -> list[str]:
    if not checks:
        return ["Clinic checks: none"]
    return ["Clinic checks:", *(
        textwrap.fill(f"! {c.date_of_service} {c.message}", WIDTH, initial_indent="  ",
                      subsequent_indent="    ", break_on_hyphens=False) + "\n"
        + textwrap.fill(f"source: {c.source}", WIDTH, initial_indent="    ",
                        subsequent_indent="      ", break_on_hyphens=False)
        for c in checks)]


def clinic_day_json(view: ClinicDay) -> dict[str, Any]:
    summaries = [summary for _, summary in view.therapists]
    return {
        "date": view.day.isoformat(), "merged_at": view.merged_at.isoformat(),
        "therapists": [{**_therapist_json(t), "summary": summary_json(summary)}
                       for t, summary in view.therapists],
        "clinic": {
            "sessions": sum(len(s.sessions) for s in summaries),
            "timed_minutes": sum(s.timed_minutes for s in summaries),
            "treatment_minutes": sum(s.treatment_minutes for s in summaries),
            "units": sum(s.units for s in summaries),
            "timed_units": sum(s.timed_units for s in summaries),
            "estimated_amount": cents(sum((s.amount for s in summaries), start=Decimal(0))),
            "per_code": {total.code: {"minutes": total.minutes, "units": total.units,
                                      "estimated_amount": cents(total.amount)}
                         for total in view.code_totals},
            "checks": _checks_json(view.checks, view.names)}}


def clinic_day_text(view: ClinicDay) -> str:
    summaries = [summary for _, summary in view.therapists]
    rows = [f"Clinic summary {view.day:%a %d %b %Y}: {plural(len(view.therapists), 'therapist')}"
            f", {plural(sum(len(s.sessions) for s in summaries), 'session')} (as merged "
            f"{view.merged_at:%Y-%m-%d %H:%M} UTC)"]
    for therapist, summary in view.therapists:
        rows += ["", f"== {therapist.who} ==", summary_text(summary)]
    rows += ["", "== Clinic ==",
             f"Totals: {sum(s.timed_minutes for s in summaries)} timed min, "
             f"{sum(s.treatment_minutes for s in summaries)} treatment min, "
             f"{plural(sum(s.units for s in summaries), 'unit')} "
             f"({sum(s.timed_units for s in summaries)} timed), estimate "
             f"{dollars(sum((s.amount for s in summaries), start=Decimal(0)))}"]
    rows += [f"  {t.code:<8} {t.minutes:>5} min  x{t.units:<3} {dollars(t.amount):>11}"
             for t in view.code_totals]
    rows += ["(The patients' progress-report, plan-of-care and authorization clocks are in "
             "each therapist's own summary.)"]
    return "\n".join([*rows, "", *_checks_text(view.checks)])


def clinic_range_json(view: ClinicRange) -> dict[str, Any]:
    return {"from": view.first.isoformat(), "to": view.last.isoformat(),
            "merged_at": view.merged_at.isoformat(),
            "therapists": [{**_therapist_json(t), "range": range_json(figures)}
                           for t, figures in view.therapists],
            "clinic": {**range_json(view.clinic),
                       "checks": _checks_json(view.checks, view.names)}}


def clinic_range_text(view: ClinicRange) -> str:
    rows = [f"Clinic summary {view.first:%a %d %b %Y} to {view.last:%a %d %b %Y}: "
            f"{plural(len(view.therapists), 'therapist')} (as merged "
            f"{view.merged_at:%Y-%m-%d %H:%M} UTC)"]
    for therapist, figures in view.therapists:
        rows += ["", f"== {therapist.who} ==", range_text(figures)]
    rows += ["", "== Clinic ==", range_text(view.clinic)]
    return "\n".join([*rows, "", *_checks_text(view.checks)])
