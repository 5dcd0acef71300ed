"""The end-of-day review: every session of a date, claim lines, totals, pooling and checks."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from core.billing.modifiers import units_words
from core.billing.summary import DaySummary
from core.formats.money import dollars
from core.models import EARLIEST_YEAR, LATEST_YEAR
from core.text import plural
from core.timeparse import TimeParseError, parse_date
from storage.reports import left_open, left_open_text, write_lines
from storage.views import day_view
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.form import FieldError, FormDialog, FormField
from tui.format import WIDE
from tui.screens.live import LiveTableScreen
from tui.widgets.notices import NoticeBar
from tui.widgets.plain_table import PlainTable


class DaySummaryScreen(LiveTableScreen):
    TABLE_ID = "day-sessions"
    COLUMNS = (("patient", "Patient"), ("status", "Status"), ("checks", "!"),
               ("timed", "Timed"), ("amount", "Est."), ("units", "Units (modifiers)"),
               ("payer", "Payer"), ("method", "Method"), ("total", "Total"))
    NARROW_HIDDEN = frozenset({"go_to", "open_session", "review"})
    BINDINGS = [
        Binding("[", "shift(-1)", "Day", key_display="[ ]", tooltip="the previous day"),
        Binding("]", "shift(1)", "Next day", show=False, tooltip="the next day"),
        Binding("g", "go_to", "Go to", tooltip=(
            "go to a date: 2026-03-02, 03/02, today, yesterday or -3 (days ago)")),
        Binding("enter", "open_session", "Open", priority=True,
                tooltip="open the selected session"),
        Binding("c", "review", "Close", tooltip="review and close the selected open session"),
        Binding("w", "next_warning", "Check",
                tooltip="jump to the next session with a check and show its checks"),
        Binding("h", "history", "History",
                tooltip="the patient's history: sessions, year-to-date amount, KX"),
        Binding("y", "chart_note", "Note",
                tooltip="chart note of the selected session, to copy"),
        Binding("x", "export", "Export", tooltip="export claim lines (CSV) for a date range"),
        Binding("escape", "back", "Back", tooltip="back to today"),
    ]

    def __init__(self, day: date) -> None:
        super().__init__()
        self.day = day
        self.summary: DaySummary | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="day-title", markup=False)
        yield PlainTable(id="day-sessions", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="day-notes"):
            yield Static(id="day-details", markup=False)
        yield NoticeBar()
        yield Footer(compact=True)

    def reload(self) -> None:
        app = self.tabletime
        app.forget("checks")  # what `w` showed may no longer hold
        summary = self.summary = day_view(app.repo, self.day, app.clock())
        table = self.table
        keep = table.cursor_row
        table.clear()
        for item in summary.sessions:
            s = item.session
            amount = "" if item.units is None else dollars(item.amount)
            status = Text("OPEN", style="bold reverse") if s.is_open else Text("closed")
            checks = Text(str(len(item.checks)), style="bold") if item.checks else Text("")
            table.add_row(s.patient, status, checks, str(item.billing.total_timed_minutes),
                          amount, summary.units_text(item), s.payer.name, s.payer.method.value,
                          str(item.billing.total_treatment_minutes), key=str(s.id))
        if summary.sessions:
            table.move_cursor(row=min(max(keep, 0), len(summary.sessions) - 1))
        day = f"{self.day:%a %d %b %Y}" if self.size.width >= WIDE else f"{self.day:%d %b}"
        title = (f"{day} · {plural(len(summary.sessions), 'session')} · "
                 f"{summary.timed_minutes} timed min · "
                 f"{units_words(summary.units, summary.timed_units)} · "
                 f"{dollars(summary.amount)} · {plural(len(summary.checks), 'check')}")
        self.query_one("#day-title", Static).update(title)
        self.query_one("#day-details", Static).update(self._details(summary))

    @staticmethod
    def _details(summary: DaySummary) -> str:
        lines = ["Per code: " + ("  ".join(
            f"{t.code} {t.minutes} min x{t.units} {dollars(t.amount)}"
            for t in summary.code_totals) or "none")]
        for group in summary.groups:
            if group.pooled is not None:
                lines.append(f"Pooled: {group.patient} {group.discipline}, "
                             f"{plural(len(group.session_ids), 'session')} -> "
                             f"{plural(group.timed_units, 'timed unit')} "
                             f"(one by one: {group.per_session_units})")
        if summary.checks:
            lines += ["", "Checks:", *(f"! {check.message}" for check in summary.checks)]
        else:
            lines += ["", "No checks to look at."]
        return "\n".join(lines)

    def tick(self) -> None:
        """Nothing here changes with the clock alone that is worth a redraw each second."""

    def selected(self) -> UUID | None:
        if self.summary is None or not self.summary.sessions:
            self.tabletime.tell("No session on this day.", "warning")
            return None
        key = self.table.coordinate_to_cell_key(self.table.cursor_coordinate).row_key.value
        return UUID(key) if key else None

    def action_shift(self, days: int) -> None:
        day = self.day + timedelta(days=days)
        if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
            self.tabletime.tell(f"No day summaries before {EARLIEST_YEAR} or after "
                                f"{LATEST_YEAR}.", "warning")
            return
        self.day = day
        self.reload()

    def action_go_to(self) -> None:
        def submit(values: dict[str, str]) -> str | None:
            try:
                self.day = parse_date(values["day"], self.tabletime.today())
            except TimeParseError as error:
                return str(error)
            self.reload()
            return None

        self.app.push_screen(FormDialog("Go to date", [
            FormField("day", "Date (2026-03-02, today, yesterday, -3, 03/02)",
                      self.day.isoformat())], submit, save="Go"))

    @on(DataTable.RowSelected)
    def action_open_session(self) -> None:
        session_id = self.selected()
        if session_id is not None:
            self.tabletime.open_session(session_id)

    def action_review(self) -> None:
        session_id = self.selected()
        if session_id is None:
            return
        if not self.tabletime.repo.queries.session(session_id).is_open:
            self.tabletime.tell("That session is closed already (enter opens it).", "warning")
            return
        from tui.screens.review import ReviewScreen

        self.app.push_screen(ReviewScreen(session_id), lambda _: self.reload())

    def action_next_warning(self) -> None:
        if self.summary is None:
            return
        flagged = [i for i, item in enumerate(self.summary.sessions) if item.checks]
        if not flagged:
            self.tabletime.tell("No session on this day has a check.")
            return
        after = [i for i in flagged if i > self.table.cursor_row]
        self.table.move_cursor(row=(after or flagged)[0])
        item = self.summary.sessions[self.table.cursor_row]
        self.tabletime.tell("\n".join(item.checks), "warning", kind="checks")

    def action_history(self) -> None:
        session_id = self.selected()
        if session_id is not None:
            from tui.screens.history import PatientHistoryScreen

            patient = self.tabletime.repo.queries.session(session_id).patient
            self.app.push_screen(PatientHistoryScreen(patient))

    def action_chart_note(self) -> None:
        session_id = self.selected()
        if session_id is not None:
            self.tabletime.show_chart_note(session_id)

    def action_export(self) -> None:
        """Claim lines of a date range; open sessions are not billed yet, so an export that
        would leave some out names them and asks first."""
        app = self.tabletime
        dialog: FormDialog

        def export(first: date, last: date, left_out: str) -> None:
            now = app.clock()
            app.export(f"lines-{first}-{last}.csv",
                       lambda repo, stream: write_lines(repo, first, last, now, stream),
                       "claim line", (first, last), year_to_date=True, left_out=left_out)

        def submit(values: dict[str, str]) -> str | None:
            try:
                first = parse_date(values["first"], app.today())
                last = parse_date(values["last"], app.today())
            except TimeParseError as error:
                return str(error)
            if first > last:
                return f"{first} is after {last}"
            still_open = left_open(app.repo, first, last)
            if not still_open:
                export(first, last, "")
                return None

            def answered(yes: bool | None) -> None:
                if yes:
                    export(first, last, left_open_text(still_open))
                    dialog.dismiss(True)

            names = ", ".join(f"{s.patient} {s.date_of_service}" for s in still_open)
            self.app.push_screen(ConfirmDialog(
                f"Not closed yet, so not billed in this file: {names}. Export the claim lines "
                "of the closed sessions without them?", yes="Export"), answered)
            return FieldError("first", "open sessions in the range: close them first, or "
                                       "export without them")

        dialog = FormDialog("Export claim lines (CSV)", [
            FormField("first", "From (YYYY-MM-DD)", self.day.isoformat()),
            FormField("last", "To (YYYY-MM-DD)", self.day.isoformat()),
        ], submit)
        self.app.push_screen(dialog)

    def action_back(self) -> None:
        self.dismiss()

