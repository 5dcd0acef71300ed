"""A patient's sessions over time, with the calendar-year Medicare amount against KX.

Read from the patient index in a worker (the timers keep ticking), through a read-only second
look at the data folder that shares nothing with the app's store; the table is filled thirty
rows at a time, so that the first are drawn at once and no key waits for the rest.
"""

from __future__ import annotations

from functools import partial
from threading import Event
from uuid import UUID

from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from core.billing.modifiers import KX_THRESHOLDS, TherapyBucket
from core.care.history import HistoryEntry
from core.formats.money import dollars
from core.text import parse_amount, plural
from storage.errors import StorageError
from storage.views import patient_history_view
from tui.dialogs.form import FormDialog, FormField
from tui.screens.base import TabletimeScreen
from tui.widgets.footer import KeysFooter
from tui.widgets.notices import NoticeBar
from tui.widgets.plain_table import PlainTable

ROWS_AT_ONCE = 30
"""Rows added to the table at once: a screenful (each cell is measured as it is added, which
makes a thousand rows at once a long freeze)."""
BETWEEN = 1 / 60
"""Seconds between two additions: a frame's time, for the rows in to be drawn and keys read
(the next rows wait on a timer, not on the refresh: that would add them all in one go)."""
DRAWN_WITHIN = 1.0
"""Seconds the worker waits for the first rows to be drawn (a screen closed at once never
draws them)."""


