"""One session at the treatment table: favourite codes on 1-9, the segments, live units."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer

from core.billing.live import NextUnit, code_time, lost_by_stopping, next_unit
from core.billing.modifiers import claim_lines
from core.care.deadlines import ReportDeadline
from core.models import Discipline, FurnishedBy, Segment
from core.session import Session, SessionView
from core.text import plural
from core.timeparse import (
    clock_text,
)
from core.timing import forgotten_timers
from storage.commands import Commands
from tui.dialogs import segment_forms as forms
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.details import session_details_dialog
from tui.format import elapsed, local_time
from tui.screens.live import LiveTableScreen
from tui.widgets.code_tile import CodeTile
from tui.widgets.plain_table import PlainTable
from tui.widgets.session_header import SessionHeader


class SessionScreen(LiveTableScreen):
    NARROW_HIDDEN = frozenset({"resume", "note", "details", "progress_report"})
    TABLE_ID = "segments"
    COLUMNS = (("code", "Code"), ("name", "Name"), ("start", "Start"), ("end", "End"),
               ("duration", "Duration"), ("by", "By"), ("note", "Note"))
    BINDINGS = [
        Binding("1", "start_slot(1)", "Start", key_display="1-9", tooltip=(
            "start the code in that favourite slot, stopping the running timed code; the key "
            "of an untimed code that is running stops it")),
        *(Binding(str(slot), f"start_slot({slot})", show=False, system=True)
          for slot in range(2, 10)),
        Binding("space", "pause", "Pause", tooltip="stop the running timed code (pause)"),
        Binding("c", "review", "Close", tooltip=(
            "close: the review screen with units, why, warnings; enter confirms")),
        Binding("a", "add", "Add", tooltip=(
            "add a segment by hand or backdate a start (\"6\" = 6 minutes ago)")),
        Binding("e", "edit", "Edit", tooltip="edit the selected segment"),
        Binding("u", "undo", "Undo", tooltip="undo the last change"),
        Binding("r", "resume", "Resume", tooltip="resume the last code"),
        Binding("n", "note", "Note", tooltip="note on the selected segment"),
        Binding("delete", "delete", "Delete", show=False, key_display="del",
                tooltip="delete the selected segment (asks first; backspace too)"),
        Binding("backspace", "delete", show=False, system=True),
        Binding("t", "toggle_assistant", "Assistant", show=False,
                tooltip="toggle the selected segment between therapist and assistant"),
        Binding("s", "stop_at", "Stop at", show=False,
                tooltip="stop the running timed code at a chosen time (forgotten timer)"),
        Binding("p", "details", "Patient/payer",
                tooltip="correct the patient reference, payer or discipline"),
        Binding("m", "progress_report", "Progress report", show=False, tooltip=(
            "mark the progress report written at this visit (a therapist's; again unmarks)")),
        Binding("o", "reopen", "Reopen", show=False,
                tooltip="reopen a closed session (asks for a reason)"),
        Binding("escape", "back", "Today", tooltip="back to today; running timers keep running"),
    ]

    OPEN_ONLY = frozenset({"start_slot(1)", "pause", "review", "add", "edit", "undo",
                           "resume", "note", "delete", "details", "progress_report"})
    """What a closed session refuses: its footer shows o (reopen) instead."""

    def footer_actions(self) -> tuple[frozenset[str], frozenset[str]]:
        hidden, added = super().footer_actions()
        if self.view is not None and not self.view.session.is_open:
            return hidden | self.OPEN_ONLY, added | {"reopen"}
        return hidden, added

    def __init__(self, session_id: UUID) -> None:
        super().__init__()
        self.session_id = session_id
        self.view: SessionView | None = None
        self._units: tuple[str, int] | None = None
        """What the rule counted and its units when last shown (a unit reached is news)."""
        self.report: ReportDeadline | None = None
        """The patient's progress-report clock in this discipline on this date."""
        self._report_facts: tuple[bool, bool, str, Discipline] | None = None

    @property
    def session(self) -> Session:
        return self.view.session if self.view is not None else \
            self.tabletime.repo.queries.session(self.session_id)

    @property
    def segments(self) -> tuple[Segment, ...]:
        return () if self.view is None else self.view.segments

    @property
    def commands(self) -> Commands:
        return self.tabletime.repo.commands

    def compose(self) -> ComposeResult:
        yield SessionHeader()
        catalog = self.tabletime.repo.catalog
        with Horizontal(id="tiles"):
            for slot, code in enumerate(self.tabletime.repo.settings.favourites, start=1):
                yield CodeTile(slot, catalog.get(code))
        yield PlainTable(id="segments", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    # ---- display ----------------------------------------------------------------------------

    def reload(self, select: UUID | None = None) -> None:
        """Read the session again and redraw what changed; keep or move the table's cursor."""
        keep = select or self.selected_id()
        was_open = None if self.view is None else self.view.session.is_open
        self.view = self.tabletime.repo.queries.session_view(self.session_id)
        if self.view.session.is_open != was_open:
            self.refresh_bindings()  # open and closed sessions show different keys
        self._read_deadlines()
        table = self.table
        table.sync([(str(segment.id), self._cells(segment)) for segment in self.segments])
        if keep is not None and any(s.id == keep for s in self.segments):
            table.move_cursor(row=table.get_row_index(str(keep)))
        elif self.segments:
            table.move_cursor(row=len(self.segments) - 1)
        self.show_live()

    def _read_deadlines(self) -> None:
        """The progress-report clock, read again only when what it counts here changed (a
        first segment, the mark, the patient or discipline): not at every switch. On opening
        an open session, a clock that warns (and a low authorization) is told once."""
        assert self.view is not None
        session = self.view.session
        facts = (bool(self.segments), session.progress_report, session.patient,
                 session.discipline)
        if facts == self._report_facts:
            return
        first = self._report_facts is None
        self._report_facts = facts
        repo = self.tabletime.repo
        clocks = repo.queries.report_deadlines(session.date_of_service,
                                            [(session, self.segments)])
        self.report = clocks.get((session.patient, session.discipline))
        if not first or not session.is_open:
            return
        if self.report is not None and self.report.kind and not session.progress_report:
            self.tabletime.tell(f"{session.patient}: {self.report.message}", "warning")
        here = [(session, self.segments)]
        day = session.date_of_service
        others = [
            repo.queries.plan_of_care_deadlines(day, here).get((session.patient,
                                                              session.discipline)),
            repo.queries.authorization_balances(day, here).get((session.patient,
                                                                session.payer.name))]
        for other in others:
            if other is not None and other.kind is not None:
                self.tabletime.tell(f"{session.patient}: {other.message}", "warning")

    def _cells(self, segment: Segment) -> list[str]:
        zone = self.tabletime.repo.zone
        entry = self.tabletime.repo.catalog.find(segment.code)
        name = ("not defined in the settings" if entry is None
                else entry.label + ("" if entry.timed else " (untimed)"))
        return [
            segment.code,
            name,
            clock_text(segment.start, zone),
            "running" if segment.end is None else clock_text(segment.end, zone),
            elapsed(segment.duration(self.tabletime.clock())),
            "assistant" if segment.furnished_by is FurnishedBy.ASSISTANT else "therapist",
            segment.note,
        ]

    def tick(self) -> None:
        """Elapsed times come from the clock and the stored starts, never from counted ticks."""
        self.view = self.tabletime.repo.queries.session_view(self.session_id)
        self.show_live()

    def show_live(self) -> None:
        assert self.view is not None
        repo = self.tabletime.repo
        now = self.tabletime.clock()
        session, billing = self.view.session, self.view.billing
        running = list(self.view.running)
        units = next_unit(session.payer.method, billing, self.segments, now, repo.catalog)
        claim = claim_lines(billing, session.discipline, session.payer.medicare, repo.catalog)
        untimed = sum(line.units for line in claim) - billing.timed_units
        self.query_one(SessionHeader).show(session, billing, units, running, now, self.report,
                                           untimed)
        forgotten = {s.code for s in forgotten_timers(running, now,
                                                      repo.settings.forgotten_timer_minutes)}
        for tile in self.query(CodeTile):
            code = tile.entry.code
            tile.show(code_time(self.segments, code, now),
                      running=any(s.code == code for s in running),
                      forgotten=code in forgotten)
        table = self.table
        for segment in running:
            table.update_cell(str(segment.id), "duration", elapsed(segment.duration(now)))
        self._alert(units)

    def _alert(self, units: NextUnit) -> None:
        """A unit reached while a timer runs is shown at once: the header and the running
        tile light up, a notice says so, and (setting `alert`) the terminal bell rings."""
        before, self._units = self._units, (units.key, units.units)
        mode = self.tabletime.repo.settings.alert
        if (before is None or before[0] != units.key or units.units <= before[1]
                or units.running is None or mode == "off"):
            return
        self.query_one(SessionHeader).flash()
        for tile in self.query(CodeTile):
            if tile.entry.code == units.running:
                tile.flash()
        counted = "timed total" if units.key == "total" else units.key
        self.tabletime.tell(f"{plural(units.units, 'unit')} reached: {counted} "
                            f"{units.minutes} min")
        if mode == "bell":
            self.app.bell()

    def selected_id(self) -> UUID | None:
        table = self.table
        if not self.segments or table.cursor_row < 0 or table.cursor_row >= table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return UUID(key) if key else None

    def selected(self) -> Segment | None:
        wanted = self.selected_id()
        segment = next((s for s in self.segments if s.id == wanted), None)
        if segment is None:
            self.tabletime.tell("Select a segment first (arrow keys).", "warning")
        return segment

    def change(self, action: Callable[[], Any], select: UUID | None = None) -> Any:
        """Run a store change; show a refusal as a message; redraw from what was saved."""
        result = self.tabletime.attempt(action)
        self.reload(select)
        return result

    # ---- timers -----------------------------------------------------------------------------

    def start(self, code: str) -> None:
        if self.refused_closed():
            return
        before = self._running_timed()
        segment = self.tabletime.attempt(lambda: self.commands.start(self.session_id, code))
        self.reload(None if segment is None else segment.id)
        if segment is not None and before not in (None, segment.code):
            self._cost_of_stopping(before)

    def action_start_slot(self, slot: int) -> None:
        favourites = self.tabletime.repo.settings.favourites
        if slot > len(favourites):
            return
        code = favourites[slot - 1]
        entry = self.tabletime.repo.catalog.find(code)
        running = next((s for s in self.segments if s.running and s.code == code), None)
        if entry is not None and not entry.timed and running is not None:
            self._stop_untimed(running)
            return
        self.start(code)

    @on(CodeTile.Pressed)
    def tile_pressed(self, event: CodeTile.Pressed) -> None:
        self.action_start_slot(event.slot)

    def _stop_untimed(self, segment: Segment) -> None:
        """The key of an untimed code that runs stops it (a hot pack, unattended e-stim)."""
        stopped = self.change(lambda: self.commands.stop(self.session_id, segment.id))
        if stopped:
            self.tabletime.tell(f"Stopped {segment.code} after "
                                f"{elapsed(stopped[0].duration(self.tabletime.clock()))}")

    def _running_timed(self) -> str | None:
        catalog = self.tabletime.repo.catalog
        return next((s.code for s in self.segments if s.running and catalog.is_timed(s.code)),
                    None)

    def _cost_of_stopping(self, code: str) -> None:
        """Under a per-code payer a code stopped under 8 minutes bills nothing: say so."""
        assert self.view is not None
        missing = lost_by_stopping(self.session.payer.method, self.view.billing, code)
        if missing is not None:
            self.tabletime.tell(f"{code} stopped under 8 minutes: under this payer's per-code "
                                f"rule it bills no unit ({missing} more min would make one)",
                                "warning")

    def refused_closed(self) -> bool:
        """A closed session says so at once, before any dialog opens."""
        if self.session.is_open:
            return False
        self.tabletime.tell("This session is closed: press o to reopen it (with a reason) "
                            "to change it.", "warning")
        return True

    def action_pause(self) -> None:
        if self.refused_closed():
            return
        before = self._running_timed()
        stopped = self.change(lambda: self.commands.stop(self.session_id))
        if stopped == []:
            untimed = [s.code for s in self.segments if s.running]
            hint = (f" ({', '.join(untimed)} runs untimed: its key stops it)" if untimed
                    else "")
            self.tabletime.tell(f"No timed code is running{hint}.", "warning")
        elif before is not None:
            self._cost_of_stopping(before)

    def action_resume(self) -> None:
        if not self.refused_closed():
            self.change(lambda: self.commands.resume(self.session_id))

    def action_stop_at(self) -> None:
        if self.refused_closed():
            return
        running = [s for s in self.segments
                   if s.running and self.tabletime.repo.catalog.is_timed(s.code)]
        if not running:
            self.tabletime.tell("No timed code is running.", "warning")
            return
        self.app.push_screen(forms.stop_at(self, running[0]), lambda _: self.reload())

    def save(self, action: Callable[[], Any]) -> str | None:
        """For dialogs: None when the change was saved, else the refusal to show in it."""
        return self.tabletime.refusal(action)

    # ---- segments by hand -------------------------------------------------------------------

    def action_add(self) -> None:
        if not self.refused_closed():
            self.app.push_screen(forms.add(self), lambda _: self.reload())

    def action_edit(self) -> None:
        if self.refused_closed():
            return
        segment = self.selected()
        if segment is not None:
            self.app.push_screen(forms.edit(self, segment), lambda _: self.reload(segment.id))

    def action_note(self) -> None:
        if self.refused_closed():
            return
        segment = self.selected()
        if segment is not None:
            self.app.push_screen(forms.note(self, segment), lambda _: self.reload(segment.id))

    def action_toggle_assistant(self) -> None:
        if self.refused_closed():
            return
        segment = self.selected()
        if segment is None:
            return
        other = (FurnishedBy.THERAPIST if segment.furnished_by is FurnishedBy.ASSISTANT
                 else FurnishedBy.ASSISTANT)
        self.change(lambda: self.commands.edit_segment(
            self.session_id, segment.id, furnished_by=other, reason=f"furnished by {other}"),
            segment.id)

    def action_delete(self) -> None:
        if self.refused_closed():
            return
        segment = self.selected()
        if segment is None:
            return
        zone = self.tabletime.repo.zone
        span = f"{local_time(segment.start, zone)}-{local_time(segment.end, zone)}"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.change(lambda: self.commands.delete_segment(self.session_id,
                                                                       segment.id))

        self.app.push_screen(ConfirmDialog(f"Delete {segment.code} {span}? (u undoes it)",
                                           yes="Delete"), confirmed)

    def action_undo(self) -> None:
        if self.refused_closed():
            return
        undone = self.change(lambda: self.commands.undo(self.session_id))
        if undone:
            self.tabletime.tell(f"Undone: {undone}")

    # ---- close, reopen, leave ---------------------------------------------------------------

    def action_review(self) -> None:
        if not self.session.is_open:
            self.tabletime.tell("This session is closed; press o to reopen it.", "warning")
            return
        from tui.screens.review import ReviewScreen

        def closed(done: bool | None) -> None:
            if done:
                self.dismiss()

        self.app.push_screen(ReviewScreen(self.session_id), closed)

    def action_progress_report(self) -> None:
        if self.refused_closed():
            return
        written = not self.session.progress_report
        if self.change(lambda: self.commands.mark_progress_report(self.session_id, written)):
            self.tabletime.tell("Progress report marked written at this visit (u in the "
                                "session undoes it)"
                                if written else "Progress report unmarked")

    def action_reopen(self) -> None:
        if self.session.is_open:
            self.tabletime.tell("This session is open.", "warning")
            return
        self.app.push_screen(forms.reopen(self), lambda _: self.reload())

    def action_details(self) -> None:
        if self.refused_closed():
            return
        self.app.push_screen(session_details_dialog(self.tabletime, self.session),
                             lambda _: self.reload())

    def action_back(self) -> None:
        self.dismiss()
