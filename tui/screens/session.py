"""One session at the treatment table: favourite codes on 1-9, the segments, live units."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from uuid import UUID

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Footer

from core.models import FurnishedBy, Segment
from core.review import forgotten_timers
from core.session import Session, SessionView
from core.timeparse import (
    TimeParseError,
    clock_text,
    end_after,
    parse_clock_time,
    parse_minutes,
    parse_when,
)
from storage.commands import Commands
from tui.dialogs.confirm import ConfirmDialog
from tui.dialogs.form import FormDialog, FormField
from tui.format import clock, local_time
from tui.screens.live import LiveTableScreen
from tui.widgets.code_tile import CodeTile
from tui.widgets.plain_table import PlainTable
from tui.widgets.session_header import SessionHeader


class SessionScreen(LiveTableScreen):
    TABLE_ID = "segments"
    COLUMNS = (("code", "Code"), ("name", "Name"), ("start", "Start"), ("end", "End"),
               ("duration", "Duration"), ("by", "By"), ("note", "Note"))
    BINDINGS = [
        Binding("1", "start_slot(1)", "Start", key_display="1-9"),
        *(Binding(str(slot), f"start_slot({slot})", show=False) for slot in range(2, 10)),
        Binding("space", "pause", "Pause"),
        Binding("r", "resume", "Resume"),
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("delete", "delete", "Delete"),
        Binding("n", "note", "Note", show=False),
        Binding("t", "toggle_assistant", "Assistant", show=False),
        Binding("s", "stop_at", "Stop at", show=False),
        Binding("u", "undo", "Undo"),
        Binding("c", "review", "Close"),
        Binding("o", "reopen", "Reopen", show=False),
        Binding("escape", "back", "Today"),
    ]

    def __init__(self, session_id: UUID) -> None:
        super().__init__()
        self.session_id = session_id
        self.view: SessionView | None = None

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
        yield Footer()

    # ---- display ----------------------------------------------------------------------------

    def reload(self, select: UUID | None = None) -> None:
        """Read the session again and redraw what changed; keep or move the table's cursor."""
        keep = select or self.selected_id()
        self.view = self.tabletime.repo.queries.session_view(self.session_id)
        table = self.table
        table.sync([(str(segment.id), self._cells(segment)) for segment in self.segments])
        if keep is not None and any(s.id == keep for s in self.segments):
            table.move_cursor(row=table.get_row_index(str(keep)))
        elif self.segments:
            table.move_cursor(row=len(self.segments) - 1)
        self.show_live()

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
            clock(segment.duration(self.tabletime.clock())),
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
        self.query_one(SessionHeader).show(session, billing, running, now, repo.zone)
        forgotten = {s.code for s in forgotten_timers(running, now,
                                                      repo.settings.forgotten_timer_minutes)}
        minutes = {line.code: line.minutes or 0 for line in billing.lines}
        for tile in self.query(CodeTile):
            timer = next((s for s in running if s.code == tile.entry.code), None)
            tile.show(minutes.get(tile.entry.code, 0),
                      None if timer is None else timer.duration(now),
                      forgotten=tile.entry.code in forgotten)
        table = self.table
        for segment in running:
            table.update_cell(str(segment.id), "duration", clock(segment.duration(now)))

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
        segment = self.tabletime.attempt(lambda: self.commands.start(self.session_id, code))
        self.reload(None if segment is None else segment.id)

    def action_start_slot(self, slot: int) -> None:
        favourites = self.tabletime.repo.settings.favourites
        if slot <= len(favourites):
            self.start(favourites[slot - 1])

    @on(CodeTile.Pressed)
    def tile_pressed(self, event: CodeTile.Pressed) -> None:
        self.action_start_slot(event.slot)

    def action_pause(self) -> None:
        stopped = self.change(lambda: self.commands.stop(self.session_id))
        if stopped == []:
            self.tabletime.tell("No timed code is running.", "warning")

    def action_resume(self) -> None:
        self.change(lambda: self.commands.resume(self.session_id))

    def action_stop_at(self) -> None:
        running = [s for s in self.segments
                   if s.running and self.tabletime.repo.catalog.is_timed(s.code)]
        if not running:
            self.tabletime.tell("No timed code is running.", "warning")
            return
        segment = running[0]

        def submit(values: dict[str, str]) -> str | None:
            try:
                at = parse_when(values["at"], self.tabletime.clock(), self.tabletime.repo.zone)
            except TimeParseError as error:
                return str(error)
            return self.save(lambda: self.commands.stop(self.session_id, segment.id, at=at))

        started = local_time(segment.start, self.tabletime.repo.zone)
        self.app.push_screen(FormDialog(
            f"Stop {segment.code} (running since {started}) at:",
            [FormField("at", "Stopped at (10:05) or minutes ago (6)", placeholder="10:05")],
            submit), lambda _: self.reload())

    def save(self, action: Callable[[], Any]) -> str | None:
        """For dialogs: None when the change was saved, else the refusal to show in it."""
        self.tabletime.attempt(action, quiet=True)
        return self.tabletime.last_error

    # ---- segments by hand -------------------------------------------------------------------

    def action_add(self) -> None:
        repo = self.tabletime.repo

        def submit(values: dict[str, str]) -> str | None:
            now = self.tabletime.clock()
            try:
                start = parse_when(values["start"], now, repo.zone)
                minutes = values["minutes"].strip()
                if not minutes:
                    return self.save(lambda: self.commands.start(self.session_id, values["code"],
                                                                 at=start))
                end = start + timedelta(minutes=parse_minutes(minutes))
            except TimeParseError as error:
                return str(error)
            return self.save(lambda: self.commands.add_segment(
                self.session_id, values["code"], start, end, note=values["note"]))

        codes = [entry.code for entry in repo.catalog]
        self.app.push_screen(FormDialog("Add a segment", [
            FormField("code", "Code", placeholder="97140", suggestions=codes),
            FormField("start", "Started: minutes ago (6) or clock time (10:05)", placeholder="6"),
            FormField("minutes", "Minutes (leave empty: it is still running)", placeholder=""),
            FormField("note", "Note", placeholder="optional"),
        ], submit), lambda _: self.reload())

    def action_edit(self) -> None:
        segment = self.selected()
        if segment is None:
            return
        repo = self.tabletime.repo
        zone = repo.zone
        day = segment.start.astimezone(zone).date()
        shown = {"code": segment.code, "start": clock_text(segment.start, zone),
                 "end": "" if segment.end is None else clock_text(segment.end, zone),
                 "by": segment.furnished_by.value, "note": segment.note}

        def submit(values: dict[str, str]) -> str | None:
            # A field left as shown keeps the recorded value exactly (a time shown to the
            # second, or in the repeated hour of a DST night, never shifts on its own).
            edited = {name for name, text in shown.items() if values[name] != text}
            changes: dict[str, Any] = {}
            try:
                start = segment.start
                if "start" in edited:
                    start = changes["start"] = parse_clock_time(values["start"], day, zone)
                if "end" in edited or ("start" in edited and segment.end is not None):
                    if not values["end"].strip():
                        return "give an end time: a stopped segment cannot run again"
                    changes["end"] = end_after(start, values["end"], day, zone)
            except TimeParseError as error:
                return str(error)
            if "code" in edited:
                changes["code"] = values["code"]
            if "by" in edited:
                changes["furnished_by"] = FurnishedBy(values["by"])
            if "note" in edited:
                changes["note"] = values["note"]
            if not changes:
                self.tabletime.tell("Nothing was changed.")
                return None
            if not values["reason"].strip():
                return "say why (it is kept in the audit trail)"
            return self.save(lambda: self.commands.edit_segment(self.session_id, segment.id,
                                                       reason=values["reason"], **changes))

        self.app.push_screen(FormDialog(f"Edit {segment.code}", [
            FormField("code", "Code", shown["code"],
                      suggestions=[entry.code for entry in repo.catalog]),
            FormField("start", "Start (HH:MM:SS)", shown["start"]),
            FormField("end", "End (HH:MM:SS; empty while running)", shown["end"]),
            FormField("by", "Furnished by", shown["by"],
                      options=[("therapist", "therapist"), ("assistant", "assistant")]),
            FormField("note", "Note", shown["note"]),
            FormField("reason", "Reason for the change (audited)", placeholder="mistimed"),
        ], submit), lambda _: self.reload(segment.id))

    def action_note(self) -> None:
        segment = self.selected()
        if segment is None:
            return

        def submit(values: dict[str, str]) -> str | None:
            return self.save(lambda: self.commands.edit_segment(self.session_id, segment.id,
                                                       note=values["note"], reason="note"))

        self.app.push_screen(FormDialog(f"Note on {segment.code}", [
            FormField("note", "Note", segment.note)], submit), lambda _: self.reload(segment.id))

    def action_toggle_assistant(self) -> None:
        segment = self.selected()
        if segment is None:
            return
        other = (FurnishedBy.THERAPIST if segment.furnished_by is FurnishedBy.ASSISTANT
                 else FurnishedBy.ASSISTANT)
        self.change(lambda: self.commands.edit_segment(
            self.session_id, segment.id, furnished_by=other, reason=f"furnished by {other}"),
            segment.id)

    def action_delete(self) -> None:
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

    def action_reopen(self) -> None:
        if self.session.is_open:
            self.tabletime.tell("This session is open.", "warning")
            return

        def submit(values: dict[str, str]) -> str | None:
            return self.save(lambda: self.commands.reopen_session(self.session_id,
                                                                        values["reason"]))

        self.app.push_screen(FormDialog("Reopen this session", [
            FormField("reason", "Why (kept in the audit trail)", placeholder="forgot a code")],
            submit), lambda _: self.reload())

    def action_back(self) -> None:
        self.dismiss()