class PatientHistoryScreen(TabletimeScreen[None]):
    BINDINGS = [
        Binding("y", "chart_note", "Chart note",
                tooltip="chart note of the selected session, to copy"),
        Binding("m", "used_elsewhere", "Used elsewhere", tooltip=(
            "record the Medicare amount the patient used at other providers this year")),
        Binding("escape", "dismiss", "Back", tooltip="back to the day summary"),
    ]

    def __init__(self, patient: str) -> None:
        super().__init__()
        self.patient = patient
        self.ids: list[UUID] = []
        self._rows: list[Row] = []
        """The rows formatted so far (the first screenful, then all): the table is filled
        from them."""
        self._filling = 0
        """Which reading the table is being filled from (a newer one stops an older fill)."""
        self._drawn: Event | None = None
        """Set once the latest reading's first rows are drawn (or the screen is closed)."""
        self._settled = False
        """Every row in and the newest selected: until then the cursor is not the row `y`
        means (the oldest rows come first)."""
        self._note_asked = False
        """`y` pressed before the rows settled: the note is shown once they have."""

    def compose(self) -> ComposeResult:
        table = PlainTable(id="history", cursor_type="row", zebra_stripes=True)
        table.add_columns("Date", "Disc", "KX", "Est.", "Medicare this year", "Timed",
                          "Units", "Payer")
        self.load()  # the read starts now, not after the screen is mounted
        yield Static(f"Patient {self.patient}: reading the history...", id="history-title",
                     markup=False)
        yield table
        yield Static(id="history-notes", markup=False)
        yield NoticeBar()
        yield KeysFooter()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        """Read, then format a screenful and show it; format the rest once it is drawn (a
        thousand rows take as long to format as the first frame takes to draw)."""
        with self.tabletime.reader() as repo:
            entries = patient_history_view(repo, self.patient)
        first = [_cells(entry) for entry in entries[:ROWS_AT_ONCE]]
        self._drawn = drawn = Event()
        filling = self.app.call_from_thread(self.show, entries, first, drawn)
        drawn.wait(DRAWN_WITHIN)  # formatting meanwhile would hold the interpreter it needs
        if get_current_worker().is_cancelled or self._closed_meanwhile():
            return  # the screen was closed (its unmount cancels the worker a moment later)
        if len(entries) > len(first):
            rows = first + [_cells(entry) for entry in entries[len(first):]]
            self.app.call_from_thread(self.show_rest, rows, filling)

    def show(self, entries: list[HistoryEntry], first: list[Row], drawn: Event) -> int:
        """The title, the notes and the first rows, `drawn` set once they are; which filling
        this is (`show_rest` adds the others to it)."""
        if self._closed_meanwhile():
            drawn.set()
            return self._filling
        table = self.query_one(DataTable)
        if table.row_count:
            table.clear()
        self.ids = [entry.visit.id for entry in entries]
        self._rows = first
        self._filling += 1
        self._settled = False
        self._widen(first)
        self._fill(self._filling)
        self.call_after_refresh(drawn.set)
        self.query_one("#history-title", Static).update(
            f"{self.patient} · {plural(len(entries), 'session')} · estimates; KX counts PT "
            "and SLP together, OT alone")
        latest = {}
        for entry in entries:
            if entry.messages:
                latest[(entry.day.year, entry.bucket)] = entry.messages
        notes = [f"! {m}" for messages in latest.values() for m in messages]
        self.query_one("#history-notes", Static).update("\n".join(notes) or "No threshold "
                                                        "warnings.")
        return self._filling

    def show_rest(self, rows: list[Row], filling: int) -> None:
        """Every row of the filling: added after those in (all of `show`'s), a few a frame."""
        if filling != self._filling or self._closed_meanwhile():
            return  # read again meanwhile, or closed
        self._rows = rows
        self._widen(rows)
        self._fill(filling)

    def _closed_meanwhile(self) -> bool:
        """Whether the screen was closed while the worker read (its widgets are gone; the
        worker is cancelled when the screen unmounts, a moment later)."""
        return self not in self.app.screen_stack

    def on_unmount(self) -> None:
        if self._drawn is not None:
            self._drawn.set()  # a worker waiting for the first rows stops waiting

    def _widen(self, rows: list[Row]) -> None:
        """Columns as wide as `rows` need, before they are added (a column that widens while
        rows come in would draw the whole table again at each)."""
        self.query_one(PlainTable).widen(
            [max(map(cell_len, map(str, cells))) for cells in zip(*rows, strict=True)])

    def _fill(self, filling: int) -> None:
        """The next rows, then more a frame later; the newest selected once all are in."""
        if filling != self._filling:
            return  # read again meanwhile
        table = self.query_one(DataTable)
        start = table.row_count
        for row, cells in enumerate(self._rows[start:start + ROWS_AT_ONCE], start):
            table.add_row(*cells, key=str(self.ids[row]))
        if table.row_count < len(self._rows):
            self.set_timer(BETWEEN, partial(self._fill, filling))
        elif table.row_count == len(self.ids):
            table.move_cursor(row=max(len(self.ids) - 1, 0))
            self._settled = True
            if self._note_asked:
                self._note_asked = False
                self.action_chart_note()

    def action_used_elsewhere(self) -> None:
        """What the patient already used this year at other providers (from the Medicare
        eligibility check): the KX threshold counts every provider's claims."""
        repo = self.tabletime.repo
        year = str(repo.local(self.tabletime.clock()).year)
        buckets = [(f"{b} ({'PT and SLP' if b is TherapyBucket.PT_SLP else 'OT'})", b.value)
                   for b in TherapyBucket]

        def submit(values: dict[str, str]) -> str | None:
            if not values["year"].strip().isdigit():
                return f"{values['year']!r} is not a year: write e.g. {year}"
            wanted = int(values["year"])
            try:
                amount = parse_amount(values["amount"])
            except ValueError as error:
                return str(error)
            try:
                saved = self.tabletime.save(lambda: repo.patients.set_used_elsewhere(
                    self.patient, wanted, TherapyBucket(values["bucket"]), amount,
                    self.tabletime.clock(), values["note"]))
            except StorageError as error:
                return str(error)
            self.tabletime.tell(f"{self.patient}: ${amount:,.2f} used elsewhere in {wanted} "
                                f"({saved.bucket}) recorded; KX counts it")
            return None

        self.app.push_screen(FormDialog(f"{self.patient}: Medicare used at other providers", [
            FormField("year", "Calendar year", year),
            FormField("bucket", "KX bucket", TherapyBucket.PT_SLP.value, options=buckets),
            FormField("amount", "Allowed amount already used, in dollars", placeholder="850.00"),
            FormField("note", "Where it comes from", placeholder="eligibility check"),
        ], submit), self._reload_if)

    def _reload_if(self, saved: bool | None) -> None:
        if saved:
            self.load()

    def action_chart_note(self) -> None:
        """The selected visit's chart note; asked before the rows settle (`h y` typed at
        once), the note of the visit selected once they have, never the oldest's."""
        if not self._settled:
            self._note_asked = True
            return
        if self.ids:
            self.tabletime.show_chart_note(self.ids[self.query_one(DataTable).cursor_row])


Row = tuple[str | Text, ...]


def _cells(entry: HistoryEntry) -> Row:
    """A history row: date, discipline, KX, estimate, the year so far, minutes, units, payer."""
    visit = entry.visit
    # The KX bucket goes without saying (the discipline's, as the title says): with it the
    # row was wider than 80 columns and the Payer column cut.
    ytd = "" if entry.year_to_date is None else (
        f"{dollars(entry.year_to_date)} of ${KX_THRESHOLDS.get(entry.day.year, '?')}")
    estimate = "open" if visit.open else "pooled" if visit.pooled else dollars(visit.amount)
    units = "pooled" if visit.pooled else _number(visit.units)
    return (f"{entry.day:%Y-%m-%d}", visit.discipline.value,
            Text("KX", style="bold reverse") if entry.kx else "", estimate, ytd,
            _number(visit.timed_minutes), units, visit.payer)


def _number(value: int | None) -> str:
    return "" if value is None else str(value)
