"""Today's sessions, and any still open from an earlier day, with live timers and units."""

from __future__ import annotations

from uuid import UUID

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header

from core.day import session_billing
from core.models import Discipline
from core.review import forgotten_timers
from core.session import Session
from core.text import plural
from tui.dialogs.form import FormDialog, FormField
from tui.format import clock, local_time
from tui.screens.live import LiveTableScreen
from tui.widgets.plain_table import PlainTable


class TodayScreen(LiveTableScreen):
    TABLE_ID = "sessions"
    COLUMNS = (("patient", "Patient"), ("payer", "Payer"), ("opened", "Opened"),
               ("status", "Status"), ("running", "Running"), ("timed", "Timed min"),
               ("units", "Units"))
    BINDINGS = [
        Binding("n", "new_session", "New session"),
        Binding("enter", "open_session", "Open", priority=True),
        Binding("d", "day_summary", "Day summary"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[Session] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield PlainTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def reload(self) -> None:
        repo = self.tabletime.repo
        today = repo.local(self.tabletime.clock()).date()
        listed = {s.id: s for s in repo.queries.sessions_on(today)}
        for session in repo.queries.open_sessions():
            listed.setdefault(session.id, session)
        self.sessions = sorted(listed.values(), key=lambda s: s.opened_at)
        table = self.table
        row = table.cursor_row
        table.sync([(str(session.id), self._cells(session)) for session in self.sessions])
        if self.sessions:
            table.move_cursor(row=min(max(row, 0), len(self.sessions) - 1))
        self.sub_title = f"Today {today:%a %d %b %Y}  |  {plural(len(self.sessions), 'session')}"

    def _cells(self, session: Session) -> list[str]:
        repo = self.tabletime.repo
        now = self.tabletime.clock()
        segments = repo.queries.segments_of(session.id)
        billing = session_billing(session, segments, now, repo.catalog)
        running = [s for s in segments if s.running]
        forgotten = forgotten_timers(running, now, repo.settings.forgotten_timer_minutes)
        today = repo.local(now).date()
        opened = local_time(session.opened_at, repo.zone)
        if session.date_of_service != today:
            opened = f"{session.date_of_service:%d %b} {opened}"
        status = "closed" if not session.is_open else ("running" if running else "open")
        timers = "  ".join(f"{s.code} {clock(s.duration(now))}" for s in running)
        if forgotten:
            timers = "! " + timers
        return [session.patient, session.payer.name, opened, status, timers,
                str(billing.total_timed_minutes), str(billing.timed_units)]

    def tick(self) -> None:
        table = self.table
        for session in self.sessions:
            if session.is_open:
                for (key, _), value in zip(self.COLUMNS, self._cells(session), strict=True):
                    table.update_cell(str(session.id), key, value)

    def selected(self) -> UUID | None:
        table = self.table
        if not self.sessions:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return UUID(key) if key else None

    @on(DataTable.RowSelected)  # a click on a row
    def action_open_session(self) -> None:
        session_id = self.selected()
        if session_id is None:
            self.tabletime.tell("No session yet: press n to start one.", "warning")
            return
        self.tabletime.open_session(session_id)

    def action_day_summary(self) -> None:
        self.tabletime.open_day_summary()

    def action_new_session(self) -> None:
        repo = self.tabletime.repo
        created: list[Session] = []

        def submit(values: dict[str, str]) -> str | None:
            session = self.tabletime.attempt(
                lambda: repo.commands.create_session(values["patient"], values["payer"],
                                            Discipline(values["discipline"])), quiet=True)
            if session is None:
                return self.tabletime.last_error
            created.append(session)
            return None

        def done(saved: bool | None) -> None:
            self.reload()
            if saved and created:
                self.tabletime.open_session(created[0].id)

        payers = [(f"{p.name} ({p.method.value})", p.name) for p in repo.settings.payers]
        disciplines = [(d.value, d.value) for d in Discipline]
        self.app.push_screen(FormDialog("New session", [
            FormField("patient", "Patient reference (chart number or initials, not a name)",
                      placeholder="AB1234", suggestions=repo.queries.patients()),
            FormField("payer", "Payer profile", payers[0][1], options=payers),
            FormField("discipline", "Discipline", repo.settings.discipline.value,
                      options=disciplines),
        ], submit), done)
