"""The day summary as text and as the JSON of `tabletime summary --json`."""

from __future__ import annotations

from typing import Any

from core.billing.modifiers import units_words
from core.billing.summary import DaySummary
from core.formats.money import cents
from core.text import plural


def summary_json(summary: DaySummary) -> dict[str, Any]:
    return {
        "date": summary.day.isoformat(),
        "sessions": [
            {
                "id": str(item.session.id),
                "patient": item.session.patient,
                "payer": item.session.payer.name,
                "method": item.session.payer.method.value,
                "discipline": item.session.discipline.value,
                "status": "open" if item.session.is_open else "closed",
                "total_timed_minutes": item.billing.total_timed_minutes,
                "total_treatment_minutes": item.billing.total_treatment_minutes,
                "timed_units": item.billing.timed_units,
                "units": item.billing.units,
                "billed_units": item.units,
                "not_billed": item.not_billed,
                "estimated_amount": cents(item.amount),
                "checks": list(item.checks),
            }
            for item in summary.sessions
        ],
        "lines": [
            {
                "patient": row.patient,
                "discipline": row.discipline.value,
                "payer": row.payer,
                "code": row.code,
                "modifiers": list(row.modifiers),
                "units": row.units,
                "minutes": row.minutes,
                "allowed_amount": cents(row.allowed),
                "estimated_amount": cents(row.amount),
            }
            for row in summary.rows
        ],
        "pools": [
            {
                "patient": group.patient,
                "discipline": group.discipline.value,
                "sessions": [str(i) for i in group.session_ids],
                "timed_units": group.timed_units,
                "per_session_units": group.per_session_units,
            }
            for group in summary.groups
            if group.pooled is not None
        ],
        "totals": {
            "timed_minutes": summary.timed_minutes,
            "treatment_minutes": summary.treatment_minutes,
            "units": summary.units,
            "timed_units": summary.timed_units,
            "estimated_amount": cents(summary.amount),
            "per_code": {
                total.code: {"minutes": total.minutes, "units": total.units,
                             "estimated_amount": cents(total.amount)}
                for total in summary.code_totals
            },
        },
        "checks": [
            {"kind": check.kind.value, "message": check.message,
             "sessions": [str(i) for i in check.session_ids], "source": check.source}
            for check in summary.checks
        ],
    }


def summary_text(summary: DaySummary) -> str:
    """Columns as wide as their longest cell, so that no two ever run together."""
    rows = [f"Day summary {summary.day:%a %d %b %Y}: {plural(len(summary.sessions), 'session')}",
            ""]
    who = max([len("Patient"), *(len(item.session.patient) for item in summary.sessions)]) + 2
    payer = max([len("Payer"), *(len(item.session.payer.name) for item in summary.sessions)]) + 2
    rows.append(f"{'Patient':<{who}}{'Payer':<{payer}}{'Disc':<5}{'Status':<8}{'Timed':>6}"
                f"{'Total':>6}  Units")
    for item in summary.sessions:
        s, billing = item.session, item.billing
        units = summary.units_text(item)
        flag = "  !" if item.checks else ""
        rows.append(f"{s.patient:<{who}}{s.payer.name:<{payer}}{s.discipline:<5}"
                    f"{'open' if s.is_open else 'closed':<8}{billing.total_timed_minutes:>6}"
                    f"{billing.total_treatment_minutes:>6}  {units}{flag}")
    rows += ["", "Claim lines:"]
    who = max([0, *(len(row.patient) for row in summary.rows)]) + 2
    for row in summary.rows:
        amount = cents(row.amount) or "n/a"
        allowed = f"  (85% of {cents(row.allowed)})" if row.allowed != row.amount else ""
        line = "-".join((row.code, *row.modifiers))
        rows.append(f"  {row.patient:<{who}}{line:<18} x{row.units:<3} {amount:>9}{allowed}")
    rows += ["", f"Totals: {summary.timed_minutes} timed min, {summary.treatment_minutes} "
             f"treatment min, {units_words(summary.units, summary.timed_units)}, estimate "
             f"${summary.amount:.2f}"]
    if summary.checks:
        rows += ["", "Checks:", *(f"  ! {check.message}" for check in summary.checks)]
    return "\n".join(rows)
