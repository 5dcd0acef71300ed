"""Everything the command line prints, as text and as JSON: `units`, `summary`, `patient`,
`check`. Renderers only: the facts come from core (billing) and storage (read models). Loads
neither storage nor pydantic at run time, so that `tabletime units` starts fast."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from core.billing.modifiers import describe, units_words
from core.billing.productivity import Productivity, productivity_words
from core.formats.money import cents, dollars
from core.place import OFFICE, mode_value
from core.text import plural, printable

if TYPE_CHECKING:
    from core.billing.session import SessionBill
    from core.billing.summary import DaySummary, Figures, RangeView
    from storage.check import CheckReport
    from storage.views import PatientView



def printable_lines(text: str) -> str:
    """Lines of text with what data they hold escaped, line by line (a line break is ours)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def say(text: str) -> None:
    """A line on stderr: what was done, what to look at (stdout holds the data)."""
    print(f"tabletime: {printable(text)}", file=sys.stderr)

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
                "running": list(item.running),
                "total_timed_minutes": item.billing.total_timed_minutes,
                "total_treatment_minutes": item.billing.total_treatment_minutes,
                "timed_units": item.billing.timed_units,
                "units": item.billing.units,
                "billed_units": item.units,
                "not_billed": item.not_billed,
                "estimated_amount": cents(item.amount),
                "checks": list(item.checks),
                "place_of_service": item.session.place_of_service,
                "telehealth": mode_value(item.session.telehealth),
                "rendering_therapist": item.session.therapist,
                "rendering_npi": item.session.npi,
                "provider_code": item.session.provider_code,
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
                "place_of_service": row.place_of_service,
                "telehealth": mode_value(row.telehealth),
                "rendering_therapist": row.therapist,
                "rendering_npi": row.npi,
                "provider_code": row.provider_code,
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
        "productivity": productivity_json(summary.productivity),
    }


def productivity_json(figure: Productivity | None) -> dict[str, Any] | None:
    """None for a day without a segment; percents rounded down (core.billing.productivity)."""
    if figure is None:
        return None
    return {"billable_minutes": figure.billable_minutes, "clock_minutes": figure.clock_minutes,
            "percent": figure.percent, "scheduled_minutes": figure.scheduled_minutes,
            "scheduled_percent": figure.scheduled_percent, "target": figure.target,
            "target_met": figure.target_met, "running": figure.running}


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
        where = "" if row.place_of_service == OFFICE else f"  POS {row.place_of_service}"
        rows.append(f"  {row.patient:<{who}}{line:<18} x{row.units:<3} {amount:>9}{allowed}"
                    f"{where}")
    rows += ["", f"Totals: {summary.timed_minutes} timed min, {summary.treatment_minutes} "
             f"treatment min, {units_words(summary.units, summary.timed_units)}, estimate "
             f"${summary.amount:.2f}", productivity_words(summary.productivity)]
    if summary.checks:
        rows += ["", "Checks:", *(f"  ! {check.message}" for check in summary.checks)]
    return "\n".join(rows)


def range_json(view: RangeView) -> dict[str, Any]:
    """`summary --from --to --json`: each date of the range, then the totals."""
    return {"from": view.first.isoformat(), "to": view.last.isoformat(),
            "days": [{"date": day.isoformat(), **_figures_json(figures)}
                     for day, figures in view.days],
            "totals": _figures_json(view.totals)}


def _figures_json(figures: Figures) -> dict[str, Any]:
    return {"sessions": figures.sessions, "open_sessions": figures.open_sessions,
            "units": figures.units, "timed_units": figures.timed_units,
            "estimated_amount": cents(figures.amount),
            "productivity": productivity_json(figures.productivity)}


def range_text(view: RangeView) -> str:
    """A row a day (whether it met the target, when the settings give one), a row of totals,
    then the range's productivity in words."""
    totals = view.totals
    targeted = totals.productivity is not None and totals.productivity.target is not None
    rows = [f"Summary {view.first:%a %d %b %Y} to {view.last:%a %d %b %Y}: "
            f"{plural(totals.sessions, 'session')}", "",
            f"{'Day':<16}{'Sessions':>12}{'Billable':>10}{'Clock':>7}{'Prod':>6}{'Units':>7}"
            f"{'Estimate':>13}" + (f"{'Target':>8}" if targeted else "")]
    rows += [_figures_row(f"{day:%a %d %b %Y}", figures, targeted)
             for day, figures in view.days]
    rows += [_figures_row("Total", totals, targeted), "",
             productivity_words(totals.productivity)]
    return "\n".join(rows)


