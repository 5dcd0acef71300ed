"""The top of a session in two lines, at any width: who and under which rule, then the live
line (the running timer, the units so far, the time to the next unit to the second)."""

from __future__ import annotations

from datetime import datetime

from textual import events
from textual.widgets import Static

from core.billing.live import NextUnit
from core.billing.units import BillingResult
from core.care.deadlines import ReportDeadline
from core.models import Method, Segment
from core.session import Session
from core.text import plural
from tui.format import UNIT_SHOWN_SECONDS, WIDE, elapsed


class SessionHeader(Static):
    def __init__(self) -> None:
        super().__init__(id="session-header", markup=False)
        self._shown: tuple[Session, BillingResult, NextUnit, list[Segment], datetime,
                           ReportDeadline | None, int] | None = None

    def on_resize(self, event: events.Resize) -> None:
        """The first show may come before the layout knows the width: show it again."""
        if self._shown is not None:
            self.show(*self._shown)

    def flash(self) -> None:
        """A unit was reached: show it for a moment."""
        self.add_class("-unit")
        self.set_timer(UNIT_SHOWN_SECONDS, lambda: self.remove_class("-unit"))

    def show(self, session: Session, billing: BillingResult, units: NextUnit,
             running: list[Segment], now: datetime, report: ReportDeadline | None = None,
             untimed: int = 0) -> None:
        """`untimed`: the units of untimed codes this session bills (a group's 97150)."""
        self._shown = (session, billing, units, running, now, report, untimed)
        wide = self.size.width >= WIDE
        rule = "8-minute rule" if session.payer.method is Method.CMS else "per code"
        status = "open" if session.is_open else "CLOSED: o reopens"
        day = f"{session.date_of_service:%a %d %b %Y}" if wide else \
            f"{session.date_of_service:%d %b}"
        first = (f"{session.patient} · {session.payer.name} ({rule}) · {session.discipline} · "
                 f"{day} · {status}")
        if session.progress_report:
            first += " · report written"
        elif report is not None and report.kind is not None:
            first += f" · report {report.short}"
        parts = []
        timed = [s for s in running if s.code == units.running]
        if timed:
            parts.append(f"▶ {timed[0].code} {elapsed(now - timed[0].start)}")
        counted = "timed" if units.key == "total" else units.key
        parts.append(f"{counted} {units.minutes} min = "
                     f"{plural(units.units, 'timed unit' if units.key == 'total' else 'unit')}")
        if units.to_next is not None:
            parts.append(f"next unit in {elapsed(units.to_next)}")
        if untimed:
            parts.append(plural(untimed, "untimed unit"))
        if units.to_next is None and session.is_open:
            parts.append("no timed code running")
        parts += [f"+ {s.code} {elapsed(now - s.start)}" for s in running if s not in timed]
        if wide:
            parts.append(f"treatment {billing.total_treatment_minutes} min")
        self.update(f"{first}\n{' │ '.join(parts)}")
