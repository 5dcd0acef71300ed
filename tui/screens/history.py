"""A patient's sessions over time, with the calendar-year Medicare amount against KX."""

from __future__ import annotations

from uuid import UUID

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from core.modifiers import KX_THRESHOLDS
from storage.reports import load_history
from tui.format import money
from tui.screens.base import TabletimeScreen
from tui.widgets.plain_table import PlainTable


class PatientHistoryScreen(TabletimeScreen[None]):
    BINDINGS = [
        Binding("y", "chart_note", "Chart note"),
        Binding("escape", "dismiss", "Back"),
    ]

    def __init__(self, patient: str) -> None:
        super().__init__()
        self.patient = patient
        self.ids: list[UUID] = []

    def compose(self) -> ComposeResult:
        yield Static(id="history-title", markup=False)
        yield PlainTable(id="history", cursor_type="row", zebra_stripes=True)
        yield Static(id="history-notes", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Date", "Discipline", "Payer", "Timed min", "Units", "Est.",
                          "Medicare year to date", "KX")
        entries = load_history(self.tabletime.repo, self.patient, self.tabletime.clock())
        self.ids = [entry.session.id for entry in entries]
        for entry in entries:
            s = entry.session
            ytd = "" if entry.year_to_date is None else (
                f"{money(entry.year_to_date)} {entry.bucket} of "
                f"${KX_THRESHOLDS.get(s.date_of_service.year, '?')}")
            table.add_row(f"{s.date_of_service:%Y-%m-%d}", s.discipline.value, s.payer.name,
                          str(entry.billing.total_timed_minutes), str(entry.billing.timed_units),
                          money(entry.amount), ytd,
                          Text("KX", style="bold reverse") if entry.kx else "",
                          key=str(s.id))
        table.move_cursor(row=max(len(entries) - 1, 0))
        self.query_one("#history-title", Static).update(
            f"Patient {self.patient}: {len(entries)} sessions (amounts are estimates; PT and "
            "SLP count together for KX, OT on its own)")
        latest = {}
        for entry in entries:
            if entry.messages:
                latest[(entry.session.date_of_service.year, entry.bucket)] = entry.messages
        notes = [f"! {m}" for messages in latest.values() for m in messages]
        self.query_one("#history-notes", Static).update("\n".join(notes) or "No threshold "
                                                        "warnings.")

    def action_chart_note(self) -> None:
        table = self.query_one(DataTable)
        if self.ids:
            self.tabletime.show_chart_note(self.ids[table.cursor_row])
