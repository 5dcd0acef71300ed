"""Group therapy where the room is (g on Today, and the palette): start a group for two or
more patients; while it runs, one small menu: add a late patient (a), let one leave (l), stop
it for all (s), close the group's sessions (c) from one review that lists each patient's
lines and closes them all with enter.

Each function takes the app and pushes what it needs, so that Today's `g` and the command
palette do the same thing: `group_menu`, `start_group`, `add_to_group`, `leave_group`,
`stop_group`, `close_group`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, OptionList, Static
from textual.widgets.option_list import Option

from core.billing.modifiers import billed_text, units_words
from core.billing.recorded import bill_recorded
from core.billing.session import SessionBill
from core.formats.money import dollars
from core.place import OFFICE_VISIT, Place
from core.session import Session
from core.text import plural, split_references
from storage.commands.group import Member
from storage.commands.sessions import default_place
from storage.errors import StorageError
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.details import place_changed, place_fields, typed_place
from tui.dialogs.form import FieldError, FormDialog, FormField
from tui.format import local_time
from tui.keys import HELP_IN_A_DIALOG
from tui.screens.base import TabletimeScreen
from tui.screens.review import bill_rows
from tui.widgets.footer import KeysFooter
from tui.widgets.notices import NoticeBar
from tui.widgets.plain_table import PlainTable

if TYPE_CHECKING:
    from tui.app import TabletimeApp

NAMED = 8
"""Patients named in a question or a title; beyond that, a count (it fits 80 x 24)."""


def quoted(patient: str) -> str:
    """A reference as it is typed in a list: quoted when it holds a comma (`"DOE, J"`)."""
    return f'"{patient}"' if "," in patient else patient


def named(patients: Sequence[str]) -> str:
    """`AB12, CD34 and 3 more`: a list that fits a line of a dialog (references `quoted`
    by the caller)."""
    shown = ", ".join(patients[:NAMED])
    return shown + (f" and {len(patients) - NAMED} more" if len(patients) > NAMED else "")


def _group_words(app: TabletimeApp, members: Sequence[Member]) -> str:
    """`97150, 3 patients since 10:00`: the running group in a few words."""
    first = min(segment.start for _, segment in members)
    return (f"{members[0][1].code}, {plural(len(members), 'patient')} since "
            f"{local_time(first, app.repo.zone)}")


# ---- g: what the moment needs ---------------------------------------------------------------


def group_menu(app: TabletimeApp) -> None:
    """`g` on Today: the start form when no group runs (and none waits to be closed), else
    the menu of what can be done with the group."""
    commands = app.repo.commands
    members = commands.group_members()
    if members:
        app.push_screen(GroupMenu(
            f"Group {_group_words(app, members)}: "
            f"{named([quoted(session.patient) for session, _ in members])}", running=True),
            lambda chosen: _chosen(app, chosen))
        return
    waiting = commands.group_sessions()
    if waiting:
        app.push_screen(GroupMenu(
            f"No group runs. The last group's {plural(len(waiting), 'session')} "
            f"{'is' if len(waiting) == 1 else 'are'} open: "
            f"{named([quoted(s.patient) for s in waiting])}", running=False),
            lambda chosen: _chosen(app, chosen))
        return
    start_group(app)


def _chosen(app: TabletimeApp, chosen: str | None) -> None:
    actions: dict[str, Callable[[TabletimeApp], None]] = {
        "add": add_to_group, "leave": leave_group, "stop": stop_group, "close": close_group,
        "new": start_group}
    if chosen in actions:
        actions[chosen](app)


class GroupMenu(ModalScreen[str | None]):
    """What to do with the group, one letter each; escape does nothing."""

    BINDINGS = [
        Binding("a", "choose('add')", "Add a patient", show=False),
        Binding("l", "choose('leave')", "Let one leave", show=False),
        Binding("s", "choose('stop')", "Stop for all", show=False),
        Binding("c", "choose('close')", "Close the sessions", show=False),
        Binding("n", "choose('new')", "New group", show=False),
        Binding("escape", "choose('')", "Cancel", show=False),
        HELP_IN_A_DIALOG,
    ]
    RUNNING = (("add", "a", "Add a patient who came late"),
               ("leave", "l", "Let one leave early (the others keep running)"),
               ("stop", "s", "Stop the group for all"),
               ("close", "c", "Close the group's sessions (one review, enter closes all)"))
    STOPPED = (("close", "c", "Close the group's sessions (one review, enter closes all)"),
               ("new", "n", "Start a new group"))
    DEFAULT_CSS = """
    GroupMenu .choices { height: auto; }
    GroupMenu .choices Button { width: 100%; margin: 0; content-align: left middle;
                                text-align: left; }
    GroupMenu #cancel { width: 100%; margin: 1 0 0 0; content-align: left middle;
                        text-align: left; }
    """

    def __init__(self, title: str, *, running: bool) -> None:
        super().__init__()
        self.title_text = title
        self.choices = self.RUNNING if running else self.STOPPED

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title", markup=False)
            with Vertical(classes="choices"):
                for name, key, words in self.choices:
                    yield Button(f"{key}  {words}", id=f"choice-{name}", compact=True,
                                 variant="primary" if name == self.choices[0][0] else "default")
            yield Button("esc  Cancel", id="cancel", compact=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Only the letters of the choices shown (n is no choice while the group runs)."""
        if action == "choose" and parameters and parameters[0]:
            return any(name == parameters[0] for name, _, _ in self.choices)
        return True

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss((event.button.id or "").removeprefix("choice-").replace("cancel", "")
                     or None)

    def action_choose(self, name: str) -> None:
        self.dismiss(name or None)


