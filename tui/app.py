"""The Textual app. `make_app` is the one seam that `tabletime`, the demo and the tests use.

Launch is mostly the time to load modules: what is not needed to draw Today (the other
screens, the dialogs, chart notes, exports, the crash report) is imported where it is used.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar
from uuid import UUID

from rich.text import Text
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen

from core.text import plural
from core.timing import forgotten_timers
from storage.errors import StorageError, disk_problem
from storage.repository import Repository
from tui.keys import SETTINGS_KEY
from tui.palette import TabletimeCommands
from tui.screens.today import TodayScreen
from tui.typeahead import TypeAhead
from tui.widgets.notices import NoticeBar, Notices

if TYPE_CHECKING:
    from core.models import Clock
    from core.settings import Settings

T = TypeVar("T")
FORGOTTEN_CHECK_SECONDS = 15
FOLDER_CHECK_SECONDS = 1


class NotSaved(StorageError):
    """The disk would not take a change (full, read-only): nothing was saved."""


class TabletimeApp(TypeAhead):
    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "Tabletime"
    COMMANDS = App.COMMANDS | {TabletimeCommands}
    BINDINGS = [
        Binding("f1", "help", "Help", id="help", priority=True, tooltip=(
            "every key, this screen's first, on any screen and dialog (f1 again closes)")),
        Binding(SETTINGS_KEY, "settings", "Settings", id="settings", show=False, tooltip=(
            "settings: your name and credentials, favourites 1-9 (evaluation codes too), the "
            "payer offered first, the alert")),
        Binding("ctrl+p", "command_palette", "Palette", show=False, tooltip=(
            "command palette: start any code, open a session, export, change the theme")),
        # A browser may keep f1 (its help) and ctrl+p (print) for itself: these two it leaves
        # alone. Not priority keys: in a text field they are typed as themselves.
        Binding("question_mark", "help", "Help", tooltip=(
            "every key, as f1 (in a browser, where f1 may be the browser's own)")),
        Binding("slash", "command_palette", "Palette", key_display="/", tooltip=(
            "command palette, as ctrl+p (in a browser, where ctrl+p prints the page)")),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit", tooltip=(
            "quit; running timers keep running and are there at next start")),
    ]

    def __init__(self, clock: Clock, repository: Repository, *, banner: str = "") -> None:
        super().__init__()
        self.clock = clock
        self.repo = repository
        self.banner = banner
        self.crash: str | None = None
        """The line shown when an unexpected error stopped the app."""
        self._warned: set[UUID] = set()
        self.notices = Notices()
        self.last_session: UUID | None = None
        """The session just opened, created or brought back: Today's cursor goes to it once."""

    def on_mount(self) -> None:
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        self.push_screen(TodayScreen())
        if self.repo.first_run:
            from tui.dialogs.first_run import first_run_dialog

            self.push_screen(first_run_dialog(self), self._first_run_answered)
        if self.banner:
            self.tell(self.banner, "warning")
        self.report()
        self.check_forgotten()
        self.set_interval(FORGOTTEN_CHECK_SECONDS, self.check_forgotten)
        self._folder_told = False
        self.set_interval(FOLDER_CHECK_SECONDS, self.check_folder)
        # What was loaded to start (Textual, pydantic, the models) lives as long as the app:
        # the collector need not walk it again, so its pauses stay short while a screen fills.
        self.call_after_refresh(gc.freeze)

    def _first_run_answered(self, saved: bool | None) -> None:
        """Skipped (escape): the defaults are written, so that it is not asked again. Not
        answered at all (the app closed, the page reloaded): nothing written, asked again."""
        if not saved:
            refused = self.refusal(lambda: self.use_settings(self.settings))
            if refused is not None:
                self.tell(refused, "warning")

    def tell(self, message: str, severity: SeverityLevel = "information",
             kind: str | None = None) -> None:
        """Say `message` above the footer, in place of the last one of its `kind` (by default
        its severity: six undos show one line). It may hold user text: shown literally."""
        seconds = self.notices.add(kind or severity, message, severity)
        self.show_notices()
        self.set_timer(seconds + 0.1, self.show_notices)

    def forget(self, *kinds: str) -> None:
        """Take back what is no longer true (the checks of a day just changed)."""
        self.notices.drop(*kinds)
        self.show_notices()

    def show_notices(self) -> None:
        for screen in self.screen_stack:
            for bar in screen.query(NoticeBar):
                bar.show()

    def report(self) -> None:
        """Show what the store had to say (a timer stopped elsewhere, a file moved aside...)."""
        for notice in self.repo.pop_notices():  # its own kind: "Group started" after it
            self.tell(notice.message, notice.severity, kind=f"store: {notice.message}")

    @property
    def settings(self) -> Settings:
        """The repository's settings: the one copy."""
        return self.repo.settings

    def save(self, action: Callable[[], T]) -> T:
        """Run a store change; a refusal, or a disk that will not take the write (full,
        read-only: NotSaved), is raised as a StorageError naming why nothing was saved. What
        the store had to say is shown either way."""
        try:
            return action()
        except OSError as error:
            raise NotSaved(f"not saved: {disk_problem(error)}") from None
        finally:
            self.report()

    def attempt(self, action: Callable[[], T]) -> T | None:
        """`save`, with a refusal shown as a message (and None returned): nothing half-done
        is reported as done."""
        try:
            return self.save(action)
        except StorageError as error:
            self.tell(str(error), "error")
            return None

    def refusal(self, action: Callable[[], object]) -> str | None:
        """For a form: None once the change is saved, else why not (the form shows it)."""
        try:
            self.save(action)
        except StorageError as error:
            return str(error)
        return None

    def _handle_exception(self, error: Exception) -> None:
        """An error nobody foresaw. Textual would print a traceback with local variables
        (patient references, notes); instead one line names the crash and where its report
        (without values) is, and the exit status is 1. Recorded minutes are on disk already."""
        from storage.crash import crash_message

        self._return_code = 1
        if self._exception is None:
            self._exception = error  # so that a test run re-raises it
            self._exception_event.set()
            self.crash = crash_message(self.repo.data_dir, error)
            self._exit_renderables.append(Text(self.crash))
        self._close_messages_no_wait()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """After the app's own commands, only Textual's that a therapist needs."""
        for command in super().get_system_commands(screen):
            if command.title in ("Theme", "Quit"):
                yield command

    def use_settings(self, settings: Settings) -> Settings:
        """Save new settings and work with them from now on."""
        self.repo.change_settings(settings)
        return settings

    def watch_theme(self, theme: str) -> None:
        """The theme chosen (ctrl+p, Theme) is kept for the next start."""
        repo: Repository | None = getattr(self, "repo", None)  # None: not started yet
        if repo is None or theme == repo.settings.theme or repo.read_only:
            return
        chosen = repo.settings.model_copy(update={"theme": theme})
        refused = self.refusal(lambda: self.use_settings(chosen))
        if refused is not None:  # an edited settings.toml is kept: say so
            self.tell(f"{refused}; the theme was not saved", "warning")

    def open_session(self, session_id: UUID) -> None:
        from tui.screens.session import SessionScreen

        if isinstance(self.screen, SessionScreen):
            self.screen.dismiss()
        self.last_session = session_id
        self.push_screen(SessionScreen(session_id))

    def start_code(self, code: str) -> None:
        """From the command palette: start any code in the open session on screen."""
        from tui.screens.session import SessionScreen

        if isinstance(self.screen, SessionScreen):
            self.screen.start(code)
        else:
            self.tell("Open a session first (enter on today's list).", "warning")

    @contextmanager
    def reader(self) -> Iterator[Repository]:
        """The data folder opened again, read-only, for a long read in a worker thread: it
        shares nothing with the app's own store, and sees every file whole."""
        with Repository.open(self.repo.data_dir, self.clock, self.settings,
                             read_only=True) as repo:
            yield repo

    @work(thread=True, group="exports")
    def export(self, name: str, produce: Callable[[Repository, TextIO], int], what: str,
               days: tuple[date, date], *, year_to_date: bool, left_out: str = "") -> None:
        """Write an export of `days` into the data folder's exports/ (never over an earlier
        one), in a worker so the timers keep ticking, and say where it went, how many of
        `what` it holds and what it `left_out`. An export that would lack a day it needs
        (a file that could not be read, sessions lost) is not written; the user is told
        why."""
        from storage.exports import require_whole, write_export

        first, last = days

        def whole(repo: Repository, stream: TextIO) -> int:
            rows = produce(repo, stream)
            require_whole(repo, first, last, year_to_date=year_to_date)
            return rows

        try:
            with self.reader() as repo:
                try:
                    path, rows = write_export(repo.data_dir, name,
                                              lambda stream: whole(repo, stream))
                finally:
                    for notice in repo.pop_notices():
                        self.call_from_thread(self.tell, notice.message, notice.severity)
        except (StorageError, OSError) as error:
            problem = disk_problem(error) if isinstance(error, OSError) else str(error)
            self.call_from_thread(self.tell, f"Nothing exported: {problem}", "error")
            return
        self.call_from_thread(self.tell, f"Wrote {plural(rows, what)} to {path}"
                              + (f"; {left_out}" if left_out else ""))
        self.call_from_thread(self.deliver, path)

    def deliver(self, path: Path) -> None:
        """In a browser, a file written into exports/ is also downloaded to the device (the
        data folder is on the server); in a terminal it is where the notice says."""
        if self.is_web:
            self.deliver_text(path, save_filename=path.name, mime_type="text/csv"
                              if path.suffix == ".csv" else "text/plain")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In a browser, no quit key: closing the tab is the way out (nothing is lost)."""
        if action == "quit" and self.is_web:
            return False
        return super().check_action(action, parameters)

    def export_today(self) -> None:
        from storage.reports import write_segments

        today = self.repo.local(self.clock()).date()
        self.export(f"segments-{today}.csv",
                    lambda repo, stream: write_segments(repo, today, today, stream), "segment",
                    (today, today), year_to_date=False)

    def today(self) -> date:
        """The clinic's date now."""
        return self.repo.local(self.clock()).date()

    def open_day_summary(self, day: date | None = None) -> None:
        from tui.screens.day import DaySummaryScreen

        self.push_screen(DaySummaryScreen(day or self.today()))

    def show_chart_note(self, session_id: UUID) -> None:
        """A session's chart note, full screen, copied where a clipboard takes it: the same
        text from the session, Today and the day summary."""
        from core.billing.recorded import bill_recorded
        from core.formats.chart_note import chart_note
        from tui.screens.chart_note import ChartNoteScreen

        session = self.repo.queries.session(session_id)
        segments = self.repo.queries.segments_of(session_id)
        bill = bill_recorded(session, segments, self.clock(), self.repo.catalog)
        note = chart_note(session, segments, bill, self.repo.zone,
                          therapist=self.settings.therapist,
                          credentials=self.settings.credentials,
                          discipline=self.settings.discipline)
        name = f"chart-note-{session.date_of_service}-{str(session.id)[:8]}.txt"
        self.push_screen(ChartNoteScreen(session.patient, note, name, draft=session.is_open))

    def check_folder(self) -> None:
        """The data folder moved away or replaced under the app (what a sync client's restore
        does) is said at once, not at the next key, and once: from then on nothing is written
        and the folder now at the path stays locked until the app quits (two stats)."""
        if self._folder_told:
            return
        try:
            self.repo.verify_folder()
        except StorageError as error:
            self._folder_told = True
            self.tell(str(error), "error")

    def check_forgotten(self) -> None:
        """A code running longer than the limit is pointed out once, with the way to fix it."""
        now = self.clock()
        limit = self.settings.forgotten_timer_minutes
        for segment in forgotten_timers(self.repo.queries.running_segments(), now, limit):
            if segment.id in self._warned:
                continue
            self._warned.add(segment.id)
            patient = self.repo.queries.session(segment.session_id).patient
            minutes = int(segment.duration(now).total_seconds()) // 60
            self.tell(f"{segment.code} on {patient} has run {minutes} min. Forgotten? Open the "
                      "session and press s to stop it at the right time.", "warning")

    def action_settings(self) -> None:
        from tui.screens.settings import settings_dialog

        self.push_screen(settings_dialog(self))

    def action_help(self) -> None:
        """The keys of the screen the user is on first (under a dialog: the screen behind)."""
        from tui.keys import place_of
        from tui.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        here = next((place for screen in reversed(self.screen_stack)
                     if (place := place_of(screen)) is not None), None)
        self.push_screen(HelpScreen(here))


def make_app(clock: Clock, repository: Repository, **options: Any) -> TabletimeApp:
    """The app on an open repository; the caller owns the repository and closes it."""
    return TabletimeApp(clock, repository, **options)
