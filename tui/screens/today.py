"""Today at a glance: the clock and the day's totals, today's sessions and any still open
from an earlier day (marked), live timers and units, and the cursor on the session last used.
The first screen drawn: its dialogs and the group menu are imported when their key is pressed.
"""

from __future__ import annotations

from uuid import UUID

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from core.billing.modifiers import units_words
from core.billing.productivity import title_part
from core.models import Discipline
from core.session import Session, treated_from
from core.text import plural
from core.timing import forgotten_timers
from storage.errors import StorageError
from storage.views import TodayView, today_view
from tui.format import NARROW_PATIENT, NARROW_PAYER, WIDE, elapsed, local_time, wrapped
from tui.keys import unsigned_reminder
from tui.screens.live import LiveTableScreen
from tui.widgets.footer import KeysFooter
from tui.widgets.notices import NoticeBar
from tui.widgets.plain_table import PlainTable


class TodayScreen(LiveTableScreen):
    NARROW_HIDDEN = frozenset({"details", "delete_session"})
    TABLE_ID = "sessions"
    COLUMNS = (("patient", "Patient"), ("payer", "Payer"), ("running", "Now"),
               ("timed", "Min"), ("units", "Units"), ("report", "Report"), ("from", "From"))
    """Now: the running timer, else open or closed (and since when, from an earlier day),
    `· video` or `· audio` for telehealth; Min: timed minutes; From: when treatment began.
    The widest row fits 80 columns."""
    BINDINGS = [
        Binding("n", "new_session", "New", tooltip=(
            "new session: patient reference, payer, discipline and place of service (a known "
            "patient's last payer, discipline and place are filled in; 10 or 02: "
            "telehealth)")),
        Binding("enter", "open_session", "Open",
                tooltip="open the selected session"),
        Binding("d", "day_summary", "Day",
                tooltip="the day summary (with [ / ] for the previous / next day)"),
        Binding("y", "chart_note", "Chart note", tooltip=(
            "the selected session's chart note, full screen and copied (after a close the "
            "cursor is on the session just closed)")),
        Binding("p", "details", "Patient/payer",
                tooltip="correct the selected session's patient reference, payer, discipline "
                "or place of service and telehealth"),
        Binding("delete", "delete_session", "Delete", key_display="del", tooltip=(
            "delete the selected open session opened by mistake (asks first; backspace too)")),
        Binding("backspace", "delete_session", show=False, system=True),
        Binding("u", "undo_delete", "Undo delete",
                tooltip="bring back the session deleted last"),
        Binding("g", "group", "Group", tooltip=(
            "group therapy (97150; 92508 for speech): start it for two or more patients at "
            "once; while it runs: add a patient, let one leave, stop it, close its sessions")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: TodayView | None = None
        self.deleted: list[Session] = []
        """Sessions deleted on this screen, the last one first to come back."""
        self.narrow = False
        """Whether the rows were made for a narrow terminal (below WIDE columns)."""

    @property
    def sessions(self) -> tuple[Session, ...]:
        return () if self.view is None else self.view.sessions

    def compose(self) -> ComposeResult:
        yield Static(id="today-title", markup=False)
        yield PlainTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Static(id="today-clocks", markup=False)
        yield Static("No sessions yet today. Press n to start one (a patient reference, not a "
                     f"name, and the payer), or {'?' if self.app.is_web else 'f1'} for every "
                     "key.", id="today-hint", markup=False)
        yield NoticeBar()
        yield KeysFooter()

    def reload(self) -> None:
        view = self.view = today_view(self.tabletime.repo, self.tabletime.clock())
        self.narrow = self.size.width < WIDE
        table = self.table
        ids = [s.id for s in view.sessions]
        row = table.cursor_row if table.row_count else len(ids) - 1
        kept = self.selected() if table.row_count else None
        table.sync([(str(session.id), self._cells(session)) for session in view.sessions])
        wanted = self._wanted(ids, kept)
        if wanted is not None:
            table.move_cursor(row=ids.index(wanted))
        elif ids:
            table.move_cursor(row=min(max(row, 0), len(ids) - 1))
        self.query_one("#today-hint").display = not ids
        reminder = unsigned_reminder(self.tabletime)
        lines = ([reminder] if reminder else []) + list(view.deadlines)
        deadlines = self.query_one("#today-clocks", Static)
        deadlines.update("\n".join(lines))
        deadlines.display = bool(lines)
        self.show_totals()

    def on_resize(self) -> None:
        """Long references and payer names wrap only when narrow: the rows are made again
        when the width crosses WIDE. (Textual calls the base screen's on_resize too.)"""
        if self.view is not None and self.narrow != (self.size.width < WIDE):
            self.reload()

    def _wanted(self, ids: list[UUID], kept: UUID | None) -> UUID | None:
        """Where the cursor goes: to a session just used (opened, created, brought back),
        else it stays where the user put it; at start, on the running timer's session."""
        last, self.tabletime.last_session = self.tabletime.last_session, None
        if last in ids:
            return last
        if kept in ids:
            return kept
        running = {s.session_id for s in self.tabletime.repo.queries.running_timed()}
        return next((i for i in ids if i in running), None)

    def show_totals(self) -> None:
        """The clock and the day's totals, on one line, in the day summary's words."""
        assert self.view is not None
        now = self.tabletime.repo.local(self.view.now)
        today = [s for s in self.view.sessions if s.date_of_service == self.view.day]
        timed, units, timed_units = self.view.totals()
        when = f"{now:%a %d %b}" if self.narrow else f"Today {now:%a %d %b %Y}"
        title = self.query_one("#today-title", Static)
        head = f"{when} {now:%H:%M} · {plural(len(today), 'session')} · {timed} timed min · "
        figure = title_part(self.view.productivity(), wide=not self.narrow)
        text = f"{head}{units_words(units, timed_units)}{figure}"
        if len(text) > self.size.width - 2:  # a busy day at 80 columns: the
            text = f"{head}{plural(units, 'unit')}{figure}"  # figure keeps its word
        title.update(text)

    def _cells(self, session: Session) -> list[str]:
        assert self.view is not None
        view = self.view
        units = view.units(session)
        return [wrapped(session.patient, NARROW_PATIENT) if self.narrow else session.patient,
                wrapped(session.payer.name, NARROW_PAYER) if self.narrow else session.payer.name,
                self._now(session),
                str(view.billing(session).total_timed_minutes),
                "pooled" if units is None else str(units), self._report(session),
                local_time(treated_from(session, view.segments[session.id]),
                           self.tabletime.repo.zone)]

    def _now(self, session: Session) -> str:
        """The running timer (`! ` when forgotten, `+1` for one more beside it), else open or
        closed, `since 27 Feb` for a session still open from an earlier day, and `· video`
        (or `· audio`) for a telehealth session."""
        assert self.view is not None
        repo, view, now = self.tabletime.repo, self.view, self.view.now
        running = [s for s in view.segments[session.id] if s.running]
        timed = [s for s in running if repo.catalog.is_timed(s.code)]
        shown = (timed or running)[:1]
        text = "  ".join(f"{s.code} {elapsed(s.duration(now))}" for s in shown)
        if len(running) > len(shown):
            text += f" +{len(running) - len(shown)}"
        if forgotten_timers(running, now, repo.settings.forgotten_timer_minutes):
            text = "! " + text
        text = text or ("open" if session.is_open else "closed")
        if session.date_of_service != view.day:
            text += f" since {session.date_of_service:%d %b}"
        if session.telehealth is not None:
            text += f" · {session.telehealth.value}"
        return text

    def _report(self, session: Session) -> str:
        """The progress-report deadline, short: `day 9 of 10`, `due next`, `overdue`,
        `written`."""
        if session.progress_report:
            return "written"
        assert self.view is not None
        report = self.view.reports.get((session.patient, session.discipline))
        return "" if report is None or session.date_of_service != report.day else report.short

    def tick(self) -> None:
        """Only the open sessions' cells change with the clock; only the dates with a running
        timer are billed again."""
        if self.view is None:
            return
        self.view = self.view.at(self.tabletime.clock(), self.tabletime.repo.catalog)
        table = self.table
        for session in self.view.sessions:
            if session.is_open:
                for (key, _), value in zip(self.COLUMNS, self._cells(session), strict=True):
                    table.update_cell(str(session.id), key, value, update_width=True)
        self.show_totals()

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

    def selected_session(self) -> Session | None:
        wanted = self.selected()
        found = next((s for s in self.sessions if s.id == wanted), None)
        if found is None:
            self.tabletime.tell("No session yet: press n to start one.", "warning")
        return found

    def action_chart_note(self) -> None:
        session = self.selected_session()
        if session is not None:
            self.tabletime.show_chart_note(session.id)

    def action_details(self) -> None:
        session = self.selected_session()
        if session is None:
            return
        if not session.is_open:
            self.tabletime.tell(f"The session of {session.patient} is closed: open it and "
                                "press o to reopen it first.", "warning")
            return
        from tui.dialogs.details import session_details_dialog

        self.app.push_screen(session_details_dialog(
            self.tabletime, session, undo="u in the session undoes it"), lambda _: self.reload())

    def action_delete_session(self) -> None:
        session = self.selected_session()
        if session is None:
            return
        if not session.is_open:
            self.tabletime.tell(f"The session of {session.patient} is closed: a closed session "
                                "is not deleted (open it and press o to reopen it first).",
                                "warning")
            return
        from tui.dialogs.confirm import ConfirmDialog

        repo = self.tabletime.repo
        segments = repo.queries.segments_of(session.id)

        def confirmed(yes: bool | None) -> None:
            if yes and self.tabletime.attempt(
                    lambda: repo.commands.delete_session(session.id)) is not None:
                self.deleted.insert(0, session)
                self.tabletime.tell(f"Deleted the session of {session.patient} (u brings it "
                                    "back)")
            self.reload()

        self.app.push_screen(ConfirmDialog(
            f"Delete the session of {session.patient} ({session.payer.name}, "
            f"{plural(len(segments), 'segment')})? u brings it back.", yes="Delete"), confirmed)

    def action_undo_delete(self) -> None:
        if not self.deleted:
            self.tabletime.tell("Nothing to bring back: no session was deleted here.",
                                "warning")
            return
        session = self.deleted[0]
        repo = self.tabletime.repo
        if self.tabletime.attempt(lambda: repo.commands.restore_session(
                session.date_of_service, session.id)) is not None:
            self.deleted.pop(0)
            self.tabletime.last_session = session.id
            self.tabletime.tell(f"The session of {session.patient} is back")
        self.reload()

    def action_group(self) -> None:
        """g: group therapy as the room needs it (tui/screens/group.py): start a group, or,
        while one runs, add a patient, let one leave, stop it, close its sessions."""
        from tui.screens.group import group_menu

        group_menu(self.tabletime)

    def action_new_session(self) -> None:
        from storage.commands.sessions import default_place
        from tui.dialogs.details import place_changed, place_fields, pos_text, typed_place
        from tui.dialogs.form import FieldError, FormDialog, FormField

        repo = self.tabletime.repo
        created: list[Session] = []

        def submit(values: dict[str, str]) -> str | None:
            place = typed_place(values)
            if isinstance(place, FieldError):
                return place
            try:
                session = self.tabletime.save(lambda: repo.commands.create_session(
                    values["patient"], values["payer"], Discipline(values["discipline"]),
                    place))
            except StorageError as error:
                return str(error)
            created.append(session)
            self.tabletime.last_session = session.id
            return None

        def done(saved: bool | None) -> None:
            self.reload()
            if saved and created:
                self.tabletime.open_session(created[0].id)

        payers = [(f"{p.name} ({p.method.value})", p.name) for p in repo.settings.payers]
        disciplines = [(d.value, d.value) for d in Discipline]
        known = {p.name for p in repo.settings.payers}

        def changed(field: str, values: dict[str, str]) -> dict[str, str]:
            """A known patient comes with their last payer, discipline and place (a patient
            seen by video is seen so again, as a rule); a telehealth place suggests video."""
            if field != "patient":
                return place_changed(field, values)
            last = repo.queries.last_visit(values["patient"].strip())
            if last is None or last.payer not in known:
                return {}
            filled = {"payer": last.payer, "discipline": last.discipline.value}
            try:
                place = repo.queries.session(last.id).place  # one day file
            except StorageError:  # the day file unreadable meanwhile: said where it is read
                return filled
            return {**filled, "pos": pos_text(place.pos),
                    "mode": "" if place.telehealth is None else place.telehealth.value}

        self.app.push_screen(FormDialog("New session", [
            FormField("patient", "Patient reference (chart number or initials, not a name)",
                      placeholder="AB1234", suggestions=repo.queries.patients()),
            FormField("payer", "Payer profile", payers[0][1], options=payers),
            FormField("discipline", "Discipline", repo.settings.discipline.value,
                      options=disciplines),
            *place_fields(default_place(repo.settings)),
        ], submit, changed), done)
