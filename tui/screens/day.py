"""The end-of-day review: every session of a date, claim lines, totals, pooling and checks."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from uuid import UUID

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from core.billing.modifiers import units_words
from core.billing.productivity import productivity_words
from core.billing.summary import DaySummary, SessionDay
from core.formats.money import dollars
from core.models import EARLIEST_YEAR, LATEST_YEAR
from core.text import plural
from core.timeparse import TimeParseError, parse_date
from storage.reports import left_open, left_open_text, write_lines
from storage.views import day_view
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.form import FieldError, FormDialog, FormField
from tui.format import NARROW_PATIENT, NARROW_PAYER, WIDE, wrapped
from tui.screens.live import LiveTableScreen
from tui.widgets.footer import KeysFooter
from tui.widgets.notices import NoticeBar
from tui.widgets.plain_table import PlainTable, height

UNITS_WIDTH = 26
"""The units column's width: a claim line per row line, wrapped rather than cut."""


def units_lines(text: str) -> list[str]:
    """A session's units in lines: one claim line each, long words wrapped at UNITS_WIDTH."""
    parts = [part.strip() for chunk in text.split("; ") for part in chunk.split(", ")]
    return [line for part in parts for line in textwrap.wrap(part, UNITS_WIDTH) or [""]]


class DaySummaryScreen(LiveTableScreen):
    TABLE_ID = "day-sessions"
    COLUMNS = (("patient", "Patient"), ("status", "Status"), ("checks", "!"),
               ("timed", "Timed"), ("units", "Units (modifiers)"), ("amount", "Est."),
               ("payer", "Payer"), ("method", "Method"), ("total", "Total"))
    WIDE_ONLY = frozenset({"method", "total"})
    """Columns left out below WIDE columns, so that the units never run off the edge."""
    NARROW_HIDDEN = frozenset({"go_to", "open_session", "review"})
    BINDINGS = [
        Binding("[", "shift(-1)", "Day", key_display="[ ]", tooltip="the previous day"),
        Binding("]", "shift(1)", "Next day", show=False, tooltip="the next day"),
        Binding("g", "go_to", "Go to", tooltip=(
            "go to a date: 2026-03-02, 03/02, today, yesterday or -3 (days ago)")),
        Binding("enter", "open_session", "Open",
                tooltip="open the selected session"),
        Binding("c", "review", "Close", tooltip="review and close the selected open session"),
        Binding("w", "next_warning", "Check",
                tooltip="jump to the next session with a check and show its checks"),
        Binding("h", "history", "History",
                tooltip="the patient's history: sessions, year-to-date amount, KX"),
        Binding("y", "chart_note", "Chart note",
                tooltip="chart note of the selected session, to copy"),
        Binding("x", "export", "Export", tooltip="export claim lines (CSV) for a date range"),
        Binding("escape", "back", "Back", tooltip="back to today"),
    ]

    def __init__(self, day: date) -> None:
        super().__init__()
        self.day = day
        self.summary: DaySummary | None = None
        self.items: list[SessionDay] = []
        """The day's sessions as listed: the open ones first."""

    def compose(self) -> ComposeResult:
        yield Static(id="day-title", markup=False)
        yield PlainTable(id="day-sessions", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="day-notes"):
            yield Static(id="day-details", markup=False)
        yield NoticeBar()
        yield KeysFooter()

    def reload(self) -> None:
        app = self.tabletime
        app.forget("checks")  # what `w` showed may no longer hold
        summary = self.summary = day_view(app.repo, self.day, app.clock())
        self.items = sorted(summary.sessions, key=lambda item: not item.session.is_open)
        table = self.table
        row, kept = table.cursor_row, (self.selected_key() if table.row_count else None)
        columns = [(key, label) for key, label in self.COLUMNS
                   if self.size.width >= WIDE or key not in self.WIDE_ONLY]
        table.clear(columns=[key.value for key in table.columns] != [k for k, _ in columns])
        if not table.columns:
            for key, label in columns:
                table.add_column(label, key=key)
        narrow = self.size.width < WIDE
        for item in self.items:
            cells = dict(zip([key for key, _ in self.COLUMNS],
                             self._cells(item, narrow), strict=True))
            shown = [cells[key] for key, _ in columns]
            table.add_row(*shown, key=str(item.session.id), height=height(shown))
        ids = [str(item.session.id) for item in self.items]
        if kept in ids:  # the same session, wherever it moved (a close lists it lower)
            table.move_cursor(row=ids.index(kept))
        elif ids:
            table.move_cursor(row=min(max(row, 0), len(ids) - 1))
        day = f"{self.day:%a %d %b %Y}" if self.size.width >= WIDE else f"{self.day:%d %b}"
        title = (f"{day} · {plural(len(summary.sessions), 'session')} · "
                 f"{summary.timed_minutes} timed min · "
                 f"{units_words(summary.units, summary.timed_units)} · "
                 f"{dollars(summary.amount)} · {plural(len(summary.checks), 'check')}")
        self.query_one("#day-title", Static).update(title)
        self.query_one("#day-details", Static).update(self._details(summary))

    def _cells(self, item: SessionDay, narrow: bool) -> list[object]:
        """Every column's cell, in COLUMNS' order; open sessions stand out; each claim line
        a line of the units cell, and when narrow long references and payers wrapped."""
        assert self.summary is not None
        s = item.session
        units = "\n".join(units_lines(self.summary.units_text(item)))
        return [wrapped(s.patient, NARROW_PATIENT) if narrow else s.patient,
                Text("OPEN", style="bold reverse") if s.is_open else Text("closed"),
                Text(str(len(item.checks)), style="bold") if item.checks else Text(""),
                str(item.billing.total_timed_minutes), units,
                "" if item.units is None else dollars(item.amount),
                wrapped(s.payer.name, NARROW_PAYER) if narrow else s.payer.name,
                s.payer.method.value, str(item.billing.total_treatment_minutes)]

    @staticmethod
    def _details(summary: DaySummary) -> str:
        lines = [productivity_words(summary.productivity),
                 "Per code:" if summary.code_totals else "Per code: none",
                 *(f"  {t.code} {t.minutes} min x{t.units} {dollars(t.amount)}"
                   for t in summary.code_totals)]
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

    def on_resize(self) -> None:
        super().on_resize()
        if self.summary is not None:
            self.reload()  # the columns and the title follow the width

    def tick(self) -> None:
        """Nothing here changes with the clock alone that is worth a redraw each second."""

    def selected_key(self) -> str | None:
        return self.table.coordinate_to_cell_key(self.table.cursor_coordinate).row_key.value

    def selected(self) -> UUID | None:
        if self.summary is None or not self.summary.sessions:
            self.tabletime.tell("No session on this day.", "warning")
            return None
        key = self.selected_key()
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
        flagged = [i for i, item in enumerate(self.items) if item.checks]
        if not flagged:
            self.tabletime.tell("No session on this day has a check.")
            return
        after = [i for i in flagged if i > self.table.cursor_row]
        self.table.move_cursor(row=(after or flagged)[0])
        item = self.items[self.table.cursor_row]
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
        ], submit, save="Export")
        self.app.push_screen(dialog)

    def action_back(self) -> None:
        self.dismiss()

