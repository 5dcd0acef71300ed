"""The top of a session: who, which payer rule, and where the units stand right now."""

from __future__ import annotations

from datetime import datetime, tzinfo

from textual.widgets import Static

from core.models import Method, Segment
from core.session import Session
from core.units import BillingResult, minutes_to_next_unit
from tui.format import clock


class SessionHeader(Static):
    def __init__(self) -> None:
        super().__init__(id="session-header", markup=False)

    def show(
        self,
        session: Session,
        billing: BillingResult,
        running: list[Segment],
        now: datetime,
        zone: tzinfo,
    ) -> None:
        rule = ("Medicare 8-minute rule" if session.payer.method is Method.CMS
                else "per-code rule")
        status = "open" if session.is_open else "CLOSED"
        first = (f"{session.patient}  |  {session.payer.name} ({rule})  |  "
                 f"{session.discipline}  |  {session.date_of_service:%a %d %b %Y}  |  {status}")
        second = (f"Timed {billing.total_timed_minutes} min  |  "
                  f"{billing.timed_units} unit{'s' if billing.timed_units != 1 else ''} so far  |  "
                  f"{self._next_unit(session, billing, running)}  |  "
                  f"Treatment {billing.total_treatment_minutes} min")
        timers = "  ".join(f"> {s.code} {clock(now - s.start)}" for s in running) or "no timer"
        self.update(f"{first}\n{second}\n{timers}")

    @staticmethod
    def _next_unit(session: Session, billing: BillingResult, running: list[Segment]) -> str:
        if session.payer.method is Method.CMS:
            return f"{minutes_to_next_unit(billing.total_timed_minutes)} min to next unit"
        timed = [s for s in running if s.code in billing.units and billing.line(s.code).timed]
        if not timed:
            return "per code: start a code to see its next unit"
        line = billing.line(timed[0].code)
        return f"{minutes_to_next_unit(line.minutes or 0)} min to next {line.code} unit"