# ---- start, add, leave, stop ------------------------------------------------------------------


def start_group(app: TabletimeApp) -> None:
    """The form: the patients in one field, the group code, the payer of a new patient, the
    group's place and mode (every member's); patients never seen before are listed with their
    payer and confirmed first."""
    repo = app.repo
    dialog: FormDialog

    def start(patients: list[str], values: dict[str, str], place: Place) -> str | None:
        """None once the group runs, else why not."""
        try:
            started = app.save(lambda: repo.commands.start_group(
                patients, values["code"], new_payer=values["payer"], place=place))
        except StorageError as error:
            return str(error)
        where = "" if place == OFFICE_VISIT else f", {place.words()}"
        app.tell(f"Group {values['code']} started for {plural(len(started), 'patient')}{where} "
                 "(g: add, let one leave, stop, close)")
        return None

    def submit(values: dict[str, str]) -> str | None:
        place = typed_place(values)
        if isinstance(place, FieldError):
            return place
        try:
            patients = split_references(values["patients"])
            newcomers = app.save(lambda: repo.commands.group_newcomers(patients,
                                                                        values["payer"]))
        except (ValueError, StorageError) as error:
            return FieldError("patients", str(error))
        try:
            repo.commands.check_group_place(patients, place)
        except StorageError as error:  # before any question: the place is what to change
            return FieldError("pos", str(error))
        if not newcomers:
            refused = start(patients, values, place)
            return None if refused is None else FieldError("patients", refused)

        def answered(yes: bool | None) -> None:
            refused = start(patients, values, place) if yes else None
            if yes and refused is None:
                dialog.dismiss(True)
            elif refused is not None:
                dialog.query_one("#error", Label).update(f"! {refused}")

        listed = named([f"{quoted(name)} ({payer})" for name, payer in newcomers.items()])
        app.push_screen(ConfirmDialog(
            f"New sessions on the payer chosen here (never seen, or their last payer is no "
            f"longer in the settings): {listed}. Start the group with "
            f"{plural(len(patients), 'patient')}?", yes="Start"), answered)
        return FieldError("patients", "new patients: check their references and payer")

    codes = [(f"{e.code} {e.short}", e.code) for e in repo.catalog if e.group]
    payers = [(f"{p.name} ({p.method.value})", p.name) for p in repo.settings.payers]
    dialog = FormDialog("Group therapy: two or more patients at once", [
        FormField("patients", 'Patient references, comma-separated ("DOE, J" quoted)',
                  placeholder="AB1234, CD5678, EF9012"),
        FormField("code", "Group code", options=codes),
        FormField("payer", "Payer of a patient seen for the first time", payers[0][1],
                  options=payers),
        *place_fields(default_place(repo.settings)),
    ], submit, place_changed, save="Start")
    app.push_screen(dialog)


def _no_group(app: TabletimeApp) -> list[Member]:
    """The running group's members; said when there is none."""
    members = app.repo.commands.group_members()
    if not members:
        app.tell("No group is running: g starts one.", "warning")
    return members


