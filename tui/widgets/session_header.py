"""The top of a session in two lines, at any width: who and under which rule, then the live
line (the running timer, the units so far, the time to the next unit to the second). Each
second only the live line is repainted; the first changes with the session."""

from __future__ import annotations

from datetime import datetime

from textual import events

from core.billing.live import near_units
from core.care.deadlines import ReportDeadline
from core.models import Method
from core.text import plural
from storage.views import SessionLive
from tui.format import WIDE, elapsed
from tui.widgets.lines import Lines


class SessionHeader(Lines):
    def __init__(self) -> None:
        super().__init__("", "", id="session-header")
        self._shown: tuple[SessionLive, datetime, ReportDeadline | None] | None = None

    def on_resize(self, event: events.Resize) -> None:
        """The first show may come before the layout knows the width: show it again."""
        if self._shown is not None:
            self.show(*self._shown)

    def flash(self, lit: bool = True) -> None:
        """A unit was reached: lit until the screen puts it out (at the next key, or after
        the setting `alert_seconds`)."""
        self.set_class(lit, "-unit")

    def show(self, view: SessionLive, now: datetime, report: ReportDeadline | None = None
             ) -> None:
        self._shown = (view, now, report)
        session = view.session
        wide = self.size.width >= WIDE
        rule = "8-minute rule" if session.payer.method is Method.CMS else "per code"
        status = "open" if session.is_open else "CLOSED: o reopens"
        day = f"{session.date_of_service:%a %d %b %Y}" if wide else \
            f"{session.date_of_service:%d %b}"
        how = f" · {session.telehealth}" if session.telehealth else ""
        first = (f"{session.patient} · {session.payer.name} ({rule}) · {session.discipline}{how}"
                 f" · {day} · {status}")
        if session.progress_report:
            first += " · report written"
        elif report is not None and report.kind is not None:
            first += f" · report {report.phrase}"
        self.set_line(0, first)
        self.set_line(1, " │ ".join(self._live(view, now, wide)))

    @staticmethod
    def _live(view: SessionLive, now: datetime, wide: bool) -> list[str]:
        """The running timer (flagged when forgotten), the units so far, the next one."""
        units, running, parts = view.next_unit, list(view.running), []
        timed = [s for s in running if s.code == units.running]
        if timed:
            flag = "! forgotten? s stops it at the right time · " \
                if timed[0].code in view.forgotten else ""
            parts.append(f"{flag}▶ {timed[0].code} {elapsed(now - timed[0].start)}")
        counted = "timed" if units.key == "total" else units.key
        parts.append(f"{counted} {units.minutes} min = "
                     f"{plural(units.units, 'timed unit' if units.key == 'total' else 'unit')}")
        if units.to_next is not None:
            parts.append(f"next unit in {elapsed(units.to_next)}")
        if view.untimed:
            parts.append(plural(view.untimed, "untimed unit"))
        billing = view.bill.billing
        if units.to_next is None and view.session.is_open:
            parts.append("paused" if billing.total_timed_minutes else "no timed code running")
            parts += near_units(view.session.payer.method, billing)
        parts += [f"{'! ' if s.code in view.forgotten else ''}+ {s.code} "
                  f"{elapsed(now - s.start)}" for s in running if s not in timed]
        if wide:
            parts.append(f"treatment {billing.total_treatment_minutes} min")
        return parts