def _figures_row(label: str, figures: Figures, targeted: bool) -> str:
    figure = figures.productivity
    billable, clock, percent, met = (("-", "-", "-", "-") if figure is None else (
        str(figure.billable_minutes), str(figure.clock_minutes),
        "-" if figure.percent is None else f"{figure.percent}%",
        {None: "-", True: "met", False: "below"}[figure.target_met]))
    sessions = str(figures.sessions) + (f" ({figures.open_sessions} open)"
                                        if figures.open_sessions else "")
    return (f"{label:<16}{sessions:>12}{billable:>10}{clock:>7}{percent:>6}{figures.units:>7}"
            f"{dollars(figures.amount):>13}" + (f"{met:>8}" if targeted else ""))


def units_json(bill: SessionBill) -> dict[str, Any]:
    """The documented `units --json` object (design.md), plus the tie alternatives, the
    claim lines, the estimate and the edits found."""
    result, fees = bill.billing, bill.fees
    return {
        "method": result.method.value,
        "medicare": bill.terms.medicare,
        "discipline": bill.discipline.value,
        "date_of_service": bill.day.isoformat(),
        "place_of_service": bill.place.pos,
        "telehealth": mode_value(bill.place.telehealth),
        "total_timed_minutes": result.total_timed_minutes,
        "total_treatment_minutes": result.total_treatment_minutes,
        "timed_units": result.timed_units,
        "units": result.units,
        "lines": [
            {"code": line.code, "minutes": line.minutes, "units": line.units,
             "timed": line.timed, "assistant_minutes": line.assistant_minutes,
             "why": line.why}
            for line in result.lines
        ],
        "not_billed": bill.not_billed,
        "tie": result.tie,
        "tie_alternatives": list(result.tie_alternatives),
        "summary": result.summary,
        "claim_lines": [
            {"code": fee.line.code, "modifiers": list(fee.line.modifiers),
             "units": fee.line.units, "minutes": fee.line.minutes,
             "allowed_amount": cents(fee.allowed), "estimated_amount": cents(fee.amount),
             "why": "; ".join(part for part in (fee.line.why, fee.why) if part)}
            for fee in (fees.lines if fees else ())
        ],
        "estimate": None if fees is None else {
            "year": fees.year, "allowed_amount": cents(fees.allowed),
            "estimated_amount": cents(fees.total), "source": fees.source},
        "edits": [{"kind": f.check, "edit": f.edit, "codes": list(f.codes),
                   "message": f.message, "source": f.source} for f in bill.findings],
        "warnings": list(bill.warnings),
    }


def units_text(bill: SessionBill) -> str:
    """A table a therapist reads at a glance, then the reasons an auditor reads."""
    result, fees = bill.billing, bill.fees
    rows = [f"{'Code':<7}{'Minutes':>8}{'Units':>7}  Kind"]
    for line in result.lines:
        minutes = "-" if line.minutes is None else str(line.minutes)
        kind = "timed" if line.timed else "untimed"
        if line.code in bill.not_billed:
            kind += f"; not billed ({bill.not_billed[line.code]})"
        rows.append(f"{line.code:<7}{minutes:>8}{line.units:>7}  {kind}")
    rows += [
        "",
        f"Total timed minutes:     {result.total_timed_minutes}",
        f"Total treatment minutes: {result.total_treatment_minutes}",
        f"Timed units:             {result.timed_units}",
    ]
    payer = "Medicare" if bill.terms.medicare else "not Medicare"
    rate = "facility" if bill.place.facility else "non-facility"
    rows += ["", f"Claim lines ({payer}, {bill.discipline}, {bill.day}; {bill.place.words()}: "
                 f"{rate} rate):"]
    if fees:
        for fee in fees.lines:
            amount = "no estimate" if fee.amount is None else f"${fee.amount:.2f}"
            minutes = "" if fee.line.minutes is None else f"{fee.line.minutes} min"
            rows.append(f"  {describe(fee.line):<18}{minutes:>8}  {amount:>11}  {fee.why}")
        rows.append(f"  Estimate ${fees.total:.2f} (allowed ${fees.allowed:.2f}):"
                    f" {fees.source}; national, before coinsurance")
    else:
        rows.append("  none")
    rows += ["", "Why:", f"  {result.summary}", *(f"  {line.why}" for line in result.lines)]
    shared = {line.code: line for line in bill.claim if line.why}
    rows += [f"  {line.code} therapist/assistant: {line.why}" for line in shared.values()]
    if result.tie:
        rows += ["", "Tie: the payer accepts any of these too:"]
        rows += ["  " + ", ".join(f"{code} x{units}" for code, units in choice.items())
                 for choice in result.tie_alternatives]
    if bill.warnings:
        rows += ["", "Warnings:", *(f"  ! {warning}" for warning in bill.warnings)]
    return "\n".join(rows)