def add_to_group(app: TabletimeApp) -> None:
    """A late patient into the running group: their reference (today's session, else a new
    one on their last payer, else on the payer chosen here, confirmed first)."""
    repo = app.repo
    members = _no_group(app)
    if not members:
        return
    dialog: FormDialog

    def join(values: dict[str, str]) -> str | None:
        """None once the patient is in the group, else why not."""
        try:
            app.save(lambda: repo.commands.join_group(values["patient"],
                                                      new_payer=values["payer"]))
        except StorageError as error:
            return str(error)
        now = repo.commands.group_members()
        app.tell(f"{values['patient'].strip()} joined group {now[0][1].code}: "
                 f"{plural(len(now), 'patient')} (g, l lets one leave)")
        return None

    def submit(values: dict[str, str]) -> str | None:
        try:
            payer = app.save(lambda: repo.commands.join_group_newcomer(values["patient"],
                                                                       values["payer"]))
        except StorageError as error:
            return FieldError("patient", str(error))
        if payer is None:
            refused = join(values)
            return None if refused is None else FieldError("patient", refused)

        def answered(yes: bool | None) -> None:
            refused = join(values) if yes else None
            if yes and refused is None:
                dialog.dismiss(True)
            elif refused is not None:
                dialog.query_one("#error", Label).update(f"! {refused}")

        app.push_screen(ConfirmDialog(
            f"{values['patient'].strip()} gets a new session on {payer} (never seen, or their "
            "last payer is no longer in the settings). Add them to the group?", yes="Add"),
            answered)
        return FieldError("patient", "a new patient: check the reference and the payer")

    payers = [(f"{p.name} ({p.method.value})", p.name) for p in repo.settings.payers]
    dialog = FormDialog(f"Add a patient to the group ({_group_words(app, members)})", [
        FormField("patient", "Patient reference (chart number or initials, not a name)",
                  placeholder="GH7890", suggestions=repo.queries.patients()),
        FormField("payer", "Payer, if the patient is seen for the first time", payers[0][1],
                  options=payers),
    ], submit, save="Add")
    app.push_screen(dialog)


def leave_group(app: TabletimeApp) -> None:
    """One patient leaves the running group early: picked among its members."""
    members = _no_group(app)
    if not members:
        return
    if len(members) <= 2:
        app.tell(f"Only {named([quoted(s.patient) for s, _ in members])} are in the group: a "
                 "group is two or more patients, so stop it for both instead (g, s).", "warning")
        return

    def picked(session_id: UUID | None) -> None:
        if session_id is None:
            return
        stopped = app.attempt(lambda: app.repo.commands.leave_group(session_id))
        if stopped:
            patient = app.repo.queries.session(session_id).patient
            app.tell(f"{patient} left the group at {local_time(stopped[0].end, app.repo.zone)};"
                     f" {plural(len(members) - 1, 'patient')} keep going")

    app.push_screen(LeavePicker(app, members), picked)


