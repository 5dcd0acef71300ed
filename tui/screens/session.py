"""One session at the treatment table: favourite codes on 1-9, the segments, live units.

The screen draws a read model (storage.views.SessionLive) in three widgets (the header, the
tiles, the segment table) and turns keys into store changes; a closed session's keys are
refused by `check_action`, and said so when pressed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal

from core.billing.explain import medicare_status_warning
from core.billing.live import code_time, lost_by_stopping
from core.care.deadlines import ReportDeadline
from core.models import Discipline, FurnishedBy
from core.session import Session
from core.text import plural
from storage.commands import Commands
from storage.views import SessionLive, session_deadlines, session_live
from tui.dialogs import segment_forms as forms
from tui.dialogs.details import session_details_dialog
from tui.format import elapsed, local_time
from tui.screens.live import LiveScreen
from tui.widgets.code_tile import CodeTile
from tui.widgets.footer import KeysFooter
from tui.widgets.notices import NoticeBar
from tui.widgets.segment_table import SegmentTable
from tui.widgets.session_header import SessionHeader

CLOSED = ("This session is closed: press o to reopen it (with a reason) to change it.")


class SessionScreen(LiveScreen):
    NARROW_HIDDEN = frozenset({"resume", "segment('note')", "dialog('details')",
                               "progress_report"})
    BINDINGS = [
        Binding("1", "start_slot(1)", "Start", key_display="1-9", tooltip=(
            "start the code in that favourite slot, stopping the running timed code; the key "
            "of an untimed code that is running stops it")),
        *(Binding(str(slot), f"start_slot({slot})", show=False, system=True)
          for slot in range(2, 10)),
        Binding("space", "pause", "Pause", tooltip="stop the running timed code (pause)"),
        Binding("c", "review", "Close", tooltip=(
            "close the session: the review screen with units, why, warnings; enter confirms")),
        Binding("a", "dialog('add')", "Add", tooltip=(
            "add a segment by hand or backdate a start (\"6\" = 6 minutes ago)")),
        Binding("e", "segment('edit')", "Edit", tooltip="edit the selected segment"),
        Binding("u", "undo", "Undo", tooltip="undo the last change"),
        Binding("ctrl+r", "redo", "Redo", show=False,
                tooltip="redo what the last undo took back (until the session changes)"),
        Binding("r", "resume", "Resume", tooltip="resume the last code"),
        Binding("n", "segment('note')", "Note", tooltip="note on the selected segment"),
        Binding("delete", "segment('delete')", "Delete", show=False, key_display="del",
                tooltip="delete the selected segment (asks first; backspace too)"),
        Binding("backspace", "segment('delete')", show=False, system=True),
        Binding("t", "segment('toggle')", "Assistant", show=False,
                tooltip="toggle the selected segment between therapist and assistant"),
        Binding("s", "dialog('stop_at')", "Stop at", show=False,
                tooltip="stop the running timed code at a chosen time (forgotten timer)"),
        Binding("[", "nudge('start', -1)", "Start a minute earlier", show=False,
                tooltip="move the selected segment's start a minute earlier (u undoes)"),
        Binding("]", "nudge('start', 1)", "Start a minute later", show=False,
                tooltip="move the selected segment's start a minute later (u undoes)"),
        Binding("-", "nudge('end', -1)", "End a minute earlier", show=False,
                tooltip="move the selected segment's end a minute earlier (u undoes)"),
        Binding("+", "nudge('end', 1)", "End a minute later", show=False,
                tooltip="move the selected segment's end a minute later (= too; u undoes)"),
        Binding("=", "nudge('end', 1)", show=False, system=True),
        Binding("p", "dialog('details')", "Patient/payer",
                tooltip="correct the patient reference, payer, discipline or place of service"),
        Binding("m", "progress_report", "Progress report", show=False, tooltip=(
            "mark the progress report written at this visit (a therapist's; again unmarks)")),
        Binding("y", "chart_note", "Chart note", tooltip=(
            "the chart note of this session, full screen and copied (open or closed)")),
        Binding("o", "dialog('reopen')", "Reopen",
                tooltip="reopen a closed session (asks for a reason)"),
        Binding("escape", "back", "Today", tooltip="back to today; running timers keep running"),
    ]

    OPEN_ONLY = frozenset({"start_slot", "pause", "review", "segment", "undo", "redo", "resume",
                           "progress_report", "dialog", "nudge"})
    """What a closed session refuses (every dialog but reopen's): its footer shows o."""

    def __init__(self, session_id: UUID) -> None:
        super().__init__()
        self.session_id = session_id
        self.view: SessionLive | None = None
        self._units: tuple[str, int] | None = None
        """What the rule counted and its units when last shown (a unit reached is news)."""
        self.report: ReportDeadline | None = None
        """The patient's progress-report deadline in this discipline on this date."""
        self._deadline_facts: tuple[bool, bool, str, Discipline] | None = None
        self.lit = False
        """A unit's light is on (the header and a tile): the next key puts it out."""

    @property
    def session(self) -> Session:
        assert self.view is not None
        return self.view.session

    @property
    def commands(self) -> Commands:
        return self.tabletime.repo.commands

    def compose(self) -> ComposeResult:
        yield SessionHeader()
        repo = self.tabletime.repo
        with Horizontal(id="tiles"):
            for slot, code in enumerate(repo.settings.favourites, start=1):
                yield CodeTile(slot, repo.catalog.get(code))
        yield SegmentTable(repo.catalog, repo.zone, repo.settings.favourites)
        yield NoticeBar()
        yield KeysFooter(show_command_palette=False)

    async def on_screen_resume(self) -> None:
        """Favourites changed meanwhile (settings): the tiles are made again (LiveScreen's
        own resume then reloads)."""
        repo = self.tabletime.repo
        tiles = self.query_one("#tiles", Horizontal)
        if tuple(t.entry.code for t in tiles.query(CodeTile)) != repo.settings.favourites:
            await tiles.remove_children()
            await tiles.mount_all(CodeTile(slot, repo.catalog.get(code))
                                  for slot, code in enumerate(repo.settings.favourites, start=1))

    # ---- display ----------------------------------------------------------------------------

    def reload(self, select: UUID | None = None) -> None:
        """Read the session again and redraw what changed; keep or move the table's cursor."""
        table = self.query_one(SegmentTable)
        keep = select or table.selected_id()
        was_open = None if self.view is None else self.view.session.is_open
        self.view = session_live(self.tabletime.repo, self.session_id, self.tabletime.clock())
        if self.view.session.is_open != was_open:
            self.refresh_bindings()  # open and closed sessions show different keys
        self._read_deadlines()
        table.show(self.view.segments, keep)
        self.show_live()

    def _read_deadlines(self) -> None:
        """The progress-report deadline, read again only when what it counts here changed (a
        first segment, the mark, the patient or discipline): not at every switch. On opening
        an open session, a deadline that warns (and a low authorization) is told once."""
        assert self.view is not None
        session = self.view.session
        facts = (bool(self.view.segments), session.progress_report, session.patient,
                 session.discipline)
        if facts == self._deadline_facts:
            return
        first = self._deadline_facts is None
        self._deadline_facts = facts
        self.report, warnings = session_deadlines(self.tabletime.repo, session,
                                                  self.view.segments)
        if first and session.is_open:
            for warning in warnings:
                self.tabletime.tell(f"{session.patient}: {warning}", "warning")

    def tick(self) -> None:
        """Elapsed times come from the clock and the stored starts, never from counted ticks;
        what they change is the live line and the running tiles (the table has no clock)."""
        self.view = session_live(self.tabletime.repo, self.session_id, self.tabletime.clock())
        self.show_live()

    def show_live(self) -> None:
        assert self.view is not None
        view, now = self.view, self.tabletime.clock()
        running = list(view.running)
        self.query_one(SessionHeader).show(view, now, self.report)
        for tile in self.query(CodeTile):
            code = tile.entry.code
            tile.show(code_time(view.segments, code, now),
                      running=any(s.code == code for s in running),
                      forgotten=code in view.forgotten)
        before, self._units = self._units, (view.next_unit.key, view.next_unit.units)
        announce_unit(self, before)

    # ---- what a closed session refuses ------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A closed session offers o (reopen) and none of the keys that would change it."""
        if self.view is None or action not in self.OPEN_ONLY:
            return True
        reopen = action == "dialog" and parameters == ("reopen",)
        return self.view.session.is_open is not reopen

    def on_key(self, event: events.Key) -> None:
        """Any key puts out a unit's flash (the therapist has seen it); a key a closed
        session refused (its binding is off) says why, at once."""
        if self.lit:
            light(self, False)
        if self.view is None or self.view.session.is_open:
            return
        keys = {b.key for b in self.BINDINGS if isinstance(b, Binding)
                and b.action.split("(")[0] in self.OPEN_ONLY and "reopen" not in b.action}
        if event.key in keys:
            event.stop()
            self.tabletime.tell(CLOSED, "warning")

    # ---- changes ----------------------------------------------------------------------------

    def change(self, action: Callable[[], Any], select: UUID | None = None) -> Any:
        """Run a store change; show a refusal as a message; redraw from what was saved."""
        result = self.tabletime.attempt(action)
        self.reload(select)
        return result

    def start(self, code: str) -> None:
        """Start `code` (from a key, a tile or the palette)."""
        if not self.session.is_open:
            self.tabletime.tell(CLOSED, "warning")
            return
        assert self.view is not None
        before = self.view.running_timed
        segment = self.tabletime.attempt(lambda: self.commands.start(self.session_id, code))
        self.reload(None if segment is None else segment.id)
        if segment is None:
            return
        if before not in (None, segment.code):
            self._say_cost(before)
        entry = self.tabletime.repo.catalog.find(code)
        warning = (medicare_status_warning(entry)
                   if entry is not None and self.session.payer.medicare else None)
        if warning:
            self.tabletime.tell(f"{code} started, but {warning}", "warning")

    def action_start_slot(self, slot: int) -> None:
        """The code of that favourite slot; the key of an untimed code that runs stops it
        (a hot pack, unattended e-stim)."""
        assert self.view is not None
        favourites = self.tabletime.repo.settings.favourites
        if slot > len(favourites):
            return
        code = favourites[slot - 1]
        entry = self.tabletime.repo.catalog.find(code)
        running = next((s for s in self.view.running if s.code == code), None)
        if entry is None or entry.timed or running is None:
            self.start(code)
            return
        stopped = self.change(lambda: self.commands.stop(self.session_id, running.id))
        if stopped:
            self.tabletime.tell(f"Stopped {running.code} after "
                                f"{elapsed(stopped[0].duration(self.tabletime.clock()))}")

    @on(CodeTile.Pressed)
    def tile_pressed(self, event: CodeTile.Pressed) -> None:
        if self.check_action("start_slot", (event.slot,)):
            self.action_start_slot(event.slot)
        else:
            self.tabletime.tell(CLOSED, "warning")

    def _say_cost(self, code: str) -> None:
        """Under a per-code payer a code stopped under 8 minutes bills nothing: say so."""
        assert self.view is not None
        missing = lost_by_stopping(self.session.payer.method, self.view.bill.billing, code)
        if missing is not None:
            self.tabletime.tell(f"{code} stopped under 8 minutes: under this payer's per-code "
                                f"rule it bills no unit ({missing} more min would make one)",
                                "warning")

    def action_pause(self) -> None:
        assert self.view is not None
        before = self.view.running_timed
        stopped = self.change(lambda: self.commands.stop(self.session_id))
        if stopped == []:
            untimed = [s.code for s in self.view.running]
            hint = (f" ({', '.join(untimed)} runs untimed: its key stops it)" if untimed
                    else "")
            self.tabletime.tell(f"No timed code is running{hint}.", "warning")
        elif before is not None:
            self._say_cost(before)

    def action_resume(self) -> None:
        self.change(lambda: self.commands.resume(self.session_id))

    def action_dialog(self, which: str) -> None:
        """A dialog about the session: `add` a segment, `stop_at` a chosen time, `reopen`
        it, correct its `details`."""
        assert self.view is not None
        running = [s for s in self.view.running if self.tabletime.repo.catalog.is_timed(s.code)]
        if which == "stop_at" and not running:
            self.tabletime.tell("No timed code is running.", "warning")
            return
        dialog = {"add": lambda: forms.add(self),
                  "stop_at": lambda: forms.stop_at(self, running[0]),
                  "reopen": lambda: forms.reopen(self),
                  "details": lambda: session_details_dialog(self.tabletime, self.session)}
        self.app.push_screen(dialog[which](), lambda _: self.reload())

    def action_segment(self, what: str) -> None:
        """The selected segment: `edit`, `note`, `delete` (each asks) or `toggle` who
        furnished it."""
        assert self.view is not None
        wanted = self.query_one(SegmentTable).selected_id()
        segment = next((s for s in self.view.segments if s.id == wanted), None)
        if segment is None:
            self.tabletime.tell("Select a segment first (arrow keys).", "warning")
        elif what == "toggle":
            other = (FurnishedBy.THERAPIST if segment.furnished_by is FurnishedBy.ASSISTANT
                     else FurnishedBy.ASSISTANT)
            self.change(lambda: self.commands.edit_segment(
                self.session_id, segment.id, furnished_by=other,
                reason=f"furnished by {other}"), segment.id)
        elif what == "delete":
            self.app.push_screen(forms.delete(self, segment), lambda yes: self.change(
                lambda: self.commands.delete_segment(self.session_id, segment.id))
                if yes else None)
        else:
            form = forms.edit if what == "edit" else forms.note
            self.app.push_screen(form(self, segment), lambda _: self.reload(segment.id))

    def action_nudge(self, end: str, minutes: int) -> None:
        """The selected segment's `start` or `end` a minute earlier or later: the fix for a
        key pressed a little late, checked like any edit (no overlap, not in the future)."""
        assert self.view is not None
        wanted = self.query_one(SegmentTable).selected_id()
        segment = next((s for s in self.view.segments if s.id == wanted), None)
        if segment is None:
            self.tabletime.tell("Select a segment first (arrow keys).", "warning")
            return
        at = segment.start if end == "start" else segment.end
        if at is None:
            self.tabletime.tell(f"{segment.code} is running: it has no end yet to move "
                                "(s stops it at a chosen time).", "warning")
            return
        moved = at + timedelta(minutes=minutes)
        sign = "+" if minutes > 0 else "-"
        if self.change(lambda: self.commands.edit_segment(
                self.session_id, segment.id, **{end: moved},
                reason=f"{end} {sign}{abs(minutes)} min"), segment.id):
            self.tabletime.tell(f"{segment.code} {end}s at "
                                f"{local_time(moved, self.tabletime.repo.zone, seconds=True)} "
                                "(u undoes)", kind="nudge")

    def action_undo(self) -> None:
        undone = self.change(lambda: self.commands.undo(self.session_id))
        if undone:
            self.tabletime.tell(f"Undone: {undone}")

    def action_redo(self) -> None:
        redone = self.change(lambda: self.commands.redo(self.session_id))
        if redone:
            self.tabletime.tell(f"Redone: {redone}")

    def action_review(self) -> None:
        from tui.screens.review import ReviewScreen

        def closed(done: bool | None) -> None:
            if done:
                self.dismiss()

        self.app.push_screen(ReviewScreen(self.session_id), closed)

    def action_progress_report(self) -> None:
        written = not self.session.progress_report
        if self.change(lambda: self.commands.mark_progress_report(self.session_id, written)):
            self.tabletime.tell("Progress report marked written at this visit (u in the "
                                "session undoes it)"
                                if written else "Progress report unmarked")

    def action_chart_note(self) -> None:
        self.tabletime.show_chart_note(self.session_id)

    def action_back(self) -> None:
        self.dismiss()


def announce_unit(screen: SessionScreen, before: tuple[str, int] | None) -> None:
    """A unit reached while a timer runs is shown at once: the header and the running tile
    light up, a notice says so, and (setting `alert`) the terminal bell rings. `before` is
    what the rule counted and its units when last shown."""
    assert screen.view is not None
    units = screen.view.next_unit
    mode = screen.tabletime.repo.settings.alert
    if (before is None or before[0] != units.key or units.units <= before[1]
            or units.running is None or mode == "off"):
        return
    light(screen, True, units.running)
    seconds = screen.tabletime.repo.settings.alert_seconds
    if seconds:
        screen.set_timer(seconds, lambda: light(screen, False))
    counted = "timed total" if units.key == "total" else units.key
    screen.tabletime.tell(f"{plural(units.units, 'unit')} reached: {counted} "
                          f"{units.minutes} min")
    if mode == "bell":
        screen.app.bell()


def light(screen: SessionScreen, lit: bool, code: str | None = None) -> None:
    """Light the header and `code`'s tile for a unit reached, or put every light out."""
    screen.lit = lit
    screen.query_one(SessionHeader).flash(lit)
    for tile in screen.query(CodeTile):
        tile.flash(lit and tile.entry.code == code)