def patient_json(view: PatientView) -> dict[str, Any]:
    """`patient --json`: the year's Medicare amounts per KX bucket, the authorizations and
    each discipline's deadlines (under the contract's key `clocks`)."""
    return {
        "patient": view.patient, "year": view.year, "sessions": len(view.visits_of_year),
        "medicare": {b.bucket.value: {
            "here": cents(b.here), "elsewhere": cents(b.elsewhere), "total": cents(b.total),
            "threshold": cents(b.threshold), "messages": list(b.messages)}
            for b in view.buckets},
        "authorizations": [{
            "payer": b.authorization.payer, "start": b.authorization.start.isoformat(),
            "until": b.authorization.until.isoformat(),
            "visits": b.authorization.visits, "visits_used": b.visits_used,
            "visits_left": b.visits_left, "units": b.authorization.units,
            "units_used": b.units_used, "units_left": b.units_left, "kind": b.kind,
            "message": b.message} for b in view.authorizations],
        "clocks": {discipline.value: {
            "progress_report": None if report is None else {
                "treatment_days": report.treatment_days,
                "last_report": None if report.last_report is None
                else report.last_report.isoformat(),
                "kind": report.kind, "message": report.message},
            "plan_of_care": None if plan is None else {
                "start": plan.start.isoformat(),
                "certified_until": plan.certified_until.isoformat(),
                "signed": None if plan.signed is None else plan.signed.isoformat(),
                "entered": plan.entered, "kind": plan.kind, "message": plan.message}}
            for discipline, (report, plan) in view.deadlines.items()},
    }


def patient_text(view: PatientView) -> str:
    visits, year, today = view.visits_of_year, view.year, view.today
    lines = [f"Patient {view.patient}: {plural(len(visits), 'session')} in {year}"
             + (f" ({visits[0][0]} to {visits[-1][0]})" if visits else ""),
             f"Medicare allowed amounts in {year} (KX counts PT and SLP together, OT alone):"]
    for b in view.buckets:
        entered = view.entered.get(b.bucket)
        source = f", entered {entered.entered_at:%Y-%m-%d}" if entered else ""
        against = f" of {dollars(b.threshold)}" if b.threshold else ""
        lines.append(f"  {b.bucket:<7} {dollars(b.here)} here + {dollars(b.elsewhere)} "
                     f"elsewhere{source} = {dollars(b.total)}{against}")
        lines += [f"    ! {message}" for message in b.messages]
    if view.deadlines:
        lines.append(f"Clocks on {today}:")
    for report, plan in view.deadlines.values():
        for deadline in (report, plan):
            if deadline is not None:
                lines.append(f"  {'!' if deadline.kind else ' '} {deadline.message}")
    if view.authorizations:
        lines.append(f"Authorizations, counted to {today}:")
    for balance in view.authorizations:
        mark = "!" if balance.kind else " "
        lines.append(f"  {mark} {balance.message} (from {balance.authorization.start})")
    return "\n".join(lines)


def check_json(report: CheckReport) -> dict[str, Any]:
    return {"ok": report.ok, "empty": report.empty, "day_files": report.day_files,
            "sessions": report.sessions, "open_sessions": report.open_sessions,
            "findings": [f.model_dump() for f in report.findings],
            "skipped": [s.model_dump() for s in report.skipped]}


def check_text(report: CheckReport) -> str:
    lines = [f"{plural(report.day_files, 'day file')}, {plural(report.sessions, 'session')} "
             f"({report.open_sessions} open)"]
    lines += [f"{'fixed' if f.fixed else 'FOUND'}: {f.message}" for f in report.findings]
    if report.empty:
        lines.append("the folder is empty: nothing has been recorded in it")
    elif report.ok:
        lines.append("all is well")
    return "\n".join(lines)