class LeavePicker(ModalScreen[UUID | None]):
    """Who leaves the group: up/down and enter (or a click); escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False), HELP_IN_A_DIALOG]
    DEFAULT_CSS = """
    LeavePicker OptionList { height: auto; max-height: 12; }
    LeavePicker #cancel { width: 100%; margin: 1 0 0 0; content-align: left middle;
                          text-align: left; }
    """

    def __init__(self, app: TabletimeApp, members: Sequence[Member]) -> None:
        super().__init__()
        zone = app.repo.zone
        self.options = [Option(Text(f"{session.patient}  ({session.payer.name}, in since "
                                    f"{local_time(segment.start, zone)})"), id=str(session.id))
                        for session, segment in members]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Who leaves the group? The others keep running. (enter picks)",
                        classes="dialog-title", markup=False)
            yield OptionList(*self.options, id="members", compact=True)
            yield Button("esc  Cancel", id="cancel", compact=True)

    @on(OptionList.OptionSelected)
    def selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(UUID(event.option.id) if event.option.id else None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def stop_group(app: TabletimeApp) -> None:
    """The running group stopped for everyone at one instant."""
    if not _no_group(app):
        return
    stopped = app.attempt(app.repo.commands.stop_group)
    if stopped:
        app.tell(f"Group {stopped[0].code} stopped for {plural(len(stopped), 'patient')} "
                 "(g, c closes their sessions)")


def close_group(app: TabletimeApp) -> None:
    """The review of the group's open sessions (the running group's, else the last
    group's): every patient's lines, and enter closes them all."""
    sessions = app.repo.commands.group_sessions()
    if not sessions:
        app.tell("No open session of a group to close.", "warning")
        return
    app.push_screen(GroupReviewScreen([s.id for s in sessions]))


# ---- the group review -----------------------------------------------------------------------


class GroupReviewScreen(TabletimeScreen[bool]):
    """One review for the sessions of a group: per patient, their codes' minutes, units,
    modifiers and estimate (all their codes: one-on-one time before or after the group
    too), what runs and the warnings; enter closes them all (what runs stops then).
    Dismissed with True once every one is closed."""

    BINDINGS = [
        Binding("enter", "confirm", "Close all",
                tooltip="close every session of the group with these units"),
        Binding("escape", "back", "Back", tooltip="back, closing nothing"),
    ]
    DEFAULT_CSS = """
    #group-title { height: 2; padding: 0 1; background: $panel; text-style: bold; }
    #group-lines { height: auto; max-height: 1fr; }
    #group-notes { height: 1fr; min-height: 4; padding: 0 1; }
    """
    COLUMNS = (("patient", "Patient"), ("code", "Code"), ("minutes", "Min"),
               ("units", "Units"), ("modifiers", "Modifiers"), ("amount", "Est. amount"))

    def __init__(self, session_ids: Sequence[UUID]) -> None:
        super().__init__()
        self.session_ids = list(session_ids)

    def compose(self) -> ComposeResult:
        yield Static(id="group-title", markup=False)
        yield PlainTable(id="group-lines", cursor_type="none")
        with VerticalScroll(id="group-notes"):
            yield Static(id="group-why", markup=False)
        yield NoticeBar()
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#group-lines", DataTable)
        for key, label in self.COLUMNS:
            table.add_column(label, key=key)
        self.show()
        self.set_focus(self.query_one("#group-notes"))

    def open_sessions(self) -> list[Session]:
        """The group's sessions still open, in the group's order."""
        queries = self.tabletime.repo.queries
        return [s for s in (queries.session(i) for i in self.session_ids) if s.is_open]

    def bill(self, session: Session, now: datetime) -> SessionBill:
        repo = self.tabletime.repo
        return bill_recorded(session, repo.queries.segments_of(session.id), now, repo.catalog,
                             forgotten_minutes=repo.settings.forgotten_timer_minutes)

    def show(self) -> None:
        now = self.tabletime.clock()
        sessions = self.open_sessions()
        bills = [(session, self.bill(session, now)) for session in sessions]
        table = self.query_one("#group-lines", PlainTable)
        table.clear()
        for session, bill in bills:
            for index, row in enumerate(bill_rows(bill)):
                table.add_row(session.patient if index == 0 else "", *row)
        total = sum((b.fees.total for _, b in bills if b.fees), start=Decimal(0))
        running = any(b.running for _, b in bills)
        at = local_time(now, self.tabletime.repo.zone)
        self.query_one("#group-title", Static).update(
            f"Close the group: {plural(len(sessions), 'session')} · estimate "
            f"{dollars(total)}\n"
            + (f"enter closes all {len(sessions)}" if sessions else "nothing left to close")
            + (f"; what runs stops at {at}" if running else "") + " · esc back")
        notes: list[str] = []
        for session, bill in bills:
            notes += _patient_notes(session, bill, at)
        self.query_one("#group-why", Static).update("\n".join(notes))

    def action_confirm(self) -> None:
        """Enter closes them all; what still runs is stopped now, which is asked first (the
        review may have sat open while the minutes went on)."""
        app = self.tabletime
        sessions = self.open_sessions()
        if not sessions:
            self.dismiss(True)
            return
        now = app.clock()
        running = sorted({code for session in sessions
                          for code in self.bill(session, now).running})
        if not running:
            self.close_all(sessions)
            return
        self.show()  # the minutes as they are now
        at = local_time(now, app.repo.zone)
        app.push_screen(ConfirmDialog(
            f"{', '.join(running)} still running: stop at {at} and close all "
            f"{plural(len(sessions), 'session')}?", yes="Stop and close"),
            lambda yes: self.close_all(sessions) if yes else None)

    def close_all(self, sessions: Sequence[Session]) -> None:
        app = self.tabletime
        try:
            done = app.save(lambda: app.repo.commands.close_group([s.id for s in sessions]))
        except StorageError as error:
            app.tell(f"Nothing closed: {error}", "error")
            self.show()
            return
        if done.closed:
            now = app.clock()
            said = "; ".join(f"{s.patient} {_stored(app, s, now)}" for s in done.closed)
            app.last_session = done.closed[-1].id
            app.tell(f"Closed {plural(len(done.closed), 'session')} of the group: {said}")
        if done.refused:
            app.tell("Not closed: " + "; ".join(f"{s.patient} ({why})"
                                                for s, why in done.refused)
                     + (" (the others are closed)" if done.closed else ""), "error")
            self.show()
            return
        self.dismiss(True)

    def action_back(self) -> None:
        self.dismiss(False)


def _patient_notes(session: Session, bill: SessionBill, at: str) -> list[str]:
    """One patient in words: what is billed, the minutes, then what runs and the warnings."""
    billing = bill.billing
    units = units_words(sum(c.units for c in bill.claim), billing.timed_units)
    notes = [f"{session.patient} ({session.payer.name}, {session.discipline}): "
             f"{billed_text(bill.claim, bill.not_billed)} · {units} · treatment "
             f"{billing.total_treatment_minutes} min, timed {billing.total_timed_minutes} min"]
    notes += [f"  ! {code} is still running: closing stops it at {at}"
              for code in bill.running]
    notes += [f"  ! {warning}" for warning in bill.warnings]
    return notes


def _stored(app: TabletimeApp, closed: Session, now: datetime) -> str:
    """What a closed session bills, as stored at its close."""
    bill = bill_recorded(closed, (), now, app.repo.catalog)
    return billed_text(bill.claim, bill.not_billed)
